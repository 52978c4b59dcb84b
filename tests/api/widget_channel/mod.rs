//! The website channel's server side: every chat's channel, the visitor context agents see,
//! the offline form (`offline`), and CORS on the client API for the allowed origins only
//! (`cors`).

mod cors;
mod offline;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::dashboard::client::Browser;
use crate::helpers::*;

pub(super) const SHOP: &str = "https://shop.example";
pub(super) const CHROME_ON_WINDOWS: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 \
    (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";

pub(super) async fn queue(app: &TestApp, agent: &str) -> Vec<Value> {
    let body = app.get_ok("/api/admin/chat/active-sessions", agent).await;
    body["data"]["sessions"].as_array().unwrap().clone()
}

pub(super) fn row<'a>(rows: &'a [Value], id: &str) -> &'a Value {
    rows.iter()
        .find(|r| r["sessionId"] == id)
        .unwrap_or_else(|| panic!("{id} is in the queue: {rows:?}"))
}

pub(super) async fn detail(app: &TestApp, agent: &str, id: &str) -> Value {
    app.get_ok(&format!("/api/admin/chat/session/{id}"), agent)
        .await["data"]
        .clone()
}

/// Submits the offline form without a token.
pub(super) async fn submit_offline(app: &TestApp, body: Value) -> (StatusCode, Value) {
    app.request(Method::POST, "/api/chat/offline", None, Some(body))
        .await
}

pub(super) fn form(message: &str) -> Value {
    json!({ "name": "Ada Visitor", "email": "ada@example.com", "message": message })
}

pub(super) fn sessions(app: &TestApp) -> i64 {
    app.count_rows("SELECT COUNT(*) FROM sessions")
}

// ---- channel ----

#[tokio::test]
async fn chats_are_app_by_default_and_web_when_the_widget_says_so() {
    let app = TestApp::spawn().await;
    let (_, agent) = app.agent("lead@example.com", "chat_admin").await;
    let user = app.user_token("u1");
    app.start_session(&user, Some("chat_app")).await;
    app.post_ok(
        "/api/chat/session",
        &app.user_token("u2"),
        json!({ "sessionId": "chat_web", "channel": "web" }),
    )
    .await;

    let rows = queue(&app, &agent).await;
    assert_eq!(row(&rows, "chat_app")["channel"], "app");
    assert_eq!(row(&rows, "chat_web")["channel"], "web");
    assert_eq!(detail(&app, &agent, "chat_web").await["channel"], "web");
    let history = app.get_ok("/api/chat/history", &user).await;
    assert_eq!(history["data"]["sessions"][0]["channel"], "app");
    let assigned = app
        .post_ok(
            "/api/admin/chat/session/assign",
            &agent,
            json!({ "sessionId": "chat_web" }),
        )
        .await;
    assert_eq!(assigned["data"]["channel"], "web");
}

#[tokio::test]
async fn a_channel_other_than_app_or_web_is_refused_and_stores_nothing() {
    let app = TestApp::spawn().await;
    let user = app.user_token("u1");
    for (channel, why) in [
        (
            json!("offline"),
            "only the offline form makes offline chats",
        ),
        (json!("email"), "unknown channel"),
        (json!("WEB"), "names are exact"),
        (json!(3), "wrong type"),
        (json!(["web"]), "wrong type"),
    ] {
        let (status, body) = app
            .post(
                "/api/chat/session",
                &user,
                json!({ "sessionId": "chat_x", "channel": channel }),
            )
            .await;
        assert_error(status, &body, 400, "VALIDATION_ERROR");
        assert!(
            body["message"].as_str().unwrap().contains("channel"),
            "{why}: {body}"
        );
    }
    assert_eq!(sessions(&app), 0);
}

// ---- visitor context ----

#[tokio::test]
async fn agents_see_the_visitor_context_with_browser_and_os_derived() {
    let app = TestApp::spawn().await;
    let (_, agent) = app.agent("lead@example.com", "support_admin").await;
    app.post_ok(
        "/api/chat/session",
        &app.user_token("u1"),
        json!({
            "sessionId": "chat_ctx",
            "channel": "web",
            "metadata": {
                "pageUrl": "https://shop.example/cart?item=3",
                "referrer": "https://search.example/?q=shoes",
                "language": "de-DE",
                "userAgent": CHROME_ON_WINDOWS,
            },
        }),
    )
    .await;
    app.start_session(&app.user_token("u2"), Some("chat_bare"))
        .await;

    let rows = queue(&app, &agent).await;
    let expected = json!({
        "pageUrl": "https://shop.example/cart?item=3",
        "referrer": "https://search.example/?q=shoes",
        "language": "de-DE",
        "browser": "Chrome",
        "os": "Windows 10",
    });
    assert_eq!(row(&rows, "chat_ctx")["context"], expected);
    assert_eq!(detail(&app, &agent, "chat_ctx").await["context"], expected);
    assert_eq!(
        row(&rows, "chat_bare")["context"],
        json!({ "pageUrl": null, "referrer": null, "language": null, "browser": null, "os": null })
    );
}

// ---- the dashboard ----

#[tokio::test]
async fn the_dashboard_shows_channel_and_context_escaped() {
    let app = TestApp::spawn().await;
    app.create_agent("root@example.com", "Root", "super_admin")
        .await;
    let hostile = "<img src=x onerror=alert(1)>";
    app.post_ok(
        "/api/chat/session",
        &app.user_token("u1"),
        json!({
            "sessionId": "chat_link",
            "channel": "web",
            "metadata": {
                "pageUrl": "https://shop.example/p?a=1&b=\"><script>x</script>",
                "referrer": hostile,
                "language": hostile,
                "userAgent": CHROME_ON_WINDOWS,
            },
        }),
    )
    .await;
    app.post_ok(
        "/api/chat/session",
        &app.user_token("u2"),
        json!({
            "sessionId": "chat_js",
            "channel": "web",
            "metadata": { "pageUrl": "javascript:alert(1)" },
        }),
    )
    .await;
    let (status, body) = submit_offline(&app, form("Please call")).await;
    expect_ok("offline submit", (status, body));

    let mut b = Browser::sign_in(&app, "root@example.com").await;
    let rows = b.get_ok("/admin/queue/rows").await;
    for label in [">Web<", ">Offline<"] {
        assert!(rows.contains(label), "the queue shows {label}");
    }

    let html = b.get_ok("/admin/chats/chat_link/details").await;
    assert!(html.contains(">Web<"), "channel shown");
    assert!(
        html.contains("Chrome") && html.contains("Windows 10"),
        "browser and OS shown"
    );
    assert!(
        html.contains("rel=\"noopener noreferrer\""),
        "the page is a safe link"
    );
    assert!(
        !html.contains("<script>") && !html.contains("<img src=x"),
        "escaped"
    );
    assert!(
        html.contains("&#60;img src=x") || html.contains("&lt;img src=x"),
        "referrer shown as text"
    );

    let html = b.get_ok("/admin/chats/chat_js/details").await;
    assert!(html.contains("javascript:alert(1)"), "the URL is shown");
    assert!(!html.contains("href=\"javascript:"), "but never as a link");
}
