//! Dashboard posts need this session's CSRF token, and user text is escaped wherever a page
//! shows it.

use reqwest::StatusCode;
use serde_json::json;

use super::client::Browser;
use crate::helpers::*;

#[tokio::test]
async fn user_text_is_escaped_everywhere_it_is_shown() {
    let app = TestApp::spawn().await;
    app.create_agent("root@example.com", "Root", "super_admin")
        .await;
    let user = app.user_token("u1");
    let hostile = "<img src=x onerror=alert(1)>";
    app.post_ok("/api/chat/session", &user, json!({ "sessionId": "chat_xss", "userInfo": { "name": hostile }, "metadata": { "<script>": hostile } }))
        .await;
    app.send_ok(&user, "chat_xss", "msg_xss", hostile).await;
    let agent = app.login("root@example.com").await;
    app.post_ok(
        "/api/admin/chat/session/chat_xss/notes",
        &agent,
        json!({ "note": hostile }),
    )
    .await;
    app.post_ok(
        "/api/admin/canned-responses",
        &agent,
        json!({ "title": hostile, "shortcut": "/x", "text": hostile }),
    )
    .await;
    app.post_ok("/api/admin/personas", &agent, json!({ "name": hostile }))
        .await;
    let mut b = Browser::sign_in(&app, "root@example.com").await;
    for path in [
        "/admin/queue",
        "/admin/queue/rows",
        "/admin/chats/chat_xss",
        "/admin/chats/chat_xss/transcript",
        "/admin/chats/chat_xss/details",
        "/admin/canned",
        "/admin/personas",
        "/admin/audit",
    ] {
        let html = b.get(path).await.ok(path);
        assert!(!html.contains("<img src=x"), "{path} let markup through");
        assert!(
            !html.contains("<script>"),
            "{path} let a script tag through"
        );
        if path != "/admin/audit" {
            assert!(
                html.contains("&#60;img src=x onerror=alert(1)&#62;")
                    || html.contains("&lt;img src=x"),
                "{path} shows the text"
            );
        }
    }
}

#[tokio::test]
async fn posts_without_this_sessions_csrf_token_are_refused_and_change_nothing() {
    let app = TestApp::spawn().await;
    app.create_agent("ann@example.com", "Ann", "chat_admin")
        .await;
    app.create_agent("bob@example.com", "Bob", "chat_admin")
        .await;
    app.start_session(&app.user_token("u1"), Some("chat_csrf"))
        .await;
    let mut ann = Browser::sign_in(&app, "ann@example.com").await;
    let bob = Browser::sign_in(&app, "bob@example.com").await;
    let bobs_token = bob.csrf();
    let actions: &[(&str, &[(&str, &str)])] = &[
        (
            "/admin/chats/chat_csrf/reply",
            &[("message", "forged"), ("send_as", "agent")],
        ),
        ("/admin/chats/chat_csrf/assign", &[]),
        ("/admin/chats/chat_csrf/end", &[("reason", "forged")]),
        ("/admin/chats/chat_csrf/notes", &[("note", "forged")]),
        ("/admin/chats/chat_csrf/priority", &[("priority", "urgent")]),
        (
            "/admin/canned",
            &[("title", "t"), ("shortcut", "/t"), ("text", "t")],
        ),
        ("/admin/logout", &[]),
    ];
    let before = app.count_rows("SELECT COUNT(*) FROM audit_events");
    for (path, fields) in actions {
        for token in [None, Some(""), Some("made-up"), Some(bobs_token.as_str())] {
            let answer = ann.post(path, fields, token).await;
            assert_eq!(
                answer.status,
                StatusCode::FORBIDDEN,
                "{path} with {token:?}"
            );
        }
    }
    assert_eq!(
        app.count_rows("SELECT COUNT(*) FROM audit_events"),
        before,
        "nothing happened"
    );
    assert_eq!(
        app.count_rows("SELECT COUNT(*) FROM messages WHERE sender = 'admin'"),
        0
    );
    assert_eq!(
        app.count_rows("SELECT COUNT(*) FROM sessions WHERE status = 'active'"),
        1
    );
    // The login form needs its own double-submit token.
    let mut stranger = Browser::new(&app);
    let answer = stranger
        .post(
            "/admin/login",
            &[("email", "ann@example.com"), ("password", AGENT_PASSWORD)],
            Some("guess"),
        )
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    // With the right token (header or field) it works.
    let token = ann.csrf();
    let answer = ann
        .post(
            "/admin/chats/chat_csrf/notes",
            &[("note", "real")],
            Some(&token),
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    let request = ann
        .request(reqwest::Method::POST, "/admin/chats/chat_csrf/priority")
        .header("x-csrf-token", token)
        .header("hx-request", "true")
        .form(&[("priority", "high")]);
    let answer = ann.send(request).await;
    assert_eq!(
        answer.status,
        StatusCode::OK,
        "htmx gets the details partial"
    );
    assert!(
        answer.body.starts_with("\n<aside id=\"details\"")
            || answer.body.contains("<aside id=\"details\"")
    );
}
