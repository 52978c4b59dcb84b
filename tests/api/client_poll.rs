//! GET /api/chat/poll/{id}: cursors, limits, status, ownership.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn polls_after_a_cursor_in_order_with_both_sides() {
    let app = TestApp::spawn().await;
    let token = app.user_token("u1");
    app.start_session(&token, Some("chat_p1")).await;
    let (_, agent) = app.agent("sarah@example.com", "chat_admin").await;
    app.send_ok(&token, "chat_p1", "msg_u1", "one").await;
    app.agent_reply(&agent, "chat_p1", "two").await;
    app.send_ok(&token, "chat_p1", "msg_u3", "three").await;

    let poll = app.poll(&token, "chat_p1", Some("msg_u1")).await;
    let texts: Vec<_> = poll["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["message"].clone())
        .collect();
    assert_eq!(
        texts,
        vec![json!("two"), json!("three")],
        "own messages are included"
    );
    assert_eq!(poll["messages"][0]["sender"], "admin");
    assert_eq!(poll["messages"][0]["adminInfo"]["name"], "sarah");
    assert_eq!(poll["messages"][1]["sender"], "user");
    assert!(poll["messages"][1].get("adminInfo").is_none());
    assert_eq!(poll["sessionEnded"], false);
    assert_eq!(poll["sessionStatus"], "active");
    assert_eq!(poll["hasMoreMessages"], false);
    assert_eq!(poll["agentTyping"], false);

    let current = app.poll(&token, "chat_p1", Some("msg_u3")).await;
    assert_eq!(current["messages"], json!([]));
}

#[tokio::test]
async fn limit_defaults_caps_and_reports_more() {
    let app = TestApp::spawn_with(|s| s.rate_limit_max_requests = 1000).await;
    let token = app.user_token("u1");
    app.start_session(&token, Some("chat_lim")).await;
    for i in 0..130 {
        app.send_ok(
            &token,
            "chat_lim",
            &format!("msg_l_{i:03}"),
            &format!("m{i}"),
        )
        .await;
    }
    let first = app.poll(&token, "chat_lim", None).await;
    assert_eq!(first["messages"].as_array().unwrap().len(), 50);
    assert_eq!(first["hasMoreMessages"], true);
    let capped = app
        .get_ok("/api/chat/poll/chat_lim?limit=500", &token)
        .await;
    assert_eq!(capped["data"]["messages"].as_array().unwrap().len(), 100);
    assert_eq!(capped["data"]["hasMoreMessages"], true);
    let tail = app
        .get_ok("/api/chat/poll/chat_lim?after=msg_l_100&limit=100", &token)
        .await;
    assert_eq!(tail["data"]["messages"].as_array().unwrap().len(), 29);
    assert_eq!(tail["data"]["hasMoreMessages"], false);
    for bad in [
        "limit=0",
        "limit=-5",
        "limit=ten",
        "limit=184467440737095516150",
        "wait=-1",
        "wait=abc",
    ] {
        let (status, body) = app
            .get(&format!("/api/chat/poll/chat_lim?{bad}"), &token)
            .await;
        assert_error(status, &body, 400, "VALIDATION_ERROR");
    }
}

#[tokio::test]
async fn an_unknown_cursor_is_400() {
    let app = TestApp::spawn().await;
    let token = app.user_token("u1");
    app.start_session(&token, Some("chat_cur")).await;
    let (status, body) = app
        .get("/api/chat/poll/chat_cur?after=msg_never_sent", &token)
        .await;
    assert_error(status, &body, 400, "INVALID_CURSOR");
    // A message id of another session is not a cursor here either.
    app.start_session(&token, Some("chat_cur2")).await;
    app.send_ok(&token, "chat_cur2", "msg_elsewhere", "x").await;
    let (status, body) = app
        .get("/api/chat/poll/chat_cur?after=msg_elsewhere", &token)
        .await;
    assert_error(status, &body, 400, "INVALID_CURSOR");
}

#[tokio::test]
async fn other_users_and_unknown_sessions_are_404() {
    let app = TestApp::spawn().await;
    let alice = app.user_token("alice");
    app.start_session(&alice, Some("chat_a")).await;
    let bob = app.user_token("bob");
    for path in [
        "/api/chat/poll/chat_a",
        "/api/chat/poll/chat_a?after=anything",
        "/api/chat/poll/chat_none",
        "/api/chat/poll/%3Cscript%3E",
    ] {
        let (status, body) = app.get(path, &bob).await;
        assert_error(status, &body, 404, "SESSION_NOT_FOUND");
    }
}

#[tokio::test]
async fn an_agent_end_shows_in_the_poll_with_its_reason() {
    let app = TestApp::spawn().await;
    let token = app.user_token("u1");
    app.start_session(&token, Some("chat_ae")).await;
    app.send_ok(&token, "chat_ae", "msg_q", "question").await;
    let (_, agent) = app.agent("sarah@example.com", "chat_admin").await;
    app.agent_reply(&agent, "chat_ae", "answer").await;
    let (status, body) = app
        .post(
            "/api/admin/chat/session/end",
            &agent,
            json!({ "sessionId": "chat_ae", "endReason": "Issue resolved" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app.get("/api/chat/poll/chat_ae?after=msg_q", &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["message"], "Session has been ended");
    let data = &body["data"];
    assert_eq!(data["sessionEnded"], true);
    assert_eq!(data["sessionStatus"], "ended_by_admin");
    assert_eq!(data["endReason"], "Issue resolved");
    assert_eq!(
        data["messages"].as_array().unwrap().len(),
        1,
        "the last answer still arrives"
    );
}

#[tokio::test]
async fn polling_marks_agent_messages_delivered() {
    let app = TestApp::spawn().await;
    let token = app.user_token("u1");
    app.start_session(&token, Some("chat_dlv")).await;
    app.send_ok(&token, "chat_dlv", "msg_d1", "hi").await;
    let (_, agent) = app.agent("sarah@example.com", "chat_admin").await;
    app.agent_reply(&agent, "chat_dlv", "hello").await;
    assert_eq!(
        app.count_rows(
            "SELECT COUNT(*) FROM messages WHERE sender = 'admin' AND delivered_at IS NOT NULL"
        ),
        0
    );
    let poll = app.poll(&token, "chat_dlv", Some("msg_d1")).await;
    assert_eq!(poll["messages"][0]["message"], "hello");
    // Delivery is recorded after the poll answers, so wait for it to show.
    wait_until("the reply is marked delivered", || async {
        app.count_rows(
            "SELECT COUNT(*) FROM messages WHERE sender = 'admin' AND delivered_at IS NOT NULL",
        ) == 1
    })
    .await;
}

#[tokio::test]
async fn a_restart_loses_nothing_the_hub_said() {
    let app = TestApp::spawn().await;
    let token = app.user_token("u1");
    app.start_session(&token, Some("chat_rs")).await;
    app.send_ok(&token, "chat_rs", "msg_rs1", "before the restart")
        .await;
    let (_, agent) = app.agent("sarah@example.com", "chat_admin").await;
    let reply = app.agent_reply(&agent, "chat_rs", "answer").await;
    let shown = app.poll(&token, "chat_rs", Some("msg_rs1")).await;
    assert_eq!(shown["messages"][0]["messageId"], reply["messageId"]);
    let dir = app.stop().await;
    let app = TestApp::spawn_in(dir, |_| {}).await;
    let again = app.poll(&token, "chat_rs", Some("msg_rs1")).await;
    assert_eq!(again["messages"], shown["messages"]);
    let current = app
        .poll(&token, "chat_rs", reply["messageId"].as_str())
        .await;
    assert_eq!(current["messages"], json!([]));
}
