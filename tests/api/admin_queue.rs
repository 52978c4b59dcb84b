//! The live queue: fields, waiting time, priority tiers (with a controllable clock), manual
//! priority, ordering, unread counts.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

async fn queue(app: &TestApp, token: &str) -> Vec<Value> {
    let (status, body) = app.get("/api/admin/chat/active-sessions", token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["data"]["sessions"].as_array().unwrap().clone()
}

fn find<'a>(entries: &'a [Value], id: &str) -> &'a Value {
    entries
        .iter()
        .find(|e| e["sessionId"] == id)
        .unwrap_or_else(|| panic!("{id} in queue"))
}

#[tokio::test]
async fn every_field_of_an_entry() {
    let app = TestApp::spawn().await;
    let (_, agent) = app.agent("sarah@example.com", "chat_admin").await;
    let user = app.user_token("u1");
    app.post_ok(
        "/api/chat/session",
        &user,
        json!({ "sessionId": "chat_q1", "userInfo": { "name": "Ann", "phone": "+1" }, "metadata": { "plan": "gold" } }),
    )
    .await;
    app.send_ok(&user, "chat_q1", "msg_q1", "first question")
        .await;
    app.clock.advance(Duration::from_secs(90));
    app.send_ok(&user, "chat_q1", "msg_q2", "second question")
        .await;
    let entries = queue(&app, &agent).await;
    let e = find(&entries, "chat_q1");
    assert_eq!(e["userInfo"]["name"], "Ann");
    assert_eq!(e["userInfo"]["email"], "u1@example.com", "from the token");
    assert_eq!(e["status"], "active");
    assert_eq!(e["persona"], Value::Null);
    assert_eq!(e["assignedAgent"], Value::Null);
    assert_eq!(e["awaitingReply"], true);
    assert_eq!(e["isAdminActive"], false);
    assert_eq!(e["totalMessages"], 2);
    assert_eq!(e["unreadCount"], 2);
    assert_eq!(e["lastMessage"], "second question");
    assert_eq!(e["timeSinceLastMessage"], "just now");
    assert!(
        e["waitingSeconds"].as_i64().unwrap() >= 90,
        "from the oldest unanswered message: {e}"
    );
    assert!(e["waitingSince"].as_str().unwrap() < e["lastActivity"].as_str().unwrap());
    assert_eq!(e["priority"], "low");
    assert_eq!(e["metadata"]["plan"], "gold");

    // Opening the chat marks it read; an answer stops the wait.
    app.get_ok("/api/admin/chat/session/chat_q1", &agent).await;
    app.agent_reply(&agent, "chat_q1", "on it").await;
    let entries = queue(&app, &agent).await;
    let e = find(&entries, "chat_q1");
    assert_eq!(e["unreadCount"], 0);
    assert_eq!(e["awaitingReply"], false);
    assert_eq!(e["waitingSince"], Value::Null);
    assert_eq!(e["waitingSeconds"], 0);
    assert_eq!(e["assignedAgent"]["name"], "sarah", "replying assigned it");
    assert_eq!(e["isAdminActive"], true);
    app.clock.advance(Duration::from_secs(180));
    assert_eq!(
        find(&queue(&app, &agent).await, "chat_q1")["timeSinceLastMessage"],
        "3m ago"
    );
}

#[tokio::test]
async fn priority_rises_with_the_wait_and_the_queue_is_most_urgent_first() {
    let app = TestApp::spawn_with(|s| s.session_timeout = Duration::from_secs(24 * 3600)).await;
    let (_, agent) = app.agent("sarah@example.com", "chat_admin").await;
    let user = app.user_token("u1");
    // Oldest first: chat_t0 waits longest.
    for (i, id) in ["chat_t0", "chat_t1", "chat_t2", "chat_t3", "chat_t4"]
        .iter()
        .enumerate()
    {
        app.start_session(&app.user_token(&format!("user{i}")), Some(id))
            .await;
        app.send_ok(
            &app.user_token(&format!("user{i}")),
            id,
            &format!("msg_t{i}"),
            "help",
        )
        .await;
        app.clock.advance(Duration::from_secs(60));
    }
    let _ = user;
    // Waits now: t0 5m, t1 4m, t2 3m, t3 2m, t4 1m.
    let tiers = |entries: &[Value]| -> Vec<(String, String)> {
        entries
            .iter()
            .map(|e| {
                (
                    e["sessionId"].as_str().unwrap().to_string(),
                    e["priority"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let entries = queue(&app, &agent).await;
    assert_eq!(find(&entries, "chat_t0")["priority"], "medium");
    assert_eq!(find(&entries, "chat_t1")["priority"], "low");
    assert_eq!(entries[0]["sessionId"], "chat_t0");
    app.clock.advance(Duration::from_secs(11 * 60)); // t0 16m, t1 15m, t2 14m
    let entries = queue(&app, &agent).await;
    assert_eq!(find(&entries, "chat_t0")["priority"], "high");
    assert_eq!(find(&entries, "chat_t1")["priority"], "high");
    assert_eq!(find(&entries, "chat_t2")["priority"], "medium");
    app.clock.advance(Duration::from_secs(14 * 60)); // t0 30m
    let entries = queue(&app, &agent).await;
    assert_eq!(
        tiers(&entries),
        vec![
            ("chat_t0".into(), "urgent".into()),
            ("chat_t1".into(), "high".into()),
            ("chat_t2".into(), "high".into()),
            ("chat_t3".into(), "high".into()),
            ("chat_t4".into(), "high".into()),
        ]
    );

    // A manual override wins, and clears back to the wait tier.
    let (status, body) = app
        .put(
            "/api/admin/chat/session/chat_t4/priority",
            &agent,
            json!({ "priority": "urgent" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.put_ok(
        "/api/admin/chat/session/chat_t0/priority",
        &agent,
        json!({ "priority": "low" }),
    )
    .await;
    let entries = queue(&app, &agent).await;
    assert_eq!(
        entries[0]["sessionId"], "chat_t4",
        "t4 is urgent by override; t0 (overridden to low) drops to the end"
    );
    assert_eq!(entries.last().unwrap()["sessionId"], "chat_t0");
    assert_eq!(find(&entries, "chat_t0")["waitPriority"], "urgent");
    app.put_ok(
        "/api/admin/chat/session/chat_t0/priority",
        &agent,
        json!({ "priority": null }),
    )
    .await;
    assert_eq!(queue(&app, &agent).await[0]["sessionId"], "chat_t0");

    for bad in [
        json!({ "priority": "asap" }),
        json!({ "priority": 3 }),
        json!({}),
    ] {
        let (status, body) = app
            .put("/api/admin/chat/session/chat_t0/priority", &agent, bad)
            .await;
        assert_error(status, &body, 400, "VALIDATION_ERROR");
    }
    let (status, body) = app
        .put(
            "/api/admin/chat/session/chat_nope/priority",
            &agent,
            json!({ "priority": "high" }),
        )
        .await;
    assert_error(status, &body, 404, "SESSION_NOT_FOUND");
}

#[tokio::test]
async fn thresholds_are_configurable() {
    let app = TestApp::spawn_with(|s| {
        s.priority.medium_minutes = 1;
        s.priority.high_minutes = 2;
        s.priority.urgent_minutes = 3;
    })
    .await;
    let (_, agent) = app.agent("sarah@example.com", "chat_admin").await;
    let user = app.user_token("u1");
    app.start_session(&user, Some("chat_cfg")).await;
    app.send_ok(&user, "chat_cfg", "msg_cfg", "help").await;
    for (minutes, tier) in [(0, "low"), (1, "medium"), (1, "high"), (1, "urgent")] {
        app.clock.advance(Duration::from_secs(minutes * 60));
        assert_eq!(
            find(&queue(&app, &agent).await, "chat_cfg")["priority"],
            tier
        );
    }
}

#[tokio::test]
async fn ended_and_expired_chats_leave_the_queue() {
    let app = TestApp::spawn().await;
    let (_, agent) = app.agent("sarah@example.com", "chat_admin").await;
    let user = app.user_token("u1");
    app.start_session(&user, Some("chat_gone1")).await;
    app.start_session(&app.user_token("u2"), Some("chat_gone2"))
        .await;
    app.post_ok(
        "/api/chat/session/end",
        &user,
        json!({ "sessionId": "chat_gone1" }),
    )
    .await;
    assert_eq!(queue(&app, &agent).await.len(), 1);
    app.clock.advance(Duration::from_secs(31 * 60));
    assert!(
        queue(&app, &agent).await.is_empty(),
        "silent past the timeout"
    );
}

#[tokio::test]
async fn stats_sum_up_the_queue() {
    let app = TestApp::spawn_with(|s| s.session_timeout = Duration::from_secs(24 * 3600)).await;
    let (_, agent) = app.agent("sarah@example.com", "chat_admin").await;
    for i in 0..3 {
        let user = app.user_token(&format!("s{i}"));
        let id = format!("chat_s{i}");
        app.start_session(&user, Some(&id)).await;
        app.send_ok(&user, &id, &format!("msg_s{i}"), "hello").await;
    }
    app.clock.advance(Duration::from_secs(16 * 60));
    app.agent_reply(&agent, "chat_s0", "hi").await;
    let (status, body) = app.get("/api/admin/stats", &agent).await;
    assert_eq!(status, StatusCode::OK);
    let s = &body["data"];
    assert_eq!(s["totalActiveSessions"], 3);
    assert_eq!(s["sessionsWaitingForResponse"], 2);
    assert_eq!(s["highPrioritySessions"], 2);
    assert_eq!(s["onlineAdmins"], 1);
    assert!(s["messagesHandledToday"].as_i64().unwrap() >= 1);
    assert!(s["averageResponseTime"].as_i64().unwrap() >= 16 * 60);
}
