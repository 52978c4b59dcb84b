//! Every dashboard page and partial as each role and signed out, with the headers that lock
//! pages down, and no inline script, style or handler on any page.

use reqwest::{StatusCode, header};

use super::client::Browser;
use crate::helpers::*;

const PAGES: &[&str] = &[
    "/admin/queue",
    "/admin/queue/rows",
    "/admin/chats/chat_dash",
    "/admin/chats/chat_dash/transcript",
    "/admin/chats/chat_dash/details",
    "/admin/chats/chat_dash/typing",
    "/admin/analytics",
    "/admin/analytics.csv?table=agents",
    "/admin/canned",
    "/admin/agents",
    "/admin/personas",
    "/admin/audit",
    "/admin/webhooks",
];

#[tokio::test]
async fn every_page_and_partial_for_every_role_and_signed_out() {
    let app = TestApp::spawn().await;
    app.create_agent("root@example.com", "Root", "super_admin")
        .await;
    app.create_agent("chat@example.com", "Chat", "chat_admin")
        .await;
    app.create_agent("support@example.com", "Support", "support_admin")
        .await;
    app.start_session(&app.user_token("u1"), Some("chat_dash"))
        .await;

    let mut anonymous = Browser::new(&app);
    for path in PAGES {
        let answer = anonymous.get(path).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(answer.headers[header::LOCATION], "/admin/login", "{path}");
        // XMLHttpRequest would follow a 303 silently, so htmx gets a 401 it can act on.
        let htmx = anonymous.htmx_get(path).await;
        assert_eq!(htmx.status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(
            htmx.headers["hx-redirect"], "/admin/login",
            "{path}: htmx follows HX-Redirect"
        );
        assert!(!htmx.headers.contains_key(header::LOCATION), "{path}");
    }

    for (email, forbidden) in [
        ("root@example.com", vec![]),
        (
            "chat@example.com",
            vec![
                "/admin/agents",
                "/admin/personas",
                "/admin/audit",
                "/admin/webhooks",
            ],
        ),
        (
            "support@example.com",
            vec![
                "/admin/agents",
                "/admin/personas",
                "/admin/audit",
                "/admin/webhooks",
            ],
        ),
    ] {
        let mut b = Browser::sign_in(&app, email).await;
        for path in PAGES {
            let answer = b.get(path).await;
            let expected = if forbidden.contains(path) {
                StatusCode::FORBIDDEN
            } else {
                StatusCode::OK
            };
            assert_eq!(answer.status, expected, "{email} {path}");
            if answer.status == StatusCode::OK && !path.ends_with("agents") && path.contains(".csv")
            {
                assert!(
                    answer.headers[header::CONTENT_TYPE]
                        .to_str()
                        .unwrap()
                        .starts_with("text/csv")
                );
            } else {
                let csp = answer.headers[header::CONTENT_SECURITY_POLICY]
                    .to_str()
                    .unwrap();
                assert!(
                    csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
                    "{path}: {csp}"
                );
                assert_eq!(answer.headers[header::X_FRAME_OPTIONS], "DENY");
            }
        }
        // The reply box only for those who may reply; the actions only for those who may act.
        let chat = b.get("/admin/chats/chat_dash").await.ok(email);
        let replies = email != "support@example.com";
        assert_eq!(chat.contains("id=\"reply-text\""), replies, "{email}");
        assert_eq!(chat.contains("Assign to me"), replies, "{email}");
        assert!(chat.contains("Add a note"), "{email} may add notes");
    }
    let mut b = Browser::sign_in(&app, "root@example.com").await;
    for missing in [
        "/admin/chats/chat_nope",
        "/admin/chats/%3Cb%3E",
        "/admin/nothing",
    ] {
        assert_eq!(
            b.get(missing).await.status,
            StatusCode::NOT_FOUND,
            "{missing}"
        );
    }
}

#[tokio::test]
async fn pages_carry_no_inline_script_or_style() {
    let app = TestApp::spawn().await;
    app.create_agent("root@example.com", "Root", "super_admin")
        .await;
    app.start_session(&app.user_token("u1"), Some("chat_dash"))
        .await;
    // The login page as a signed-out visitor sees it (signed in, it redirects to the queue).
    let login = Browser::new(&app).get("/admin/login").await.ok("login");
    let mut b = Browser::sign_in(&app, "root@example.com").await;
    let mut pages = vec![("/admin/login", login)];
    for path in [
        "/admin/queue",
        "/admin/chats/chat_dash",
        "/admin/analytics",
        "/admin/agents",
        "/admin/personas",
        "/admin/canned",
        "/admin/audit",
        "/admin/webhooks",
    ] {
        pages.push((path, b.get(path).await.ok(path)));
    }
    for (path, html) in pages {
        for script in html.split("<script").skip(1) {
            assert!(
                script.trim_start().starts_with("defer src=\"/static/"),
                "{path}: inline script {script}"
            );
        }
        assert!(
            !html.contains(" style=") && !html.contains("<style"),
            "{path}: inline style"
        );
        assert!(
            !html.contains(" onclick=") && !html.contains("hx-on"),
            "{path}: inline handler"
        );
    }
}
