//! Realtime: polls answered from memory, long-poll, typing, read receipts. The client event
//! stream is in `client_stream.rs`.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

/// Starts a chat with one user message; returns (user token, that message's id).
pub(crate) async fn chat_with_message(app: &TestApp, user: &str, id: &str) -> (String, String) {
    let token = app.user_token(user);
    app.start_session(&token, Some(id)).await;
    let message = format!("msg_{id}_first");
    app.send_ok(&token, id, &message, "hello").await;
    (token, message)
}

#[tokio::test]
async fn an_up_to_date_poll_never_touches_sqlite() {
    let app = TestApp::spawn().await;
    let (token, mine) = chat_with_message(&app, "u1", "chat_mem").await;
    let (_, agent) = app.agent("sarah@example.com", "chat_admin").await;
    app.poll(&token, "chat_mem", Some(&mine)).await;
    let reads = app.services.store.reads_started();
    for _ in 0..50 {
        let poll = app.poll(&token, "chat_mem", Some(&mine)).await;
        assert_eq!(poll["messages"], json!([]));
    }
    assert_eq!(
        app.services.store.reads_started(),
        reads,
        "50 empty polls, no read"
    );
    app.agent_reply(&agent, "chat_mem", "an answer").await;
    let reads = app.services.store.reads_started();
    let poll = app.poll(&token, "chat_mem", Some(&mine)).await;
    assert_eq!(poll["messages"][0]["message"], "an answer");
    assert_eq!(
        app.services.store.reads_started(),
        reads + 1,
        "one read for the poll with news"
    );
}

#[tokio::test]
async fn a_restart_reloads_the_hub_lazily_and_correctly() {
    let app = TestApp::spawn().await;
    let (token, mine) = chat_with_message(&app, "u1", "chat_lazy").await;
    let dir = app.stop().await;
    let app = TestApp::spawn_in(dir, |_| {}).await;
    assert_eq!(
        app.services.hub.len(),
        0,
        "nothing loaded before it is asked for"
    );
    let poll = app.poll(&token, "chat_lazy", Some(&mine)).await;
    assert_eq!(poll["messages"], json!([]));
    assert_eq!(app.services.hub.len(), 1);
}

/// A long-poll of `session` after the message `after`, waiting up to `wait` seconds.
#[must_use = "check the status"]
async fn held_poll(
    app: &TestApp,
    token: &str,
    session: &str,
    after: &str,
    wait: u32,
) -> (StatusCode, Value) {
    app.get(
        &format!("/api/chat/poll/{session}?after={after}&wait={wait}"),
        token,
    )
    .await
}

/// Starts a long-poll in the background and returns once the server holds it.
async fn start_held_poll(
    app: &TestApp,
    user: &str,
    token: &str,
    session: &str,
    after: &str,
) -> tokio::task::JoinHandle<(StatusCode, Value)> {
    let held_before = app.services.hub.held_by(user);
    let (client, url, token) = (
        app.client.clone(),
        app.url(&format!("/api/chat/poll/{session}?after={after}&wait=30")),
        token.to_string(),
    );
    let poll = tokio::spawn(async move {
        decode(client.get(url).bearer_auth(token).send().await.unwrap()).await
    });
    app.wait_until_held(user, held_before + 1).await;
    poll
}

/// The answer of a background long-poll, which must come before the safety net runs out (a
/// held poll waits 30 s, so one that was not woken fails here).
async fn answer_of(poll: tokio::task::JoinHandle<(StatusCode, Value)>) -> Value {
    let (status, body) = within("the held poll answers", poll).await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    body["data"].clone()
}

#[tokio::test]
async fn a_long_poll_wakes_on_a_message_at_once() {
    let app = TestApp::spawn().await;
    let (token, mine) = chat_with_message(&app, "u1", "chat_lp1").await;
    let (_, agent) = app.agent("sarah@example.com", "chat_admin").await;
    let held = start_held_poll(&app, "u1", &token, "chat_lp1", &mine).await;
    app.agent_reply(&agent, "chat_lp1", "right here").await;
    let answer = answer_of(held).await;
    assert_eq!(answer["messages"][0]["message"], "right here");
    assert_eq!(app.services.hub.held_by("u1"), 0, "the hold is released");
}

#[tokio::test]
async fn a_long_poll_wakes_on_an_end_and_on_typing() {
    let app = TestApp::spawn().await;
    let (token, mine) = chat_with_message(&app, "u1", "chat_lp2").await;
    let (_, agent) = app.agent("sarah@example.com", "chat_admin").await;
    let typing = json!({ "sessionId": "chat_lp2", "isTyping": true });
    let held = start_held_poll(&app, "u1", &token, "chat_lp2", &mine).await;
    app.post_ok("/api/admin/chat/typing", &agent, typing.clone())
        .await;
    let answer = answer_of(held).await;
    assert_eq!(answer["agentTyping"], true);
    assert_eq!(answer["messages"], json!([]));
    // Typing refreshed is not news: the next held poll stays held and answers with the end.
    let held = start_held_poll(&app, "u1", &token, "chat_lp2", &mine).await;
    app.post_ok("/api/admin/chat/typing", &agent, typing).await;
    assert_eq!(
        app.services.hub.held_by("u1"),
        1,
        "a refresh did not wake it"
    );
    assert!(!held.is_finished(), "a refresh did not answer it");
    app.post_ok(
        "/api/admin/chat/session/end",
        &agent,
        json!({ "sessionId": "chat_lp2", "endReason": "bye" }),
    )
    .await;
    let answer = answer_of(held).await;
    assert_eq!(answer["sessionEnded"], true);
    assert_eq!(answer["endReason"], "bye");
    assert_eq!(answer["agentTyping"], false, "an end clears typing");
}

#[tokio::test]
async fn a_long_poll_times_out_to_a_normal_answer_and_is_not_a_key_to_others() {
    let app = TestApp::spawn().await;
    let (token, mine) = chat_with_message(&app, "u1", "chat_lp3").await;
    // Held (the server counts it) until its two-second wait runs out, then a normal answer.
    let poll = tokio::spawn({
        let (client, url, token) = (
            app.client.clone(),
            app.url(&format!("/api/chat/poll/chat_lp3?after={mine}&wait=2")),
            token.clone(),
        );
        async move { decode(client.get(url).bearer_auth(token).send().await.unwrap()).await }
    });
    app.wait_until_held("u1", 1).await;
    let (status, body) = within("the wait runs out", poll).await.unwrap();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["messages"], json!([]));
    assert_eq!(body["data"]["sessionStatus"], "active");
    assert_eq!(app.services.hub.held_by("u1"), 0);
    // A stranger is refused, never held (a held poll would outlast the safety net).
    let stranger = app.user_token("mallory");
    let (status, body) = within(
        "a stranger is refused",
        held_poll(&app, &stranger, "chat_lp3", &mine, 30),
    )
    .await;
    assert_error(status, &body, 404, "SESSION_NOT_FOUND");
    assert_eq!(app.services.hub.held_by("mallory"), 0);
    // A wait above 30 s is capped, not refused; a cursor that is behind answers at once.
    app.send_ok(&token, "chat_lp3", "msg_lp3_second", "more")
        .await;
    let (status, body) = within(
        "a poll that is behind answers",
        held_poll(&app, &token, "chat_lp3", &mine, 31),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["messages"][0]["messageId"], "msg_lp3_second");
}

#[tokio::test]
async fn held_polls_per_user_are_limited() {
    let app = TestApp::spawn_with(|s| s.max_held_polls_per_user = 2).await;
    let (token, mine) = chat_with_message(&app, "u1", "chat_lp4").await;
    let a = start_held_poll(&app, "u1", &token, "chat_lp4", &mine).await;
    let b = start_held_poll(&app, "u1", &token, "chat_lp4", &mine).await;
    let (status, body) = within(
        "a poll over the limit answers",
        held_poll(&app, &token, "chat_lp4", &mine, 30),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "over the limit: answered, not refused"
    );
    assert_eq!(body["data"]["messages"], json!([]), "{body}");
    assert_eq!(
        app.services.hub.held_by("u1"),
        2,
        "the first two still held"
    );
    assert!(!a.is_finished() && !b.is_finished());
    app.send_ok(&token, "chat_lp4", "msg_lp4_wake", "wake up")
        .await;
    for held in [a, b] {
        assert_eq!(
            answer_of(held).await["messages"][0]["messageId"],
            "msg_lp4_wake"
        );
    }
}

#[tokio::test]
async fn shutdown_releases_held_polls() {
    let app = TestApp::spawn().await;
    let (token, mine) = chat_with_message(&app, "u1", "chat_lp5").await;
    let held = start_held_poll(&app, "u1", &token, "chat_lp5", &mine).await;
    app.stop().await;
    let answer = answer_of(held).await;
    assert_eq!(answer["messages"], json!([]));
    assert_eq!(answer["sessionStatus"], "active");
}

#[tokio::test]
async fn typing_shows_both_ways_and_lapses() {
    let app = TestApp::spawn().await;
    let (token, mine) = chat_with_message(&app, "u1", "chat_ty").await;
    let (_, agent) = app.agent("sarah@example.com", "chat_admin").await;
    app.post_ok(
        "/api/admin/chat/typing",
        &agent,
        json!({ "sessionId": "chat_ty", "isTyping": true }),
    )
    .await;
    assert_eq!(
        app.poll(&token, "chat_ty", Some(&mine)).await["agentTyping"],
        true
    );
    app.clock.advance(Duration::from_secs(6));
    assert_eq!(
        app.poll(&token, "chat_ty", Some(&mine)).await["agentTyping"],
        false,
        "lapsed after 5 s"
    );

    let (status, body) = app
        .post(
            "/api/chat/typing",
            &token,
            json!({ "sessionId": "chat_ty", "isTyping": true }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let detail = app.get_ok("/api/admin/chat/session/chat_ty", &agent).await;
    assert_eq!(detail["data"]["userTyping"], true);
    let queue = app.get_ok("/api/admin/chat/active-sessions", &agent).await;
    assert_eq!(queue["data"]["sessions"][0]["userTyping"], true);
    app.send_ok(&token, "chat_ty", "msg_ty_2", "sent").await;
    let detail = app.get_ok("/api/admin/chat/session/chat_ty", &agent).await;
    assert_eq!(detail["data"]["userTyping"], false, "sending ends typing");

    for (body, status_code, code) in [
        (json!({ "sessionId": "chat_ty" }), 400, "VALIDATION_ERROR"),
        (
            json!({ "sessionId": "chat_ty", "isTyping": "yes" }),
            400,
            "VALIDATION_ERROR",
        ),
        (
            json!({ "sessionId": "chat_other", "isTyping": true }),
            404,
            "SESSION_NOT_FOUND",
        ),
    ] {
        let (status, answer) = app.post("/api/chat/typing", &token, body).await;
        assert_error(status, &answer, status_code, code);
    }
    let (status, answer) = app
        .post(
            "/api/chat/typing",
            &app.user_token("mallory"),
            json!({ "sessionId": "chat_ty", "isTyping": true }),
        )
        .await;
    assert_error(status, &answer, 404, "SESSION_NOT_FOUND");
    let (_, support) = app.agent("sue@example.com", "support_admin").await;
    let (status, answer) = app
        .post(
            "/api/admin/chat/typing",
            &support,
            json!({ "sessionId": "chat_ty", "isTyping": true }),
        )
        .await;
    assert_error(status, &answer, 403, "FORBIDDEN");
    app.post_ok(
        "/api/chat/session/end",
        &token,
        json!({ "sessionId": "chat_ty" }),
    )
    .await;
    let (status, answer) = app
        .post(
            "/api/chat/typing",
            &token,
            json!({ "sessionId": "chat_ty", "isTyping": true }),
        )
        .await;
    assert_error(status, &answer, 409, "SESSION_ENDED");
}

#[tokio::test]
async fn delivery_and_read_receipts() {
    let app = TestApp::spawn().await;
    let (token, mine) = chat_with_message(&app, "u1", "chat_rr").await;
    let (_, agent) = app.agent("sarah@example.com", "chat_admin").await;
    let first = app.agent_reply(&agent, "chat_rr", "one").await;
    let second = app.agent_reply(&agent, "chat_rr", "two").await;
    let receipts = |detail: &Value| -> Vec<(bool, bool)> {
        detail["data"]["messages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["sender"] == "admin")
            .map(|m| (m["deliveredAt"].is_string(), m["readAt"].is_string()))
            .collect()
    };
    let detail = app.get_ok("/api/admin/chat/session/chat_rr", &agent).await;
    assert_eq!(receipts(&detail), vec![(false, false), (false, false)]);
    let poll = app.poll(&token, "chat_rr", Some(&mine)).await;
    assert_eq!(poll["messages"].as_array().unwrap().len(), 2, "{poll}");
    // Delivery is recorded after the poll answers, so wait for the server to show it.
    wait_until("polling delivered them", || async {
        let detail = app.get_ok("/api/admin/chat/session/chat_rr", &agent).await;
        receipts(&detail) == vec![(true, false), (true, false)]
    })
    .await;
    let (status, body) = app
        .post(
            "/api/chat/read",
            &token,
            json!({ "sessionId": "chat_rr", "upTo": first["messageId"] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["readCount"], 1);
    let detail = app.get_ok("/api/admin/chat/session/chat_rr", &agent).await;
    assert_eq!(receipts(&detail), vec![(true, true), (true, false)]);
    let body = app
        .post_ok(
            "/api/chat/read",
            &token,
            json!({ "sessionId": "chat_rr", "upTo": second["messageId"] }),
        )
        .await;
    assert_eq!(body["data"]["readCount"], 1);
    let body = app
        .post_ok(
            "/api/chat/read",
            &token,
            json!({ "sessionId": "chat_rr", "upTo": second["messageId"] }),
        )
        .await;
    assert_eq!(body["data"]["readCount"], 0, "nothing new to mark");
    for (body, status_code, code) in [
        (
            json!({ "sessionId": "chat_rr", "upTo": "msg_nope" }),
            400,
            "VALIDATION_ERROR",
        ),
        (json!({ "sessionId": "chat_rr" }), 400, "VALIDATION_ERROR"),
        (
            json!({ "sessionId": "chat_rr", "upTo": 5 }),
            400,
            "VALIDATION_ERROR",
        ),
        (
            json!({ "sessionId": "chat_zz", "upTo": "msg_x" }),
            404,
            "SESSION_NOT_FOUND",
        ),
    ] {
        let (status, answer) = app.post("/api/chat/read", &token, body).await;
        assert_error(status, &answer, status_code, code);
    }
    let (status, answer) = app
        .post(
            "/api/chat/read",
            &app.user_token("mallory"),
            json!({ "sessionId": "chat_rr", "upTo": first["messageId"] }),
        )
        .await;
    assert_error(status, &answer, 404, "SESSION_NOT_FOUND");
}
