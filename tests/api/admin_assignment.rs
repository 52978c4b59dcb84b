//! Assignment: assign, capacity, races, release, transfer, end, reply-assigns, auto-assignment
//! and reassignment of silent chats.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

async fn assigned_to(app: &TestApp, session: &str) -> Option<String> {
    app.db().text(&format!(
        "SELECT assigned_agent_id FROM sessions WHERE id = '{session}'"
    ))
}

async fn set_capacity(app: &TestApp, root: &str, agent_id: &str, capacity: i64) {
    let (status, body) = app
        .put(
            &format!("/api/admin/agents/{agent_id}"),
            root,
            json!({ "maxConcurrentChats": capacity }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

async fn open_chats(app: &TestApp, ids: &[&str]) {
    for (i, id) in ids.iter().enumerate() {
        let user = app.user_token(&format!("user_{i}_{id}"));
        app.start_session(&user, Some(id)).await;
        app.send_ok(&user, id, &format!("msg_{id}"), "help please")
            .await;
    }
}

#[tokio::test]
async fn assign_to_self_or_another_and_capacity_is_enforced() {
    let app = TestApp::spawn().await;
    let (_, root) = app.agent("root@example.com", "super_admin").await;
    let (ann_id, ann) = app.agent("ann@example.com", "chat_admin").await;
    let (bob_id, _) = app.agent("bob@example.com", "chat_admin").await;
    set_capacity(&app, &root, &ann_id, 1).await;
    open_chats(&app, &["chat_a1", "chat_a2", "chat_a3"]).await;

    let (status, body) = app
        .post(
            "/api/admin/chat/session/assign",
            &ann,
            json!({ "sessionId": "chat_a1" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["assignedAgentId"], ann_id.as_str());
    let (status, body) = app
        .post(
            "/api/admin/chat/session/assign",
            &ann,
            json!({ "sessionId": "chat_a1" }),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "assigning what you hold is a no-op: {body}"
    );
    let (status, body) = app
        .post(
            "/api/admin/chat/session/assign",
            &ann,
            json!({ "sessionId": "chat_a2" }),
        )
        .await;
    assert_error(status, &body, 409, "AGENT_AT_CAPACITY");
    assert_eq!(assigned_to(&app, "chat_a2").await, None);

    let (status, body) = app
        .post(
            "/api/admin/chat/session/assign",
            &ann,
            json!({ "sessionId": "chat_a2", "adminId": bob_id }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        assigned_to(&app, "chat_a2").await.as_deref(),
        Some(bob_id.as_str())
    );
    let (status, body) = app
        .post(
            "/api/admin/chat/session/assign",
            &root,
            json!({ "sessionId": "chat_a2" }),
        )
        .await;
    assert_error(status, &body, 409, "ALREADY_ASSIGNED");

    let sue = app
        .create_agent("sue@example.com", "Sue", "support_admin")
        .await;
    let (status, body) = app
        .post(
            "/api/admin/chat/session/assign",
            &root,
            json!({ "sessionId": "chat_a3", "adminId": sue }),
        )
        .await;
    assert_error(status, &body, 400, "VALIDATION_ERROR");
    for (body, status_code, code) in [
        (
            json!({ "sessionId": "chat_a3", "adminId": "agt_missing" }),
            404,
            "NOT_FOUND",
        ),
        (
            json!({ "sessionId": "chat_missing" }),
            404,
            "SESSION_NOT_FOUND",
        ),
        (json!({}), 400, "VALIDATION_ERROR"),
        (json!({ "sessionId": 7 }), 400, "VALIDATION_ERROR"),
        (
            json!({ "sessionId": "chat_a3", "adminId": ["x"] }),
            400,
            "VALIDATION_ERROR",
        ),
    ] {
        let (status, answer) = app
            .post("/api/admin/chat/session/assign", &root, body)
            .await;
        assert_error(status, &answer, status_code, code);
    }
    assert_eq!(assigned_to(&app, "chat_a3").await, None);
}

#[tokio::test]
async fn two_agents_grabbing_one_chat_at_once_one_wins() {
    let app = TestApp::spawn().await;
    let mut tokens = Vec::new();
    for i in 0..6 {
        tokens.push(
            app.agent(&format!("agent{i}@example.com"), "chat_admin")
                .await
                .1,
        );
    }
    for round in 0..5 {
        let id = format!("chat_race_{round}");
        open_chats(&app, &[&id]).await;
        let grabs = tokens.iter().map(|t| {
            app.post(
                "/api/admin/chat/session/assign",
                t,
                json!({ "sessionId": id }),
            )
        });
        let answers = futures_util::future::join_all(grabs).await;
        let winners = answers.iter().filter(|(s, _)| *s == StatusCode::OK).count();
        let losers: Vec<&Value> = answers
            .iter()
            .filter(|(s, _)| *s == StatusCode::CONFLICT)
            .map(|(_, b)| b)
            .collect();
        assert_eq!(winners, 1, "round {round}: {answers:?}");
        assert_eq!(losers.len(), 5);
        assert!(
            losers
                .iter()
                .all(|b| b["error"]["code"] == "ALREADY_ASSIGNED")
        );
    }
}

#[tokio::test]
async fn release_is_for_the_holder_or_a_super_admin() {
    let app = TestApp::spawn().await;
    let (_, root) = app.agent("root@example.com", "super_admin").await;
    let (_, ann) = app.agent("ann@example.com", "chat_admin").await;
    let (_, bob) = app.agent("bob@example.com", "chat_admin").await;
    open_chats(&app, &["chat_r1"]).await;
    app.post_ok(
        "/api/admin/chat/session/assign",
        &ann,
        json!({ "sessionId": "chat_r1" }),
    )
    .await;
    let (status, body) = app
        .post(
            "/api/admin/chat/session/release",
            &bob,
            json!({ "sessionId": "chat_r1" }),
        )
        .await;
    assert_error(status, &body, 403, "FORBIDDEN");
    assert!(assigned_to(&app, "chat_r1").await.is_some());
    let (status, _) = app
        .post(
            "/api/admin/chat/session/release",
            &ann,
            json!({ "sessionId": "chat_r1" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(assigned_to(&app, "chat_r1").await, None);
    app.post_ok(
        "/api/admin/chat/session/assign",
        &bob,
        json!({ "sessionId": "chat_r1" }),
    )
    .await;
    let (status, _) = app
        .post(
            "/api/admin/chat/session/release",
            &root,
            json!({ "sessionId": "chat_r1" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = app
        .post(
            "/api/admin/chat/session/release",
            &root,
            json!({ "sessionId": "chat_nope" }),
        )
        .await;
    assert_error(status, &body, 404, "SESSION_NOT_FOUND");
}

#[tokio::test]
async fn transfer_checks_the_target_and_keeps_the_note() {
    let app = TestApp::spawn().await;
    let (root_id, root) = app.agent("root@example.com", "super_admin").await;
    let (ann_id, ann) = app.agent("ann@example.com", "chat_admin").await;
    let (bob_id, bob) = app.agent("bob@example.com", "chat_admin").await;
    let (gone_id, _) = app.agent("gone@example.com", "chat_admin").await;
    app.delete_ok(&format!("/api/admin/agents/{gone_id}"), &root)
        .await;
    open_chats(&app, &["chat_x1", "chat_x2"]).await;
    app.post_ok(
        "/api/admin/chat/session/assign",
        &ann,
        json!({ "sessionId": "chat_x1" }),
    )
    .await;

    for (to, status_code, code) in [
        (gone_id.as_str(), 409, "CONFLICT"),
        ("agt_missing", 404, "NOT_FOUND"),
    ] {
        let (status, body) = app
            .post(
                "/api/admin/chat/session/transfer",
                &ann,
                json!({ "sessionId": "chat_x1", "toAdminId": to }),
            )
            .await;
        assert_error(status, &body, status_code, code);
    }
    let (status, body) = app
        .post(
            "/api/admin/chat/session/transfer",
            &bob,
            json!({ "sessionId": "chat_x1", "toAdminId": bob_id }),
        )
        .await;
    assert_error(status, &body, 403, "FORBIDDEN");
    let (status, body) = app
        .post(
            "/api/admin/chat/session/transfer",
            &ann,
            json!({ "sessionId": "chat_x1", "toAdminId": bob_id, "note": "x".repeat(2001) }),
        )
        .await;
    assert_error(status, &body, 400, "VALIDATION_ERROR");
    set_capacity(&app, &root, &bob_id, 0).await;
    let (status, body) = app
        .post(
            "/api/admin/chat/session/transfer",
            &ann,
            json!({ "sessionId": "chat_x1", "toAdminId": bob_id }),
        )
        .await;
    assert_error(status, &body, 409, "AGENT_AT_CAPACITY");
    assert_eq!(
        assigned_to(&app, "chat_x1").await.as_deref(),
        Some(ann_id.as_str())
    );

    set_capacity(&app, &root, &bob_id, 5).await;
    let (status, body) = app
        .post(
            "/api/admin/chat/session/transfer",
            &ann,
            json!({ "sessionId": "chat_x1", "toAdminId": bob_id, "note": "Billing question, <b>VIP</b>" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        assigned_to(&app, "chat_x1").await.as_deref(),
        Some(bob_id.as_str())
    );
    let detail = app.get_ok("/api/admin/chat/session/chat_x1", &bob).await;
    let note = detail["data"]["notes"][0]["note"].as_str().unwrap();
    assert!(note.contains("Billing question, <b>VIP</b>"), "{note}");
    // A super admin may move anyone's chat.
    let (status, _) = app
        .post(
            "/api/admin/chat/session/transfer",
            &root,
            json!({ "sessionId": "chat_x1", "toAdminId": root_id }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn replying_to_an_unassigned_chat_takes_it_within_capacity() {
    let app = TestApp::spawn().await;
    let (_, root) = app.agent("root@example.com", "super_admin").await;
    let (ann_id, ann) = app.agent("ann@example.com", "chat_admin").await;
    let (_, bob) = app.agent("bob@example.com", "chat_admin").await;
    open_chats(&app, &["chat_y1", "chat_y2"]).await;
    app.agent_reply(&ann, "chat_y1", "hello").await;
    assert_eq!(
        assigned_to(&app, "chat_y1").await.as_deref(),
        Some(ann_id.as_str())
    );
    // Someone else answering a held chat does not take it.
    app.agent_reply(&bob, "chat_y1", "stepping in").await;
    assert_eq!(
        assigned_to(&app, "chat_y1").await.as_deref(),
        Some(ann_id.as_str())
    );
    set_capacity(&app, &root, &ann_id, 1).await;
    let (status, body) = app
        .post(
            "/api/admin/chat/message",
            &ann,
            json!({ "sessionId": "chat_y2", "message": "hi" }),
        )
        .await;
    assert_error(status, &body, 409, "AGENT_AT_CAPACITY");
    assert_eq!(
        app.count_rows(
            "SELECT COUNT(*) FROM messages WHERE session_id = 'chat_y2' AND sender = 'admin'"
        ),
        0
    );
}

#[tokio::test]
async fn agents_end_chats_with_a_reason() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.agent("ann@example.com", "chat_admin").await;
    open_chats(&app, &["chat_z1"]).await;
    let (status, body) = app
        .post(
            "/api/admin/chat/session/end",
            &ann,
            json!({ "sessionId": "chat_z1", "endReason": "Resolved <ok>" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["status"], "ended_by_admin");
    assert_eq!(body["data"]["endedBy"], "admin");
    assert_eq!(body["data"]["endReason"], "Resolved <ok>");
    let (status, again) = app
        .post(
            "/api/admin/chat/session/end",
            &ann,
            json!({ "sessionId": "chat_z1", "endReason": "twice" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        again["data"]["endReason"], "Resolved <ok>",
        "the first end stands"
    );
    let (status, body) = app
        .post(
            "/api/admin/chat/message",
            &ann,
            json!({ "sessionId": "chat_z1", "message": "late" }),
        )
        .await;
    assert_error(status, &body, 409, "SESSION_ENDED");
    let (status, body) = app
        .post(
            "/api/admin/chat/session/end",
            &ann,
            json!({ "sessionId": "chat_z2", "endReason": "x" }),
        )
        .await;
    assert_error(status, &body, 404, "SESSION_NOT_FOUND");
    let (status, body) = app
        .post(
            "/api/admin/chat/session/end",
            &ann,
            json!({ "sessionId": "chat_z1", "endReason": "r".repeat(501) }),
        )
        .await;
    assert_error(status, &body, 400, "VALIDATION_ERROR");
}

#[tokio::test]
async fn auto_assignment_goes_round_robin_and_waits_for_agents() {
    let app = TestApp::spawn_with(|s| s.auto_assign = true).await;
    open_chats(&app, &["chat_w1", "chat_w2"]).await;
    // Nobody online: a hand-out assigns nothing and the chats wait.
    assert_eq!(app.hand_out_now().await, 0);
    assert_eq!(assigned_to(&app, "chat_w1").await, None);
    assert_eq!(assigned_to(&app, "chat_w2").await, None);
    // An agent comes online: waiting chats are handed out.
    let (ann_id, _) = app.agent("ann@example.com", "chat_admin").await;
    wait_until("ann gets both waiting chats", || async {
        assigned_to(&app, "chat_w1").await.as_deref() == Some(ann_id.as_str())
            && assigned_to(&app, "chat_w2").await.as_deref() == Some(ann_id.as_str())
    })
    .await;
    let (bob_id, _) = app.agent("bob@example.com", "chat_admin").await;
    open_chats(&app, &["chat_w3", "chat_w4", "chat_w5"]).await;
    wait_until("the three new chats are handed out", || async {
        let mut n = 0;
        for id in ["chat_w3", "chat_w4", "chat_w5"] {
            n += assigned_to(&app, id).await.is_some() as i32;
        }
        n == 3
    })
    .await;
    let bobs = app.count_rows(&format!(
        "SELECT COUNT(*) FROM sessions WHERE assigned_agent_id = '{bob_id}'"
    ));
    let anns = app.count_rows(&format!(
        "SELECT COUNT(*) FROM sessions WHERE assigned_agent_id = '{ann_id}'"
    ));
    assert_eq!(
        (anns, bobs),
        (3, 2),
        "round robin: bob (never assigned) first, then alternating"
    );
    assert_eq!(
        app.count_rows("SELECT COUNT(*) FROM audit_events WHERE action = 'auto_assign'"),
        5
    );
}

#[tokio::test]
async fn a_silent_agents_chat_goes_back_to_the_queue() {
    let app = TestApp::spawn_with(|s| {
        s.reassign_after = Some(Duration::from_secs(10 * 60));
        s.session_timeout = Duration::from_secs(24 * 3600);
    })
    .await;
    let (ann_id, ann) = app.agent("ann@example.com", "chat_admin").await;
    open_chats(&app, &["chat_s1", "chat_s2"]).await;
    app.post_ok(
        "/api/admin/chat/session/assign",
        &ann,
        json!({ "sessionId": "chat_s1" }),
    )
    .await;
    app.post_ok(
        "/api/admin/chat/session/assign",
        &ann,
        json!({ "sessionId": "chat_s2" }),
    )
    .await;
    app.clock.advance(Duration::from_secs(5 * 60));
    app.agent_reply(&ann, "chat_s2", "here").await;
    app.clock.advance(Duration::from_secs(6 * 60));
    app.maintenance().await;
    assert_eq!(
        assigned_to(&app, "chat_s1").await,
        None,
        "11 minutes without an answer"
    );
    assert_eq!(
        assigned_to(&app, "chat_s2").await.as_deref(),
        Some(ann_id.as_str()),
        "answered, nobody waiting"
    );
    assert_eq!(
        app.count_rows("SELECT COUNT(*) FROM audit_events WHERE action = 'auto_release'"),
        1
    );
}
