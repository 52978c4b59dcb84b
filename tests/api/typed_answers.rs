//! The exact keys of each answer's `data`, so that a misspelt or dropped key fails, and
//! table-driven bad input for each validated field.

use std::collections::BTreeSet;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

fn keys(value: &Value) -> BTreeSet<String> {
    value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"))
        .keys()
        .cloned()
        .collect()
}

fn assert_keys(what: &str, value: &Value, expected: &[&str]) {
    let want: BTreeSet<String> = expected.iter().map(|k| k.to_string()).collect();
    assert_eq!(keys(value), want, "{what}: {value}");
}

#[tokio::test]
async fn client_answers_have_exactly_their_keys() {
    let app = TestApp::spawn().await;
    let token = app.user_token("u1");
    let start = app.start_session(&token, Some("chat_k1")).await;
    assert_keys(
        "start",
        &start,
        &[
            "sessionId",
            "status",
            "createdAt",
            "estimatedWaitTime",
            "queuePosition",
            "pollIntervalSeconds",
            "personaId",
        ],
    );
    let sent = app.send_ok(&token, "chat_k1", "msg_k1", "hello").await;
    assert_keys(
        "send",
        &sent,
        &[
            "messageId",
            "status",
            "timestamp",
            "deliveredAt",
            "duplicate",
        ],
    );
    let poll = app.get_ok("/api/chat/poll/chat_k1", &token).await;
    assert_keys(
        "poll",
        &poll["data"],
        &[
            "messages",
            "sessionEnded",
            "sessionStatus",
            "hasMoreMessages",
            "agentTyping",
        ],
    );
    let message_keys = [
        "messageId",
        "message",
        "sender",
        "timestamp",
        "messageType",
        "attachments",
    ];
    let polled = poll["data"]["messages"].as_array().unwrap();
    let mine = polled.iter().find(|m| m["messageId"] == "msg_k1").unwrap();
    assert_keys("poll message", mine, &message_keys);
    let page = app.get_ok("/api/chat/messages/chat_k1", &token).await;
    assert_keys("messages", &page["data"], &["messages", "pagination"]);
    assert_keys(
        "messages pagination",
        &page["data"]["pagination"],
        &[
            "currentPage",
            "totalPages",
            "hasNext",
            "hasPrevious",
            "totalMessages",
        ],
    );
    let typing = app
        .post_ok(
            "/api/chat/typing",
            &token,
            json!({ "sessionId": "chat_k1", "isTyping": true }),
        )
        .await;
    assert_keys("typing", &typing["data"], &[]);
    let personas = app.get_ok("/api/chat/personas", &token).await;
    assert_keys("personas", &personas["data"], &["personas"]);
    let ended = app
        .post_ok(
            "/api/chat/session/end",
            &token,
            json!({ "sessionId": "chat_k1" }),
        )
        .await;
    assert_keys(
        "end",
        &ended["data"],
        &[
            "sessionId",
            "status",
            "endTime",
            "duration",
            "messageCount",
            "endedBy",
            "endReason",
        ],
    );
    let rated = app
        .post_ok(
            "/api/chat/rating",
            &token,
            json!({ "sessionId": "chat_k1", "rating": 5, "categories": ["speed"] }),
        )
        .await;
    assert_keys(
        "rating",
        &rated["data"],
        &[
            "ratingId",
            "sessionId",
            "rating",
            "feedback",
            "categories",
            "submittedAt",
        ],
    );
    let history = app.get_ok("/api/chat/history", &token).await;
    assert_keys("history", &history["data"], &["sessions", "pagination"]);
    assert_keys(
        "history session",
        &history["data"]["sessions"][0],
        &[
            "sessionId",
            "startTime",
            "endTime",
            "status",
            "channel",
            "rating",
            "feedback",
            "messageCount",
            "duration",
            "adminInfo",
            "lastMessage",
        ],
    );
    assert!(
        history["data"]["pagination"]["totalSessions"].is_i64(),
        "{history}"
    );

    let erased = app.delete_ok("/api/chat/me", &token).await;
    assert_keys(
        "erase me",
        &erased["data"],
        &[
            "userId",
            "isGuest",
            "chatsErased",
            "messagesErased",
            "filesErased",
            "devicesForgotten",
        ],
    );
}

#[tokio::test]
async fn admin_answers_have_exactly_their_keys() {
    let app = TestApp::spawn().await;
    let (_, agent) = app.agent("ann@example.com", "super_admin").await;
    let token = app.user_token("u1");
    app.start_session(&token, Some("chat_k2")).await;
    app.send_ok(&token, "chat_k2", "msg_k2", "hi").await;
    let me = app.get_ok("/api/admin/me", &agent).await;
    assert_keys(
        "me.admin",
        &me["data"]["admin"],
        &[
            "id",
            "email",
            "name",
            "role",
            "department",
            "isOnline",
            "activeChatSessions",
            "maxConcurrentChats",
            "disabled",
            "lastSeenAt",
            "createdAt",
        ],
    );
    let session_keys = [
        "sessionId",
        "userId",
        "userInfo",
        "isGuest",
        "personaId",
        "status",
        "assignedAgentId",
        "assignedAt",
        "priorityOverride",
        "createdAt",
        "endedAt",
        "endedBy",
        "endReason",
        "totalMessages",
        "lastActivity",
        "waitingSince",
        "metadata",
        "channel",
        "context",
    ];
    let active = app.get_ok("/api/admin/chat/active-sessions", &agent).await;
    assert_keys("active", &active["data"], &["sessions", "total"]);
    let mut queue_keys = session_keys.to_vec();
    queue_keys.extend([
        "persona",
        "assignedAgent",
        "timeSinceLastMessage",
        "waitingSeconds",
        "priority",
        "waitPriority",
        "isAdminActive",
        "awaitingReply",
        "unreadCount",
        "lastMessage",
        "userTyping",
        "labels",
    ]);
    assert_keys("queue entry", &active["data"]["sessions"][0], &queue_keys);
    let sent = app.agent_reply(&agent, "chat_k2", "hello").await;
    assert_keys(
        "agent send",
        &sent,
        &[
            "messageId",
            "status",
            "timestamp",
            "shownAs",
            "sendAs",
            "duplicate",
        ],
    );
    let detail = app.get_ok("/api/admin/chat/session/chat_k2", &agent).await;
    let mut detail_keys = session_keys.to_vec();
    detail_keys.extend([
        "persona",
        "assignedAgent",
        "messages",
        "notes",
        "rating",
        "earlierSessions",
        "labels",
        "userTyping",
        "unreadCount",
    ]);
    assert_keys("detail", &detail["data"], &detail_keys);
    assert_keys(
        "detail message",
        &detail["data"]["messages"][0],
        &[
            "messageId",
            "message",
            "sender",
            "messageType",
            "timestamp",
            "clientTimestamp",
            "shownAs",
            "sendAs",
            "agentId",
            "agentName",
            "deliveredAt",
            "readAt",
            "attachments",
        ],
    );

    let erased = app.delete_ok("/api/admin/users/u1", &agent).await;
    assert_keys(
        "erase a person",
        &erased["data"],
        &[
            "userId",
            "isGuest",
            "chatsErased",
            "messagesErased",
            "filesErased",
            "devicesForgotten",
        ],
    );
}

#[tokio::test]
async fn bad_input_is_refused_with_its_field() {
    let app = TestApp::spawn().await;
    let token = app.user_token("u1");
    let huge = "x".repeat(10_000);
    let cases: Vec<(Value, &str)> = vec![
        (json!({ "metadata": "text" }), "metadata"),
        (json!({ "metadata": [1, 2] }), "metadata"),
        (json!({ "metadata": { "x": huge } }), "metadata"),
        (json!({ "startTime": 12 }), ""),
        (json!({ "startTime": "yesterday" }), "startTime"),
        (json!({ "startTime": huge }), "startTime"),
        (
            json!({ "userInfo": { "email": "no-at-sign" } }),
            "userInfo.email",
        ),
        (
            json!({ "userInfo": { "email": "<script>@x" } }),
            "userInfo.email",
        ),
        (json!({ "userInfo": { "email": huge } }), "userInfo.email"),
    ];
    for (body, field) in cases {
        let (status, answer) = app.post("/api/chat/session", &token, body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        if !field.is_empty() {
            assert_eq!(
                answer["error"]["details"]["field"], field,
                "{body}: {answer}"
            );
        }
    }
    app.start_session(&token, Some("chat_b1")).await;
    app.post_ok(
        "/api/chat/session/end",
        &token,
        json!({ "sessionId": "chat_b1" }),
    )
    .await;
    for rating in [
        json!(0),
        json!(6),
        json!(4.5),
        json!("5"),
        json!(u64::MAX),
        json!(1e300),
        json!(null),
    ] {
        let (status, answer) = app
            .post(
                "/api/chat/rating",
                &token,
                json!({ "sessionId": "chat_b1", "rating": rating }),
            )
            .await;
        assert_error(status, &answer, 400, "INVALID_RATING");
    }
    // A bad client timestamp on a rating is refused and rates nothing.
    for stamp in [json!("yesterday"), json!(12), json!(huge)] {
        let (status, answer) = app
            .post(
                "/api/chat/rating",
                &token,
                json!({ "sessionId": "chat_b1", "rating": 5, "timestamp": stamp }),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{stamp}: {answer}");
    }
    app.post_ok(
        "/api/chat/rating",
        &token,
        json!({ "sessionId": "chat_b1", "rating": 4 }),
    )
    .await;

    // A bad client timestamp on a send is refused and stores nothing.
    app.start_session(&token, Some("chat_b2")).await;
    for stamp in [json!("yesterday"), json!(12), json!(huge)] {
        let (status, answer) = app
            .post(
                "/api/chat/message",
                &token,
                json!({ "sessionId": "chat_b2", "messageId": "msg_b2", "message": "hi", "timestamp": stamp }),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{stamp}: {answer}");
    }
    let poll = app.get_ok("/api/chat/poll/chat_b2", &token).await;
    let stored: Vec<&Value> = poll["data"]["messages"]
        .as_array()
        .expect("poll lists messages")
        .iter()
        .filter(|m| m["messageId"] == "msg_b2")
        .collect();
    assert!(stored.is_empty(), "a refused send stored nothing: {poll}");
}
