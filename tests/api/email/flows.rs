//! Each email the server sends, what it says, and that it is neither lost nor doubled.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::{Sink, TEAM, app_with_mail, app_with_mail_on_a_still_clock};
use crate::helpers::*;

#[tokio::test]
async fn an_offline_message_reaches_the_team_and_the_reply_reaches_the_visitor() {
    let sink = Sink::start();
    let app = app_with_mail(&sink, None).await;
    let (_, agent) = app.agent("ada@example.com", "chat_admin").await;
    let (status, left) = app
        .request(
            Method::POST,
            "/api/chat/offline",
            None,
            Some(json!({
                "name": "Bo <b>Visitor</b>",
                "email": "bo@example.com",
                "message": "<script>alert(1)</script> Where is my parcel?",
                "metadata": { "pageUrl": "https://shop.example/contact" },
            })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{left}");
    let session = left["data"]["sessionId"].as_str().unwrap().to_string();

    let mail = sink.wait_for(1).await;
    let notice = &mail[0];
    assert_eq!(notice["to"], json!([TEAM]));
    assert_eq!(notice["from"], "support@shop.example");
    assert_eq!(
        notice["replyTo"], "bo@example.com",
        "the team can answer by email"
    );
    let text = notice["text"].as_str().unwrap();
    let html = notice["html"].as_str().unwrap();
    assert!(
        text.contains("<script>alert(1)</script> Where is my parcel?"),
        "{text}"
    );
    assert!(
        html.contains("&#60;script&#62;alert(1)&#60;/script&#62; Where is my parcel?")
            && !html.contains("<script>")
            && !html.contains("<b>Visitor"),
        "the HTML part is escaped: {html}"
    );
    assert!(
        text.contains(&format!("https://chat.shop.example/admin/chats/{session}")),
        "{text}"
    );

    app.agent_reply(&agent, &session, "It ships <today>.").await;
    let mail = sink.wait_for(2).await;
    let reply = &mail[1];
    assert_eq!(reply["to"], json!(["bo@example.com"]));
    assert_eq!(reply["replyTo"], TEAM);
    assert!(
        reply["text"]
            .as_str()
            .unwrap()
            .contains("It ships <today>.")
    );
    assert!(
        reply["html"]
            .as_str()
            .unwrap()
            .contains("It ships &#60;today&#62;.")
    );
    assert!(
        reply["text"]
            .as_str()
            .unwrap()
            .contains("https://shop.example/contact"),
        "a link back to where the visitor wrote: {reply}"
    );
    // A live chat's replies are not emailed.
    let user = app.user_token("u_live");
    app.start_session(&user, Some("chat_live")).await;
    app.agent_reply(&agent, "chat_live", "hello live").await;
    app.agent_reply(&agent, &session, "One more thing.").await;
    let mail = sink.wait_for(3).await;
    assert_eq!(mail.len(), 3, "{mail:?}");
    assert!(
        mail[2]["text"]
            .as_str()
            .unwrap()
            .contains("One more thing.")
    );
}

#[tokio::test]
async fn a_transcript_is_sent_on_request_once_per_state_of_the_chat() {
    let sink = Sink::start();
    let app = app_with_mail(&sink, None).await;
    let (_, agent) = app.agent("ada@example.com", "chat_admin").await;
    let user = app.user_token("u_tr");
    app.post_ok(
        "/api/chat/session",
        &user,
        json!({ "sessionId": "chat_tr", "userInfo": { "name": "Cy" } }),
    )
    .await;
    app.send_ok(&user, "chat_tr", "msg_t1", "My invoice is wrong")
        .await;
    app.agent_reply(&agent, "chat_tr", "Fixed, sorry!").await;
    for _ in 0..2 {
        let answer = app
            .post_ok(
                "/api/chat/transcript",
                &user,
                json!({ "sessionId": "chat_tr" }),
            )
            .await;
        assert_eq!(answer["data"]["queued"], true);
    }
    let mail = sink.wait_for(1).await;
    let text = mail[0]["text"].as_str().unwrap();
    assert_eq!(
        mail[0]["to"],
        json!(["u_tr@example.com"]),
        "the address the chat has (from the token)"
    );
    assert!(
        text.contains("My invoice is wrong") && text.contains("Fixed, sorry!"),
        "{text}"
    );
    // To another address too; a repeat of that is not sent twice either.
    for _ in 0..2 {
        app.post_ok(
            "/api/chat/transcript",
            &user,
            json!({ "sessionId": "chat_tr", "email": "cy.work@example.com" }),
        )
        .await;
    }
    let mail = sink.wait_for(2).await;
    assert_eq!(mail[1]["to"], json!(["cy.work@example.com"]));
    assert_eq!(
        app.count_rows("SELECT COUNT(*) FROM email_outbox WHERE kind = 'transcript'"),
        2
    );

    // Someone else's chat, bad input.
    let other = app.user_token("u_other");
    let (status, body) = app
        .post(
            "/api/chat/transcript",
            &other,
            json!({ "sessionId": "chat_tr" }),
        )
        .await;
    assert_error(status, &body, 404, "SESSION_NOT_FOUND");
    for (what, body) in [
        ("no session", json!({})),
        (
            "a bad address",
            json!({ "sessionId": "chat_tr", "email": "not an address" }),
        ),
        (
            "a huge address",
            json!({ "sessionId": "chat_tr", "email": format!("{}@example.com", "a".repeat(400)) }),
        ),
        ("a wrong type", json!({ "sessionId": 7 })),
        (
            "an unknown field",
            json!({ "sessionId": "chat_tr", "to": "x@example.com" }),
        ),
    ] {
        let (status, answer) = app.post("/api/chat/transcript", &user, body).await;
        assert_error(status, &answer, 400, "VALIDATION_ERROR");
        assert!(answer["message"].is_string(), "{what}");
    }
    let (status, _) = app
        .request(
            Method::POST,
            "/api/chat/transcript",
            None,
            Some(json!({ "sessionId": "chat_tr" })),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // A chat without an address needs one.
    let plain = user_token_with(json!({ "sub": "u_plain", "exp": app.clock_secs() + 3600 }));
    app.start_session(&plain, Some("chat_plain")).await;
    let (status, body) = app
        .post(
            "/api/chat/transcript",
            &plain,
            json!({ "sessionId": "chat_plain" }),
        )
        .await;
    assert_error(status, &body, 400, "VALIDATION_ERROR");
    assert_eq!(
        app.count_rows("SELECT COUNT(*) FROM email_outbox WHERE kind = 'transcript'"),
        2,
        "nothing queued by refused requests"
    );
}

#[tokio::test]
async fn without_smtp_email_is_off_and_says_so() {
    let app = TestApp::spawn().await;
    let user = app.user_token("u_off");
    app.post_ok(
        "/api/chat/session",
        &user,
        json!({ "sessionId": "chat_off", "userInfo": { "email": "x@example.com" } }),
    )
    .await;
    let (status, body) = app
        .post(
            "/api/chat/transcript",
            &user,
            json!({ "sessionId": "chat_off" }),
        )
        .await;
    assert_error(status, &body, 503, "NOT_AVAILABLE");
    assert_eq!(app.count_rows("SELECT COUNT(*) FROM email_outbox"), 0);
}

#[tokio::test]
async fn a_chat_waiting_with_nobody_online_alerts_the_team_once() {
    let sink = Sink::start();
    let app = app_with_mail(&sink, Some(5)).await;
    let user = app.user_token("u_wait");
    app.post_ok(
        "/api/chat/session",
        &user,
        json!({ "sessionId": "chat_wait", "userInfo": { "name": "Di" } }),
    )
    .await;
    app.maintenance().await;
    app.clock.advance(Duration::from_secs(4 * 60));
    app.maintenance().await;
    assert_eq!(
        app.count_rows("SELECT COUNT(*) FROM email_outbox"),
        0,
        "not before five minutes"
    );
    app.clock.advance(Duration::from_secs(2 * 60));
    app.maintenance().await;
    app.maintenance().await;
    let mail = sink.wait_for(1).await;
    assert_eq!(mail[0]["to"], json!([TEAM]));
    assert!(
        mail[0]["subject"].as_str().unwrap().contains("6 minutes"),
        "{mail:?}"
    );
    assert!(
        mail[0]["text"]
            .as_str()
            .unwrap()
            .contains("https://chat.shop.example/admin/chats/chat_wait")
    );
    app.clock.advance(Duration::from_secs(10 * 60));
    app.maintenance().await;
    assert_eq!(
        app.count_rows("SELECT COUNT(*) FROM email_outbox WHERE kind = 'waiting_alert'"),
        1,
        "one alert per chat"
    );
}

#[tokio::test]
async fn the_first_request_after_a_start_finds_the_events_email_needs_recorded() {
    // The outbox records only the events somebody wants; a start that served a request before
    // naming email's events wrote that request's message without its email.
    let sink = Sink::start();
    let app = app_with_mail(&sink, None).await;
    let (status, body) = app.request(Method::GET, "/healthz", None, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut wanted = app
        .db()
        .texts("SELECT type FROM outbox_wanted")
        .into_iter()
        .flatten()
        .collect::<Vec<_>>();
    wanted.sort();
    assert_eq!(wanted, ["offline_message.created", "offline_reply.created"]);
}

#[tokio::test]
async fn a_refused_email_is_retried_until_it_is_taken() {
    let sink = Sink::start();
    // A still clock: the first retry (5 s on) must not fall due before the test looks.
    let app = app_with_mail_on_a_still_clock(&sink).await;
    sink.refuse("451 4.3.0 Try again later").await;
    let (status, _) = app
        .request(
            Method::POST,
            "/api/chat/offline",
            None,
            Some(json!({ "name": "Ed", "email": "ed@example.com", "message": "Hello?" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // An attempt whose SMTP exchange stalls on a busy machine ends only at the mailer's own
    // 30-second timeout, longer than the usual patience: wait past it (twice over: the suite's
    // second pass runs on PostgreSQL, where every write is a round trip to another process).
    let recorded = eventually(Duration::from_secs(90), || async {
        app.count_rows(
            "SELECT COUNT(*) FROM email_outbox WHERE attempts = 1 AND status = 'pending'",
        ) == 1
    })
    .await;
    assert!(
        recorded,
        "waited for: a refused attempt recorded; the outbox holds {:?}, the sink saw {}",
        app.db().texts(
            "SELECT status || ' attempts=' || attempts || ' due=' || next_attempt_at || ' error=' \
             || COALESCE(last_error, '-') FROM email_outbox"
        ),
        sink.state().await
    );
    assert!(sink.state().await["refused"].as_i64().unwrap() >= 1);
    sink.refuse("").await;
    app.clock.advance(Duration::from_secs(6));
    let mail = sink.wait_for(1).await;
    assert_eq!(mail.len(), 1);
    wait_until("recorded as sent", || async {
        app.count_rows("SELECT COUNT(*) FROM email_outbox WHERE status = 'sent' AND attempts = 2")
            == 1
    })
    .await;
}

#[tokio::test]
async fn an_offline_chats_page_says_whether_the_reply_is_emailed() {
    use crate::dashboard::client::Browser;
    let offline = json!({ "name": "Flo", "email": "flo@example.com", "message": "Call me" });
    // Without SMTP, and with it.
    let sink = Sink::start();
    for (app, expected) in [
        (TestApp::spawn().await, "Email is off (SMTP_URL is not set)"),
        (
            app_with_mail(&sink, None).await,
            "your reply is emailed to them",
        ),
    ] {
        app.create_agent("ada@example.com", "Ada", "chat_admin")
            .await;
        let (status, left) = app
            .request(
                Method::POST,
                "/api/chat/offline",
                None,
                Some(offline.clone()),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{left}");
        let id = left["data"]["sessionId"].as_str().unwrap().to_string();
        let mut browser = Browser::sign_in(&app, "ada@example.com").await;
        let page = browser.get_ok(&format!("/admin/chats/{id}")).await;
        assert!(page.contains(expected), "{expected}: {page}");
        // A live chat says nothing of email.
        let user = app.user_token("u_page");
        app.start_session(&user, Some("chat_page_live")).await;
        let live = browser.get_ok("/admin/chats/chat_page_live").await;
        assert!(!live.contains("data-offline-note"));
    }
}
