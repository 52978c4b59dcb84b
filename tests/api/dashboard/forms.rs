//! Every chat action works as a plain form post without JavaScript, and bad input re-renders
//! with a message and changes nothing.

use reqwest::{StatusCode, header};

use super::client::{Answer, Browser};
use crate::helpers::*;

#[tokio::test]
async fn forms_work_without_javascript() {
    let app = TestApp::spawn().await;
    app.create_agent("root@example.com", "Root", "super_admin")
        .await;
    let bob_id = app
        .create_agent("bob@example.com", "Bob", "chat_admin")
        .await;
    let user = app.user_token("u1");
    app.start_session(&user, Some("chat_nojs")).await;
    app.send_ok(&user, "chat_nojs", "msg_nojs", "hello").await;
    let mut b = Browser::sign_in(&app, "root@example.com").await;
    b.get("/admin/chats/chat_nojs").await.ok("the chat page");
    let csrf = b.csrf();
    let go = |answer: Answer| {
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
        assert_eq!(answer.headers[header::LOCATION], "/admin/chats/chat_nojs");
    };
    go(b.post(
        "/admin/chats/chat_nojs/reply",
        &[("message", "Hi from a plain form"), ("send_as", "agent")],
        Some(&csrf),
    )
    .await);
    go(b.post(
        "/admin/chats/chat_nojs/notes",
        &[("note", "VIP")],
        Some(&csrf),
    )
    .await);
    go(b.post(
        "/admin/chats/chat_nojs/priority",
        &[("priority", "urgent")],
        Some(&csrf),
    )
    .await);
    go(b.post(
        "/admin/chats/chat_nojs/transfer",
        &[("to", &bob_id), ("note", "yours")],
        Some(&csrf),
    )
    .await);
    go(b.post("/admin/chats/chat_nojs/release", &[], Some(&csrf))
        .await);
    go(b.post("/admin/chats/chat_nojs/assign", &[], Some(&csrf))
        .await);
    go(b.post(
        "/admin/chats/chat_nojs/end",
        &[("reason", "done")],
        Some(&csrf),
    )
    .await);
    let poll = app.poll(&user, "chat_nojs", Some("msg_nojs")).await;
    assert_eq!(poll["messages"][0]["message"], "Hi from a plain form");
    assert_eq!(poll["endReason"], "done");
    let audit = app
        .get_ok(
            "/api/admin/audit?sessionId=chat_nojs",
            &app.login("root@example.com").await,
        )
        .await;
    let actions: Vec<&str> = audit["data"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "assign_on_reply",
            "reply",
            "note",
            "priority",
            "transfer",
            "release",
            "assign",
            "end"
        ]
    );

    // Bad input re-renders with a message and changes nothing.
    let answer = b
        .post(
            "/admin/agents",
            &[
                ("email", "bad"),
                ("name", "X"),
                ("role", "chat_admin"),
                ("password", "long enough"),
            ],
            Some(&csrf),
        )
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(answer.body.contains("email must look like"));
    assert_eq!(app.count_rows("SELECT COUNT(*) FROM agents"), 2);
    let answer = b
        .post(
            "/admin/agents",
            &[
                ("email", "new@example.com"),
                ("name", "New"),
                ("role", "chat_admin"),
                ("password", "long enough"),
                ("capacity", "3"),
            ],
            Some(&csrf),
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.count_rows("SELECT max_concurrent_chats FROM agents WHERE email = 'new@example.com'"),
        3
    );
    let answer = b
        .post(
            "/admin/chats/chat_nojs/reply",
            &[("message", "   ")],
            Some(&csrf),
        )
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "an empty reply");
    let answer = b
        .post(
            "/admin/chats/chat_nojs/reply",
            &[("message", "too late")],
            Some(&csrf),
        )
        .await;
    assert_eq!(
        answer.status,
        StatusCode::CONFLICT,
        "an ended chat takes no reply"
    );
}
