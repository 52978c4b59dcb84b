//! POST /api/chat/session and GET /api/chat/personas.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn creates_a_session_with_the_clients_id_and_a_welcome_message() {
    let app = TestApp::spawn().await;
    let token = app.user_token("u1");
    let data = app
        .start_session(&token, Some("chat_1733514600000_k3j9x"))
        .await;
    assert_eq!(data["sessionId"], "chat_1733514600000_k3j9x");
    assert_eq!(data["status"], "active");
    assert_eq!(data["queuePosition"], 1);
    assert_eq!(data["pollIntervalSeconds"], 2);
    assert!(data["estimatedWaitTime"].as_i64().unwrap() > 0);
    assert!(data["createdAt"].as_str().unwrap().ends_with('Z'));

    let poll = app.poll(&token, "chat_1733514600000_k3j9x", None).await;
    let messages = poll["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["sender"], "system");
    assert_eq!(messages[0]["messageType"], "system");
    assert!(messages[0]["message"].as_str().unwrap().contains("support"));
}

#[tokio::test]
async fn the_same_id_from_the_same_user_is_the_same_session() {
    let app = TestApp::spawn().await;
    let token = app.user_token("u1");
    let first = app.start_session(&token, Some("chat_1_same")).await;
    let (status, again) = app
        .post(
            "/api/chat/session",
            &token,
            json!({ "sessionId": "chat_1_same" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["data"]["sessionId"], "chat_1_same");
    assert_eq!(again["data"]["createdAt"], first["createdAt"]);
    assert_eq!(app.count_rows("SELECT COUNT(*) FROM sessions"), 1);
    assert_eq!(
        app.count_rows("SELECT COUNT(*) FROM messages"),
        1,
        "one welcome only"
    );
}

#[tokio::test]
async fn another_users_session_id_gets_a_fresh_session_and_reveals_nothing() {
    let app = TestApp::spawn().await;
    let alice = app.user_token("alice");
    let bob = app.user_token("bob");
    app.start_session(&alice, Some("chat_shared_1")).await;
    let data = app.start_session(&bob, Some("chat_shared_1")).await;
    let bobs = data["sessionId"].as_str().unwrap();
    assert_ne!(bobs, "chat_shared_1");
    assert!(bobs.starts_with("chat_"));
    let (status, body) = app.get("/api/chat/poll/chat_shared_1", &bob).await;
    assert_error(status, &body, 404, "SESSION_NOT_FOUND");
}

#[tokio::test]
async fn without_an_id_the_active_session_is_resumed() {
    let app = TestApp::spawn().await;
    let token = app.user_token("u1");
    let first = app.start_session(&token, None).await;
    assert!(first.get("resumed").is_none());
    let second = app.start_session(&token, None).await;
    assert_eq!(second["sessionId"], first["sessionId"]);
    assert_eq!(second["resumed"], true);
    // Once it has ended, a new one starts.
    let (status, _) = app
        .post(
            "/api/chat/session/end",
            &token,
            json!({ "sessionId": first["sessionId"] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let third = app.start_session(&token, None).await;
    assert_ne!(third["sessionId"], first["sessionId"]);
}

#[tokio::test]
async fn queue_position_counts_the_chats_ahead() {
    let app = TestApp::spawn().await;
    for (i, user) in ["a", "b", "c"].iter().enumerate() {
        let data = app.start_session(&app.user_token(user), None).await;
        assert_eq!(data["queuePosition"], i as i64 + 1);
    }
}

#[tokio::test]
async fn an_empty_welcome_turns_it_off() {
    let app = TestApp::spawn_with(|s| s.welcome_message = None).await;
    let token = app.user_token("u1");
    let data = app.start_session(&token, Some("chat_quiet")).await;
    let poll = app
        .poll(&token, data["sessionId"].as_str().unwrap(), None)
        .await;
    assert_eq!(poll["messages"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn user_info_and_metadata_are_stored_and_checked() {
    let app = TestApp::spawn().await;
    let token = app.user_token("u1");
    let (status, body) = app
        .post(
            "/api/chat/session",
            &token,
            json!({
                "sessionId": "chat_info_1",
                "userInfo": { "isGuest": false, "userId": "ignored", "name": "<b>Ann</b>", "phone": "+1234567890" },
                "startTime": "2025-12-06T15:30:00.000Z",
                "status": "active",
                "metadata": { "app": "ios", "version": "2.1" }
            }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let name = app
        .db()
        .text("SELECT user_name FROM sessions WHERE id = 'chat_info_1'");
    assert_eq!(name.as_deref(), Some("<b>Ann</b>"), "stored verbatim");

    for (body, field) in [
        (json!({ "metadata": [1, 2] }), "metadata"),
        (json!({ "metadata": { "x": "y".repeat(5000) } }), "metadata"),
        (json!({ "startTime": "yesterday" }), "startTime"),
        (
            json!({ "userInfo": { "name": "n".repeat(101) } }),
            "userInfo.name",
        ),
        (json!({ "userInfo": "Ann" }), "userInfo"),
        (json!({ "sessionId": 42 }), "sessionId"),
        (
            json!({ "sessionId": "<script>alert(1)</script>" }),
            "sessionId",
        ),
        (json!({ "sessionId": "c".repeat(129) }), "sessionId"),
    ] {
        let (status, answer) = app.post("/api/chat/session", &token, body.clone()).await;
        assert_error(status, &answer, 400, "VALIDATION_ERROR");
        assert_eq!(
            answer["error"]["details"]["field"], field,
            "{body} -> {answer}"
        );
    }
    assert_eq!(
        app.count_rows("SELECT COUNT(*) FROM sessions"),
        1,
        "bad input changed nothing"
    );
}

#[tokio::test]
async fn starting_needs_a_token_unless_guests_are_allowed() {
    let app = TestApp::spawn().await;
    let (status, body) = app
        .request(
            reqwest::Method::POST,
            "/api/chat/session",
            None,
            Some(json!({})),
        )
        .await;
    assert_error(status, &body, 401, "AUTHENTICATION_FAILED");

    let open = TestApp::spawn_with(|s| s.allow_guests = true).await;
    let Guest {
        token: guest_token,
        session: session_id,
        ..
    } = open.start_guest().await;
    let (status, sent) = open
        .send(&guest_token, &session_id, "msg_g_1", "hello as a guest")
        .await;
    assert_eq!(status, StatusCode::OK, "{sent}");
    // A guest token is no key to anybody else's session.
    let other = open
        .start_session(&open.user_token("u1"), Some("chat_member"))
        .await;
    let (status, body) = open
        .get(
            &format!("/api/chat/poll/{}", other["sessionId"].as_str().unwrap()),
            &guest_token,
        )
        .await;
    assert_error(status, &body, 404, "SESSION_NOT_FOUND");
}

#[tokio::test]
async fn an_unknown_persona_is_not_found_and_a_known_one_is_kept() {
    let app = TestApp::spawn().await;
    let token = app.user_token("u1");
    let (status, body) = app
        .post(
            "/api/chat/session",
            &token,
            json!({ "personaId": "persona_nope" }),
        )
        .await;
    assert_error(status, &body, 404, "NOT_FOUND");

    let (_, admin) = app.agent("boss@example.com", "super_admin").await;
    let (status, persona) = app
        .post(
            "/api/admin/personas",
            &admin,
            json!({ "name": "Emma", "bio": "Friendly" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{persona}");
    let persona_id = persona["data"]["persona"]["personaId"].as_str().unwrap();
    let (status, listed) = app.get("/api/chat/personas", &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed["data"]["personas"][0]["name"], "Emma");
    let (status, body) = app
        .post(
            "/api/chat/session",
            &token,
            json!({ "personaId": persona_id }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["personaId"], persona_id);
}

#[tokio::test]
async fn personas_list_may_be_empty_and_needs_a_token() {
    let app = TestApp::spawn().await;
    let (status, body) = app.get("/api/chat/personas", &app.user_token("u1")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["personas"], json!([]));
    let (status, body) = app
        .request(reqwest::Method::GET, "/api/chat/personas", None, None)
        .await;
    assert_error(status, &body, 401, "AUTHENTICATION_FAILED");
}
