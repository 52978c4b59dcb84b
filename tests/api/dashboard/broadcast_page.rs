//! The broadcast page: super admins send one message to every active chat with CSRF, a resent
//! form stores nothing twice, other roles are refused, and what was typed is escaped.

use reqwest::StatusCode;

use super::client::Browser;
use crate::helpers::*;

const PAGE: &str = "/admin/broadcast";
const HOSTILE: &str = "<script>alert(1)</script><img src=x onerror=alert(1)>";

/// The value of the hidden `message_id` field of the page.
fn form_message_id(html: &str) -> String {
    let marker = "name=\"message_id\" value=\"";
    let at = html.find(marker).expect("a message_id field") + marker.len();
    html[at..].split('"').next().unwrap().to_string()
}

fn broadcasts(app: &TestApp) -> i64 {
    app.count_rows("SELECT COUNT(*) FROM messages WHERE sender = 'system' AND body LIKE 'Shop%'")
}

#[tokio::test]
async fn a_super_admin_broadcasts_from_the_dashboard_once_per_form() {
    let app = TestApp::spawn().await;
    app.create_agent("root@example.com", "Root", "super_admin")
        .await;
    for user in ["hal", "ida"] {
        let token = app.user_token(user);
        app.start_session(&token, Some(&format!("chat_dash_{user}")))
            .await;
    }
    let mut b = Browser::sign_in(&app, "root@example.com").await;
    let queue = b.get("/admin/queue").await.ok("queue");
    assert!(
        queue.contains(&format!("href=\"{PAGE}\"")),
        "the nav links the page"
    );
    let html = b.get(PAGE).await.ok("broadcast page");
    assert!(html.contains("<h1>Broadcast</h1>"));
    assert!(html.contains("aria-current=\"page\">Broadcast</a>"));
    assert!(
        html.contains("data-confirm="),
        "the form asks before sending"
    );
    let id = form_message_id(&html);
    let token = b.csrf();

    // Without the CSRF token nothing is sent.
    let refused = b
        .post(
            PAGE,
            &[("message", "Shop: closing"), ("message_id", &id)],
            None,
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    assert_eq!(broadcasts(&app), 0);

    let text = "Shop news: we close at 3 pm";
    let sent = b
        .post(
            PAGE,
            &[("message", text), ("message_id", &id)],
            Some(&token),
        )
        .await
        .ok("broadcast sent");
    assert!(sent.contains("Sent to 2 active chats."), "{sent}");
    assert_ne!(
        form_message_id(&sent),
        id,
        "the next form is a new broadcast"
    );
    assert_eq!(broadcasts(&app), 2);

    // The browser resends the same form: nothing is stored twice.
    let resent = b
        .post(
            PAGE,
            &[("message", text), ("message_id", &id)],
            Some(&token),
        )
        .await
        .ok("resent");
    assert!(resent.contains("sent already"), "{resent}");
    assert_eq!(broadcasts(&app), 2);

    // Customers see it as text; the dashboard shows it escaped.
    let user = app.user_token("hal");
    app.start_session(&user, Some("chat_dash_hal")).await;
    let hostile = format!("Shop {HOSTILE}");
    let fresh = form_message_id(&b.get(PAGE).await.ok("page again"));
    let shown = b
        .post(
            PAGE,
            &[("message", &hostile), ("message_id", &fresh)],
            Some(&token),
        )
        .await
        .ok("hostile broadcast");
    assert!(!shown.contains("<script>alert"), "{shown}");
    let poll = app.poll(&user, "chat_dash_hal", None).await;
    assert!(
        poll["messages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["message"] == hostile.as_str()),
        "{poll}"
    );
    let transcript = b.get("/admin/chats/chat_dash_hal").await.ok("chat page");
    assert!(
        !transcript.contains("<script>alert"),
        "escaped in the transcript"
    );
    assert!(transcript.contains("&lt;script&gt;") || transcript.contains("&#60;script&#62;"));

    // A bad form says why and sends nothing.
    let before = broadcasts(&app);
    let empty = b
        .post(
            PAGE,
            &[("message", "  "), ("message_id", &fresh)],
            Some(&token),
        )
        .await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST, "{}", empty.body);
    assert!(empty.body.contains("role=\"alert\""));
    let long = "y".repeat(10_000);
    let too_long = b
        .post(
            PAGE,
            &[("message", &long), ("message_id", "fresh_1")],
            Some(&token),
        )
        .await;
    assert_eq!(too_long.status, StatusCode::BAD_REQUEST);
    let bad_id = b
        .post(
            PAGE,
            &[("message", "Shop: hi"), ("message_id", "<b>")],
            Some(&token),
        )
        .await;
    assert_eq!(bad_id.status, StatusCode::BAD_REQUEST, "{}", bad_id.body);
    assert!(!bad_id.body.contains("value=\"<b>\""), "the id is escaped");
    assert_eq!(broadcasts(&app), before);
}

#[tokio::test]
async fn other_roles_neither_see_nor_use_the_page() {
    let app = TestApp::spawn().await;
    let user = app.user_token("jo");
    app.start_session(&user, Some("chat_dash_jo")).await;
    for (email, role) in [
        ("chat@example.com", "chat_admin"),
        ("support@example.com", "support_admin"),
    ] {
        app.create_agent(email, role, role).await;
        let mut b = Browser::sign_in(&app, email).await;
        let queue = b.get("/admin/queue").await.ok("queue");
        assert!(
            !queue.contains(&format!("href=\"{PAGE}\"")),
            "{role}: no nav link"
        );
        let page = b.get(PAGE).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{role}");
        let token = b.csrf();
        let post = b
            .post(
                PAGE,
                &[("message", "Shop: no"), ("message_id", "m_1")],
                Some(&token),
            )
            .await;
        assert_eq!(post.status, StatusCode::FORBIDDEN, "{role}: {}", post.body);
    }
    assert_eq!(broadcasts(&app), 0);
}
