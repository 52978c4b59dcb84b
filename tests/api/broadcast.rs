//! `POST /api/admin/chat/broadcast`: a system message into every active chat, super admins
//! only, audited, retry-safe; bad input changes nothing. (Socket.IO's `admin_broadcast` is in
//! socketio::admin, the dashboard page in dashboard::broadcast.)

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

const BROADCAST: &str = "/api/admin/chat/broadcast";

fn broadcast_rows(app: &TestApp) -> i64 {
    app.count_rows("SELECT COUNT(*) FROM messages WHERE sender = 'system' AND body LIKE 'Notice:%'")
}

fn audited(app: &TestApp) -> i64 {
    app.count_rows("SELECT COUNT(*) FROM audit_events WHERE action = 'broadcast'")
}

/// The messages of a poll whose text is `text`.
fn with_text<'a>(poll: &'a Value, text: &str) -> Vec<&'a Value> {
    poll["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["message"] == text)
        .collect()
}

#[tokio::test]
async fn every_active_chat_gets_the_message_once_and_it_is_audited() {
    let app = TestApp::spawn().await;
    let (root_id, root) = app.agent("root@example.com", "super_admin").await;
    let (ann, bob, cid) = (
        app.user_token("ann"),
        app.user_token("bob"),
        app.user_token("cid"),
    );
    app.start_session(&ann, Some("chat_b_ann")).await;
    app.start_session(&bob, Some("chat_b_bob")).await;
    app.start_session(&cid, Some("chat_b_cid")).await;
    let (status, body) = app
        .post(
            "/api/chat/session/end",
            &cid,
            json!({ "sessionId": "chat_b_cid" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app
        .request(
            reqwest::Method::POST,
            "/api/chat/offline",
            None,
            Some(json!({ "name": "Flo", "email": "flo@example.com", "message": "Call me" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let text = "Notice: we close at 3 pm today.";
    let sent = app
        .post_ok(
            BROADCAST,
            &root,
            json!({ "message": text, "messageId": "bc_1" }),
        )
        .await;
    assert_eq!(sent["data"]["messageId"], "bc_1");
    assert_eq!(sent["data"]["chats"], 2, "the two active app chats: {sent}");
    assert_eq!(sent["data"]["alreadyHad"], 0);

    for (token, session) in [(&ann, "chat_b_ann"), (&bob, "chat_b_bob")] {
        let poll = app.poll(token, session, None).await;
        let got = with_text(&poll, text);
        assert_eq!(got.len(), 1, "{session}: {poll}");
        assert_eq!(got[0]["sender"], "system");
        assert_eq!(got[0]["messageId"], "bc_1");
    }
    let poll = app.poll(&cid, "chat_b_cid", None).await;
    assert!(
        with_text(&poll, text).is_empty(),
        "an ended chat gets nothing"
    );
    assert_eq!(
        broadcast_rows(&app),
        2,
        "the offline-form chat gets nothing"
    );

    let audit = app.get_ok("/api/admin/audit?action=broadcast", &root).await;
    let events = audit["data"]["events"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{audit}");
    assert_eq!(events[0]["agentId"], json!(root_id));
    assert_eq!(events[0]["detail"]["chats"], 2);
    assert_eq!(events[0]["detail"]["message"], text);

    // A retry stores nothing twice and is not audited again; a chat started since gets it.
    let dan = app.user_token("dan");
    app.start_session(&dan, Some("chat_b_dan")).await;
    let again = app
        .post_ok(
            BROADCAST,
            &root,
            json!({ "message": text, "messageId": "bc_1" }),
        )
        .await;
    assert_eq!(again["data"]["chats"], 1, "{again}");
    assert_eq!(again["data"]["alreadyHad"], 2);
    let third = app
        .post_ok(
            BROADCAST,
            &root,
            json!({ "message": text, "messageId": "bc_1" }),
        )
        .await;
    assert_eq!(third["data"]["chats"], 0);
    assert_eq!(third["data"]["alreadyHad"], 3);
    assert_eq!(broadcast_rows(&app), 3);
    assert_eq!(
        audited(&app),
        2,
        "the first send and the one that reached dan"
    );

    // The same id with other text is a conflict and stores nothing.
    let (status, body) = app
        .post(
            BROADCAST,
            &root,
            json!({ "message": "Notice: other", "messageId": "bc_1" }),
        )
        .await;
    assert_error(status, &body, 409, "DUPLICATE_MESSAGE_ID");
    assert_eq!(broadcast_rows(&app), 3);
}

#[tokio::test]
async fn a_held_long_poll_wakes_with_the_broadcast() {
    let app = TestApp::spawn().await;
    let (_, root) = app.agent("root@example.com", "super_admin").await;
    let user = app.user_token("eve");
    let start = app.start_session(&user, Some("chat_b_eve")).await;
    let newest = app.poll(&user, "chat_b_eve", None).await["messages"]
        .as_array()
        .unwrap()
        .last()
        .map(|m| m["messageId"].as_str().unwrap().to_string());
    assert!(start["sessionId"] == "chat_b_eve", "{start}");
    let (client, url, token) = (
        app.client.clone(),
        app.url(&match &newest {
            Some(after) => format!("/api/chat/poll/chat_b_eve?after={after}&wait=30"),
            None => "/api/chat/poll/chat_b_eve?wait=30".to_string(),
        }),
        user.clone(),
    );
    let held = tokio::spawn(async move {
        decode(client.get(url).bearer_auth(token).send().await.unwrap()).await
    });
    app.wait_until_held("eve", 1).await;
    app.post_ok(BROADCAST, &root, json!({ "message": "Notice: back in 5" }))
        .await;
    let (status, body) = within("the held poll answers", held).await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        with_text(&body["data"], "Notice: back in 5").len(),
        1,
        "{body}"
    );
}

#[tokio::test]
async fn only_super_admins_broadcast() {
    let app = TestApp::spawn().await;
    let user = app.user_token("fay");
    app.start_session(&user, Some("chat_b_fay")).await;
    for role in ["chat_admin", "support_admin"] {
        let (_, token) = app.agent(&format!("{role}@example.com"), role).await;
        let (status, body) = app
            .post(BROADCAST, &token, json!({ "message": "Notice: hi" }))
            .await;
        assert_error(status, &body, 403, "FORBIDDEN");
    }
    let (status, body) = app
        .request(
            reqwest::Method::POST,
            BROADCAST,
            None,
            Some(json!({ "message": "Notice: hi" })),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["success"], false);
    let (status, body) = app
        .post(BROADCAST, &user, json!({ "message": "Notice: hi" }))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "a user token: {body}");
    assert_eq!(broadcast_rows(&app), 0);
    assert_eq!(audited(&app), 0);
}

#[tokio::test]
async fn bad_broadcasts_are_refused_and_store_nothing() {
    let app = TestApp::spawn().await;
    let (_, root) = app.agent("root@example.com", "super_admin").await;
    let user = app.user_token("gus");
    app.start_session(&user, Some("chat_b_gus")).await;
    let long = format!("Notice: {}", "x".repeat(10_000));
    let cases = [
        ("no message", json!({})),
        ("an empty message", json!({ "message": "   " })),
        ("a number", json!({ "message": 42 })),
        ("an object", json!({ "message": { "text": "Notice: hi" } })),
        ("10,000 characters", json!({ "message": long })),
        (
            "a bad message id",
            json!({ "message": "Notice: hi", "messageId": "no spaces allowed" }),
        ),
        (
            "a huge message id",
            json!({ "message": "Notice: hi", "messageId": "m".repeat(500) }),
        ),
        ("an array body", json!(["Notice: hi"])),
    ];
    for (what, body) in cases {
        let (status, answer) = app.post(BROADCAST, &root, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{what}: {answer}");
        assert_error(status, &answer, 400, "VALIDATION_ERROR");
    }
    let (status, answer) = app
        .post_raw(
            BROADCAST,
            Some(&root),
            Some("application/json"),
            b"{not json".to_vec(),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert_eq!(answer["success"], false);
    assert_eq!(broadcast_rows(&app), 0);
    assert_eq!(audited(&app), 0);

    // HTML is kept as text, not interpreted.
    let script = "Notice: <script>alert(1)</script>";
    app.post_ok(BROADCAST, &root, json!({ "message": script }))
        .await;
    let poll = app.poll(&user, "chat_b_gus", None).await;
    assert_eq!(with_text(&poll, script).len(), 1, "{poll}");
    app.get_ok("/healthz", &root).await;
}
