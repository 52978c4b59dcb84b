//! `POST /api/chat/offline`: the offline form's chat, its guest, retries, bad input, limits.

use std::time::Duration;

use serde_json::json;

use super::{detail, form, queue, row, sessions, submit_offline};
use crate::dashboard::client::Browser;
use crate::helpers::*;

#[tokio::test]
async fn an_offline_message_waits_in_the_queue_and_its_guest_reads_the_reply() {
    // A contact form: it works even with live guest chats off.
    let app = TestApp::spawn_with(|s| s.allow_guests = false).await;
    let (_, agent) = app.agent("lead@example.com", "chat_admin").await;
    let (status, body) = submit_offline(
        &app,
        json!({
            "name": "Ada Visitor",
            "email": "ada@example.com",
            "message": "Do you ship to Norway?",
            "metadata": { "pageUrl": "https://shop.example/shipping" },
        }),
    )
    .await;
    let body = expect_ok("offline submit", (status, body));
    let data = &body["data"];
    let id = data["sessionId"].as_str().unwrap().to_string();
    let token = data["sessionToken"]
        .as_str()
        .expect("a guest token")
        .to_string();
    assert_eq!(data["status"], "active");
    assert!(data["createdAt"].as_str().is_some_and(|t| t.ends_with('Z')));

    let rows = queue(&app, &agent).await;
    let r = row(&rows, &id);
    assert_eq!(r["channel"], "offline");
    assert_eq!(r["lastMessage"], "Do you ship to Norway?");
    assert_eq!(r["userInfo"]["name"], "Ada Visitor");
    assert_eq!(r["userInfo"]["email"], "ada@example.com");
    assert_eq!(r["awaitingReply"], true);
    assert_eq!(r["context"]["pageUrl"], "https://shop.example/shipping");

    // The visitor's message comes first: no welcome.
    let first = app.poll(&token, &id, None).await;
    let messages = first["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 1, "{first}");
    assert_eq!(messages[0]["sender"], "user");
    assert_eq!(messages[0]["message"], "Do you ship to Norway?");

    let last = messages[0]["messageId"].as_str().unwrap().to_string();
    app.agent_reply(&agent, &id, "Yes, in 3 days.").await;
    let later = app.poll(&token, &id, Some(&last)).await;
    assert_eq!(later["messages"][0]["message"], "Yes, in 3 days.");
    let history = app.get_ok("/api/chat/history", &token).await;
    assert_eq!(history["data"]["sessions"][0]["channel"], "offline");

    // The token is for following up, not for opening live chats while guests are off.
    let (status, body) = app.post("/api/chat/session", &token, json!({})).await;
    assert_error(status, &body, 401, "AUTHENTICATION_FAILED");
}

#[tokio::test]
async fn the_idle_sweep_leaves_offline_chats_alone() {
    let app = TestApp::spawn().await;
    let (_, agent) = app.agent("lead@example.com", "chat_admin").await;
    let (status, body) = submit_offline(&app, form("Call me back, please")).await;
    let body = expect_ok("offline submit", (status, body));
    let id = body["data"]["sessionId"].as_str().unwrap().to_string();
    let token = body["data"]["sessionToken"].as_str().unwrap().to_string();
    let user = app.user_token("u1");
    app.start_session(&user, Some("chat_live")).await;

    let timeout = app.services.settings.session_timeout;
    app.clock.advance(timeout + Duration::from_secs(60));
    app.maintenance().await;

    let rows = queue(&app, &agent).await;
    assert_eq!(row(&rows, &id)["status"], "active");
    assert!(
        rows.iter().all(|r| r["sessionId"] != "chat_live"),
        "{rows:?}"
    );
    assert_eq!(app.poll(&token, &id, None).await["sessionEnded"], false);
    assert_eq!(
        app.poll(&user, "chat_live", None).await["sessionStatus"],
        "expired"
    );
    // The visitor can still add to it, and the agent still answer it.
    app.send_ok(&token, &id, "msg_more", "Any time after 5 pm")
        .await;
    app.agent_reply(&agent, &id, "Will do").await;
}

#[tokio::test]
async fn a_retried_offline_submit_answers_the_chat_it_made() {
    let app = TestApp::spawn().await;
    let user = app.user_token("u1");
    let first = app
        .post_ok("/api/chat/offline", &user, form("Where is my order?"))
        .await;
    let id = first["data"]["sessionId"].clone();
    assert!(
        first["data"].get("sessionToken").is_none(),
        "no token for a signed-in user"
    );

    let again = app
        .post_ok("/api/chat/offline", &user, form("Where is my order?"))
        .await;
    assert_eq!(
        again["data"]["sessionId"], id,
        "the same submit within a minute"
    );
    assert_eq!(sessions(&app), 1);

    let other = app
        .post_ok("/api/chat/offline", &user, form("And a refund?"))
        .await;
    assert_ne!(
        other["data"]["sessionId"], id,
        "a different message is a new chat"
    );

    // A client-chosen id works as for a session start.
    let body = json!({ "sessionId": "chat_offline_1", "name": "Ada", "email": "a@example.com", "message": "Hi" });
    let made = app.post_ok("/api/chat/offline", &user, body.clone()).await;
    app.clock.advance(Duration::from_secs(120));
    let retried = app.post_ok("/api/chat/offline", &user, body).await;
    assert_eq!(made["data"]["sessionId"], "chat_offline_1");
    assert_eq!(retried["data"]["sessionId"], "chat_offline_1");
    assert_eq!(sessions(&app), 3);

    // Naming one's own live chat makes a new offline chat: the message is never swallowed.
    app.start_session(&user, Some("chat_live_1")).await;
    let body = json!({ "sessionId": "chat_live_1", "name": "Ada", "email": "a@example.com", "message": "Hi again" });
    let fresh = app.post_ok("/api/chat/offline", &user, body).await;
    assert_ne!(fresh["data"]["sessionId"], "chat_live_1");
    assert_eq!(sessions(&app), 5);

    // Another user's id is not theirs: a fresh chat, and nothing about the first one.
    let body = json!({ "sessionId": "chat_offline_1", "name": "Eve", "email": "e@example.com", "message": "Hi" });
    let theirs = app
        .post_ok("/api/chat/offline", &app.user_token("u2"), body)
        .await;
    assert_ne!(theirs["data"]["sessionId"], "chat_offline_1");
    assert_eq!(sessions(&app), 6);
}

#[tokio::test]
async fn bad_offline_input_is_refused_and_stores_nothing() {
    let app = TestApp::spawn().await;
    let long = "x".repeat(10 * 1024);
    let cases = [
        (
            json!({ "email": "a@example.com", "message": "hi" }),
            "name",
            "missing name",
        ),
        (
            json!({ "name": "  ", "email": "a@example.com", "message": "hi" }),
            "name",
            "blank name",
        ),
        (
            json!({ "name": long, "email": "a@example.com", "message": "hi" }),
            "name",
            "10 KB name",
        ),
        (
            json!({ "name": 5, "email": "a@example.com", "message": "hi" }),
            "name",
            "name not a string",
        ),
        (
            json!({ "name": "Ada", "message": "hi" }),
            "email",
            "missing email",
        ),
        (
            json!({ "name": "Ada", "email": "not-an-address", "message": "hi" }),
            "email",
            "bad email",
        ),
        (
            json!({ "name": "Ada", "email": "", "message": "hi" }),
            "email",
            "empty email",
        ),
        (
            json!({ "name": "Ada", "email": "a@example.com" }),
            "message",
            "missing message",
        ),
        (
            json!({ "name": "Ada", "email": "a@example.com", "message": " \n " }),
            "message",
            "blank message",
        ),
        (
            json!({ "name": "Ada", "email": "a@example.com", "message": "y".repeat(5001) }),
            "message",
            "message too long",
        ),
        (
            json!({ "name": "Ada", "email": "a@example.com", "message": ["hi"] }),
            "message",
            "message not a string",
        ),
        (
            json!({ "name": "Ada", "email": "a@example.com", "message": "hi", "metadata": "x" }),
            "metadata",
            "metadata not an object",
        ),
        (
            json!({ "name": "Ada", "email": "a@example.com", "message": "hi", "sessionId": "bad id!" }),
            "sessionId",
            "bad session id",
        ),
        (json!([1, 2]), "", "not an object"),
    ];
    for (body, field, why) in cases {
        let (status, answer) = submit_offline(&app, body).await;
        assert_error(status, &answer, 400, "VALIDATION_ERROR");
        assert!(
            answer["message"].as_str().unwrap().contains(field),
            "{why}: {answer}"
        );
    }
    let (status, answer) = app
        .post_raw(
            "/api/chat/offline",
            None,
            Some("application/json"),
            b"{\"name\": ".to_vec(),
        )
        .await;
    assert_error(status, &answer, 400, "VALIDATION_ERROR");
    let (status, answer) = app
        .post("/api/chat/offline", "not-a-token", form("hi"))
        .await;
    assert_error(status, &answer, 401, "AUTHENTICATION_FAILED");
    // An agent is not a visitor.
    let (_, agent) = app.agent("lead@example.com", "super_admin").await;
    let (status, answer) = app.post("/api/chat/offline", &agent, form("hi")).await;
    assert_error(status, &answer, 401, "AUTHENTICATION_FAILED");
    assert_eq!(sessions(&app), 0);
}

#[tokio::test]
async fn html_in_an_offline_message_is_kept_as_text() {
    let app = TestApp::spawn().await;
    app.create_agent("root@example.com", "Root", "super_admin")
        .await;
    let agent = app.login("root@example.com").await;
    let hostile = "<img src=x onerror=alert(1)>";
    let (status, body) = submit_offline(
        &app,
        json!({ "name": hostile, "email": "a@example.com", "message": hostile }),
    )
    .await;
    let body = expect_ok("offline submit", (status, body));
    let id = body["data"]["sessionId"].as_str().unwrap().to_string();
    let d = detail(&app, &agent, &id).await;
    assert_eq!(d["messages"][0]["message"], hostile);
    assert_eq!(d["userInfo"]["name"], hostile);
    let mut b = Browser::sign_in(&app, "root@example.com").await;
    for path in [
        "/admin/queue/rows".to_string(),
        format!("/admin/chats/{id}"),
    ] {
        let html = b.get_ok(&path).await;
        assert!(!html.contains("<img src=x"), "{path} let markup through");
    }
}

#[tokio::test]
async fn offline_submits_count_against_the_guest_limit_per_address() {
    let app = TestApp::spawn_with(|s| s.guest_starts_per_address_per_hour = 2).await;
    for n in 0..2 {
        let (status, body) = submit_offline(&app, form(&format!("message {n}"))).await;
        expect_ok("within the limit", (status, body));
    }
    let (status, body) = submit_offline(&app, form("one too many")).await;
    assert_error(status, &body, 429, "RATE_LIMITED");
    assert_eq!(sessions(&app), 2, "nothing stored for the refusal");
}
