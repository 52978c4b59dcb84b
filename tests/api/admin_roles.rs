//! Every role against every admin endpoint: allowed, or 403 in the envelope with nothing
//! changed. The matrix is documented in docs/roles.md.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

struct Case {
    method: Method,
    path: String,
    body: Option<Value>,
    /// super_admin, chat_admin, support_admin
    allowed: [bool; 3],
    /// The status an allowed call gets.
    ok: u16,
}

fn case(
    method: Method,
    path: impl Into<String>,
    body: Option<Value>,
    allowed: [bool; 3],
    ok: u16,
) -> Case {
    Case {
        method,
        path: path.into(),
        body,
        allowed,
        ok,
    }
}

const ALL: [bool; 3] = [true, true, true];
const WORKERS: [bool; 3] = [true, true, false];
const SUPER: [bool; 3] = [true, false, false];

#[tokio::test]
async fn every_role_against_every_admin_endpoint() {
    let app = TestApp::spawn().await;
    let (_, root) = app.agent("root@example.com", "super_admin").await;
    let persona = app
        .post_ok("/api/admin/personas", &root, json!({ "name": "Emma" }))
        .await;
    let persona = persona["data"]["persona"]["personaId"]
        .as_str()
        .unwrap()
        .to_string();
    let canned = app
        .post_ok(
            "/api/admin/canned-responses",
            &root,
            json!({ "title": "Hi", "shortcut": "/hi", "text": "Hello!" }),
        )
        .await;
    let canned = canned["data"]["cannedResponse"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let label = app
        .post_ok(
            "/api/admin/labels",
            &root,
            json!({ "name": "Refund", "colour": "#3b82f6" }),
        )
        .await;
    let label = label["data"]["label"]["labelId"]
        .as_str()
        .unwrap()
        .to_string();
    let target = app
        .create_agent("target@example.com", "Target", "chat_admin")
        .await;
    app.login("target@example.com").await;

    for (index, role) in ["super_admin", "chat_admin", "support_admin"]
        .into_iter()
        .enumerate()
    {
        let (_, token) = app.agent(&format!("{role}@example.com"), role).await;
        let user = app.user_token(&format!("user_for_{role}"));
        let s = format!("chat_role_{role}");
        let s2 = format!("chat_role_end_{role}");
        app.start_session(&user, Some(&s)).await;
        app.start_session(&user, Some(&s2)).await;
        let cases = vec![
            case(Method::GET, "/api/admin/me", None, ALL, 200),
            case(
                Method::PUT,
                "/api/admin/me/status",
                Some(json!({ "status": "online" })),
                ALL,
                200,
            ),
            case(
                Method::GET,
                "/api/admin/chat/active-sessions",
                None,
                ALL,
                200,
            ),
            case(
                Method::GET,
                format!("/api/admin/chat/session/{s}"),
                None,
                ALL,
                200,
            ),
            case(
                Method::POST,
                "/api/admin/chat/typing",
                Some(json!({ "sessionId": s, "isTyping": true })),
                WORKERS,
                200,
            ),
            case(
                Method::POST,
                "/api/admin/chat/message",
                Some(json!({ "sessionId": s, "message": "hi" })),
                WORKERS,
                200,
            ),
            case(
                Method::POST,
                "/api/admin/chat/session/release",
                Some(json!({ "sessionId": s })),
                WORKERS,
                200,
            ),
            case(
                Method::POST,
                "/api/admin/chat/session/assign",
                Some(json!({ "sessionId": s })),
                WORKERS,
                200,
            ),
            case(
                Method::POST,
                "/api/admin/chat/session/transfer",
                Some(json!({ "sessionId": s, "toAdminId": target, "note": "over to you" })),
                WORKERS,
                200,
            ),
            case(
                Method::PUT,
                format!("/api/admin/chat/session/{s}/priority"),
                Some(json!({ "priority": "high" })),
                WORKERS,
                200,
            ),
            case(
                Method::POST,
                format!("/api/admin/chat/session/{s}/notes"),
                Some(json!({ "note": "VIP" })),
                ALL,
                200,
            ),
            case(
                Method::POST,
                "/api/admin/chat/session/end",
                Some(json!({ "sessionId": s2, "endReason": "done" })),
                WORKERS,
                200,
            ),
            case(Method::GET, "/api/admin/chat/analytics", None, ALL, 200),
            case(Method::GET, "/api/admin/chat/reports", None, ALL, 200),
            case(Method::GET, "/api/admin/chat/search?q=VIP", None, ALL, 200),
            case(
                Method::GET,
                format!("/api/admin/chat/session/{s}/export?format=json"),
                None,
                ALL,
                200,
            ),
            case(
                Method::GET,
                format!("/api/admin/users/user_for_{role}/export"),
                None,
                SUPER,
                200,
            ),
            case(Method::GET, "/api/admin/stats", None, ALL, 200),
            case(Method::GET, "/api/admin/audit", None, SUPER, 200),
            case(Method::GET, "/api/admin/agents", None, ALL, 200),
            case(
                Method::POST,
                "/api/admin/agents",
                Some(
                    json!({ "email": format!("new_{role}@example.com"), "name": "New", "role": "chat_admin", "password": "a good password" }),
                ),
                SUPER,
                200,
            ),
            case(
                Method::GET,
                format!("/api/admin/agents/{target}"),
                None,
                SUPER,
                200,
            ),
            case(
                Method::PUT,
                format!("/api/admin/agents/{target}"),
                Some(json!({ "maxConcurrentChats": 7 })),
                SUPER,
                200,
            ),
            case(
                Method::DELETE,
                "/api/admin/agents/agt_missing",
                None,
                SUPER,
                404,
            ),
            case(Method::GET, "/api/admin/personas", None, ALL, 200),
            case(
                Method::POST,
                "/api/admin/personas",
                Some(json!({ "name": "Sophia" })),
                SUPER,
                200,
            ),
            case(
                Method::GET,
                format!("/api/admin/personas/{persona}"),
                None,
                ALL,
                200,
            ),
            case(
                Method::PUT,
                format!("/api/admin/personas/{persona}"),
                Some(json!({ "name": "Emma", "bio": "b" })),
                SUPER,
                200,
            ),
            case(
                Method::DELETE,
                "/api/admin/personas/persona_missing",
                None,
                SUPER,
                404,
            ),
            case(Method::GET, "/api/admin/canned-responses", None, ALL, 200),
            case(
                Method::POST,
                "/api/admin/canned-responses",
                Some(
                    json!({ "title": "Bye", "shortcut": format!("/bye-{index}"), "text": "Goodbye!" }),
                ),
                WORKERS,
                200,
            ),
            case(
                Method::GET,
                format!("/api/admin/canned-responses/{canned}"),
                None,
                ALL,
                200,
            ),
            case(
                Method::PUT,
                format!("/api/admin/canned-responses/{canned}"),
                Some(json!({ "title": "Hi", "shortcut": "/hi", "text": "Hello again!" })),
                WORKERS,
                200,
            ),
            case(
                Method::DELETE,
                "/api/admin/canned-responses/canned_missing",
                None,
                WORKERS,
                404,
            ),
            case(Method::GET, "/api/admin/labels", None, ALL, 200),
            case(
                Method::POST,
                "/api/admin/labels",
                Some(json!({ "name": format!("Label {index}"), "colour": "#000000" })),
                SUPER,
                200,
            ),
            case(
                Method::GET,
                format!("/api/admin/labels/{label}"),
                None,
                ALL,
                200,
            ),
            case(
                Method::PUT,
                format!("/api/admin/labels/{label}"),
                Some(json!({ "name": "Refund", "colour": "#2563eb" })),
                SUPER,
                200,
            ),
            case(
                Method::DELETE,
                "/api/admin/labels/label_missing",
                None,
                SUPER,
                404,
            ),
            case(
                Method::PUT,
                format!("/api/admin/chat/session/{s}/labels/{label}"),
                None,
                WORKERS,
                200,
            ),
            case(
                Method::DELETE,
                format!("/api/admin/chat/session/{s}/labels/{label}"),
                None,
                WORKERS,
                200,
            ),
            case(
                Method::DELETE,
                format!("/api/admin/users/nobody_for_{role}"),
                None,
                SUPER,
                200,
            ),
            case(
                Method::DELETE,
                format!("/api/admin/users/nobody_for_{role}?guest=true"),
                None,
                SUPER,
                200,
            ),
            case(Method::POST, "/api/admin/logout", None, ALL, 200),
        ];
        for c in cases {
            let audit_before = app.count_rows("SELECT COUNT(*) FROM audit_events");
            let (status, body) = app
                .request(c.method.clone(), &c.path, Some(&token), c.body.clone())
                .await;
            if c.allowed[index] {
                assert_eq!(
                    status.as_u16(),
                    c.ok,
                    "{role} {} {}: {body}",
                    c.method,
                    c.path
                );
            } else {
                assert_error(status, &body, 403, "FORBIDDEN");
                assert_eq!(
                    app.count_rows("SELECT COUNT(*) FROM audit_events"),
                    audit_before,
                    "{role} {} {} was refused but left a trace",
                    c.method,
                    c.path
                );
            }
        }
    }
}

#[tokio::test]
async fn admin_endpoints_need_an_agent_token() {
    let app = TestApp::spawn().await;
    let user = app.user_token("u1");
    for (method, path) in [
        (Method::GET, "/api/admin/chat/active-sessions"),
        (Method::GET, "/api/admin/chat/session/chat_x"),
        (Method::POST, "/api/admin/chat/message"),
        (Method::POST, "/api/admin/chat/session/assign"),
        (Method::GET, "/api/admin/chat/analytics"),
        (Method::GET, "/api/admin/chat/search?q=x"),
        (Method::GET, "/api/admin/agents"),
        (Method::PUT, "/api/admin/me/status"),
        (Method::GET, "/api/admin/audit"),
        (Method::DELETE, "/api/admin/users/u1"),
    ] {
        let (status, body) = app
            .request(method.clone(), path, None, Some(json!({})))
            .await;
        assert_error(status, &body, 401, "AUTHENTICATION_FAILED");
        let (status, body) = app
            .request(method, path, Some(&user), Some(json!({})))
            .await;
        assert_error(status, &body, 401, "AUTHENTICATION_FAILED");
    }
}
