//! The website channel's server side: every chat's channel, the visitor context agents see,
//! the offline form, and CORS on the client API for the allowed origins only.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::dashboard::client::Browser;
use crate::helpers::*;

const SHOP: &str = "https://shop.example";
const CHROME_ON_WINDOWS: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 \
    (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";

async fn queue(app: &TestApp, agent: &str) -> Vec<Value> {
    let body = app.get_ok("/api/admin/chat/active-sessions", agent).await;
    body["data"]["sessions"].as_array().unwrap().clone()
}

fn row<'a>(rows: &'a [Value], id: &str) -> &'a Value {
    rows.iter()
        .find(|r| r["sessionId"] == id)
        .unwrap_or_else(|| panic!("{id} is in the queue: {rows:?}"))
}

async fn detail(app: &TestApp, agent: &str, id: &str) -> Value {
    app.get_ok(&format!("/api/admin/chat/session/{id}"), agent)
        .await["data"]
        .clone()
}

/// Submits the offline form without a token.
async fn offline(app: &TestApp, body: Value) -> (StatusCode, Value) {
    app.request(Method::POST, "/api/chat/offline", None, Some(body))
        .await
}

fn form(message: &str) -> Value {
    json!({ "name": "Ada Visitor", "email": "ada@example.com", "message": message })
}

fn sessions(app: &TestApp) -> i64 {
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

// ---- the offline form ----

#[tokio::test]
async fn an_offline_message_waits_in_the_queue_and_its_guest_reads_the_reply() {
    // A contact form: it works even with live guest chats off.
    let app = TestApp::spawn_with(|s| s.allow_guests = false).await;
    let (_, agent) = app.agent("lead@example.com", "chat_admin").await;
    let (status, body) = offline(
        &app,
        json!({
            "name": "Ada Visitor",
            "email": "ada@example.com",
            "message": "Do you ship to Norway?",
            "metadata": { "pageUrl": "https://shop.example/shipping" },
        }),
    )
    .await;
    let body = expect_ok("offline submit", (status, body));
    let data = &body["data"];
    let id = data["sessionId"].as_str().unwrap().to_string();
    let token = data["sessionToken"]
        .as_str()
        .expect("a guest token")
        .to_string();
    assert_eq!(data["status"], "active");
    assert!(data["createdAt"].as_str().is_some_and(|t| t.ends_with('Z')));

    let rows = queue(&app, &agent).await;
    let r = row(&rows, &id);
    assert_eq!(r["channel"], "offline");
    assert_eq!(r["lastMessage"], "Do you ship to Norway?");
    assert_eq!(r["userInfo"]["name"], "Ada Visitor");
    assert_eq!(r["userInfo"]["email"], "ada@example.com");
    assert_eq!(r["awaitingReply"], true);
    assert_eq!(r["context"]["pageUrl"], "https://shop.example/shipping");

    // The visitor's message comes first: no welcome.
    let first = app.poll(&token, &id, None).await;
    let messages = first["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 1, "{first}");
    assert_eq!(messages[0]["sender"], "user");
    assert_eq!(messages[0]["message"], "Do you ship to Norway?");

    let last = messages[0]["messageId"].as_str().unwrap().to_string();
    app.agent_reply(&agent, &id, "Yes, in 3 days.").await;
    let later = app.poll(&token, &id, Some(&last)).await;
    assert_eq!(later["messages"][0]["message"], "Yes, in 3 days.");
    let history = app.get_ok("/api/chat/history", &token).await;
    assert_eq!(history["data"]["sessions"][0]["channel"], "offline");

    // The token is for following up, not for opening live chats while guests are off.
    let (status, body) = app.post("/api/chat/session", &token, json!({})).await;
    assert_error(status, &body, 401, "AUTHENTICATION_FAILED");
}

#[tokio::test]
async fn the_idle_sweep_leaves_offline_chats_alone() {
    let app = TestApp::spawn().await;
    let (_, agent) = app.agent("lead@example.com", "chat_admin").await;
    let (status, body) = offline(&app, form("Call me back, please")).await;
    let body = expect_ok("offline submit", (status, body));
    let id = body["data"]["sessionId"].as_str().unwrap().to_string();
    let token = body["data"]["sessionToken"].as_str().unwrap().to_string();
    let user = app.user_token("u1");
    app.start_session(&user, Some("chat_live")).await;

    let timeout = app.services.settings.session_timeout;
    app.clock.advance(timeout + Duration::from_secs(60));
    app.maintenance().await;

    let rows = queue(&app, &agent).await;
    assert_eq!(row(&rows, &id)["status"], "active");
    assert!(
        rows.iter().all(|r| r["sessionId"] != "chat_live"),
        "{rows:?}"
    );
    assert_eq!(app.poll(&token, &id, None).await["sessionEnded"], false);
    assert_eq!(
        app.poll(&user, "chat_live", None).await["sessionStatus"],
        "expired"
    );
    // The visitor can still add to it, and the agent still answer it.
    app.send_ok(&token, &id, "msg_more", "Any time after 5 pm")
        .await;
    app.agent_reply(&agent, &id, "Will do").await;
}

#[tokio::test]
async fn a_retried_offline_submit_answers_the_chat_it_made() {
    let app = TestApp::spawn().await;
    let user = app.user_token("u1");
    let first = app
        .post_ok("/api/chat/offline", &user, form("Where is my order?"))
        .await;
    let id = first["data"]["sessionId"].clone();
    assert!(
        first["data"].get("sessionToken").is_none(),
        "no token for a signed-in user"
    );

    let again = app
        .post_ok("/api/chat/offline", &user, form("Where is my order?"))
        .await;
    assert_eq!(
        again["data"]["sessionId"], id,
        "the same submit within a minute"
    );
    assert_eq!(sessions(&app), 1);

    let other = app
        .post_ok("/api/chat/offline", &user, form("And a refund?"))
        .await;
    assert_ne!(
        other["data"]["sessionId"], id,
        "a different message is a new chat"
    );

    // A client-chosen id works as for a session start.
    let body = json!({ "sessionId": "chat_offline_1", "name": "Ada", "email": "a@example.com", "message": "Hi" });
    let made = app.post_ok("/api/chat/offline", &user, body.clone()).await;
    app.clock.advance(Duration::from_secs(120));
    let retried = app.post_ok("/api/chat/offline", &user, body).await;
    assert_eq!(made["data"]["sessionId"], "chat_offline_1");
    assert_eq!(retried["data"]["sessionId"], "chat_offline_1");
    assert_eq!(sessions(&app), 3);

    // Another user's id is not theirs: a fresh chat, and nothing about the first one.
    let body = json!({ "sessionId": "chat_offline_1", "name": "Eve", "email": "e@example.com", "message": "Hi" });
    let theirs = app
        .post_ok("/api/chat/offline", &app.user_token("u2"), body)
        .await;
    assert_ne!(theirs["data"]["sessionId"], "chat_offline_1");
    assert_eq!(sessions(&app), 4);
}

#[tokio::test]
async fn bad_offline_input_is_refused_and_stores_nothing() {
    let app = TestApp::spawn().await;
    let long = "x".repeat(10 * 1024);
    let cases = [
        (
            json!({ "email": "a@example.com", "message": "hi" }),
            "name",
            "missing name",
        ),
        (
            json!({ "name": "  ", "email": "a@example.com", "message": "hi" }),
            "name",
            "blank name",
        ),
        (
            json!({ "name": long, "email": "a@example.com", "message": "hi" }),
            "name",
            "10 KB name",
        ),
        (
            json!({ "name": 5, "email": "a@example.com", "message": "hi" }),
            "name",
            "name not a string",
        ),
        (
            json!({ "name": "Ada", "message": "hi" }),
            "email",
            "missing email",
        ),
        (
            json!({ "name": "Ada", "email": "not-an-address", "message": "hi" }),
            "email",
            "bad email",
        ),
        (
            json!({ "name": "Ada", "email": "", "message": "hi" }),
            "email",
            "empty email",
        ),
        (
            json!({ "name": "Ada", "email": "a@example.com" }),
            "message",
            "missing message",
        ),
        (
            json!({ "name": "Ada", "email": "a@example.com", "message": " \n " }),
            "message",
            "blank message",
        ),
        (
            json!({ "name": "Ada", "email": "a@example.com", "message": "y".repeat(5001) }),
            "message",
            "message too long",
        ),
        (
            json!({ "name": "Ada", "email": "a@example.com", "message": ["hi"] }),
            "message",
            "message not a string",
        ),
        (
            json!({ "name": "Ada", "email": "a@example.com", "message": "hi", "metadata": "x" }),
            "metadata",
            "metadata not an object",
        ),
        (
            json!({ "name": "Ada", "email": "a@example.com", "message": "hi", "sessionId": "bad id!" }),
            "sessionId",
            "bad session id",
        ),
        (json!([1, 2]), "", "not an object"),
    ];
    for (body, field, why) in cases {
        let (status, answer) = offline(&app, body).await;
        assert_error(status, &answer, 400, "VALIDATION_ERROR");
        assert!(
            answer["message"].as_str().unwrap().contains(field),
            "{why}: {answer}"
        );
    }
    let (status, answer) = app
        .post_raw(
            "/api/chat/offline",
            None,
            Some("application/json"),
            b"{\"name\": ".to_vec(),
        )
        .await;
    assert_error(status, &answer, 400, "VALIDATION_ERROR");
    let (status, answer) = app
        .post("/api/chat/offline", "not-a-token", form("hi"))
        .await;
    assert_error(status, &answer, 401, "AUTHENTICATION_FAILED");
    // An agent is not a visitor.
    let (_, agent) = app.agent("lead@example.com", "super_admin").await;
    let (status, answer) = app.post("/api/chat/offline", &agent, form("hi")).await;
    assert_error(status, &answer, 401, "AUTHENTICATION_FAILED");
    assert_eq!(sessions(&app), 0);
}

#[tokio::test]
async fn html_in_an_offline_message_is_kept_as_text() {
    let app = TestApp::spawn().await;
    app.create_agent("root@example.com", "Root", "super_admin")
        .await;
    let agent = app.login("root@example.com").await;
    let hostile = "<img src=x onerror=alert(1)>";
    let (status, body) = offline(
        &app,
        json!({ "name": hostile, "email": "a@example.com", "message": hostile }),
    )
    .await;
    let body = expect_ok("offline submit", (status, body));
    let id = body["data"]["sessionId"].as_str().unwrap().to_string();
    let d = detail(&app, &agent, &id).await;
    assert_eq!(d["messages"][0]["message"], hostile);
    assert_eq!(d["userInfo"]["name"], hostile);
    let mut b = Browser::sign_in(&app, "root@example.com").await;
    for path in [
        "/admin/queue/rows".to_string(),
        format!("/admin/chats/{id}"),
    ] {
        let html = b.get_ok(&path).await;
        assert!(!html.contains("<img src=x"), "{path} let markup through");
    }
}

#[tokio::test]
async fn offline_submits_count_against_the_guest_limit_per_address() {
    let app = TestApp::spawn_with(|s| s.guest_starts_per_address_per_hour = 2).await;
    for n in 0..2 {
        let (status, body) = offline(&app, form(&format!("message {n}"))).await;
        expect_ok("within the limit", (status, body));
    }
    let (status, body) = offline(&app, form("one too many")).await;
    assert_error(status, &body, 429, "RATE_LIMITED");
    assert_eq!(sessions(&app), 2, "nothing stored for the refusal");
}

// ---- CORS ----

async fn preflight(app: &TestApp, path: &str, origin: &str) -> reqwest::Response {
    app.client
        .request(Method::OPTIONS, app.url(path))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization,content-type",
        )
        .send()
        .await
        .expect("preflight sent")
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    response.headers().get(name).map(|v| v.to_str().unwrap())
}

async fn with_origins() -> TestApp {
    TestApp::spawn_with(|s| s.widget.allowed_origins = vec![SHOP.to_string()]).await
}

#[tokio::test]
async fn a_preflight_from_a_listed_origin_is_allowed() {
    let app = with_origins().await;
    for path in [
        "/api/chat/session",
        "/api/chat/offline",
        "/api/chat/poll/chat_1",
    ] {
        let r = preflight(&app, path, SHOP).await;
        assert!(r.status().is_success(), "{path}: {}", r.status());
        assert_eq!(
            header(&r, "access-control-allow-origin"),
            Some(SHOP),
            "{path}"
        );
        let methods = header(&r, "access-control-allow-methods")
            .unwrap()
            .to_lowercase();
        for m in ["get", "post", "put", "delete"] {
            assert!(methods.contains(m), "{methods}");
        }
        let headers = header(&r, "access-control-allow-headers")
            .unwrap()
            .to_lowercase();
        for h in [
            "authorization",
            "content-type",
            "last-event-id",
            "x-request-id",
        ] {
            assert!(headers.contains(h), "{headers}");
        }
        assert_eq!(header(&r, "access-control-max-age"), Some("600"));
        assert_eq!(header(&r, "access-control-allow-credentials"), None);
    }
}

#[tokio::test]
async fn a_preflight_from_another_origin_gets_no_allow_origin() {
    let app = with_origins().await;
    for origin in [
        "https://evil.example",
        "https://shop.example.evil",
        "http://shop.example",
    ] {
        let r = preflight(&app, "/api/chat/session", origin).await;
        assert_eq!(header(&r, "access-control-allow-origin"), None, "{origin}");
    }
    // No origins listed: same origin only.
    let app = TestApp::spawn().await;
    let r = preflight(&app, "/api/chat/session", SHOP).await;
    assert_eq!(header(&r, "access-control-allow-origin"), None);
}

#[tokio::test]
async fn an_options_request_that_is_no_preflight_keeps_its_405_envelope() {
    let app = with_origins().await;
    let r = app
        .client
        .request(Method::OPTIONS, app.url("/api/chat/session"))
        .header("origin", SHOP)
        .send()
        .await
        .unwrap();
    let (status, body) = decode(r).await;
    assert_error(status, &body, 405, "METHOD_NOT_ALLOWED");
}

#[tokio::test]
async fn answers_to_a_listed_origin_carry_the_cors_headers() {
    let app = with_origins().await;
    let user = app.user_token("u1");
    let r = app
        .client
        .get(app.url("/api/chat/history"))
        .bearer_auth(&user)
        .header("origin", SHOP)
        .send()
        .await
        .unwrap();
    assert_eq!(header(&r, "access-control-allow-origin"), Some(SHOP));
    let exposed = header(&r, "access-control-expose-headers")
        .unwrap()
        .to_lowercase();
    assert!(exposed.contains("x-request-id"), "{exposed}");
    let (status, _) = decode(r).await;
    assert_eq!(status, StatusCode::OK);

    // Errors carry them too, so the page can read the envelope.
    let r = app
        .client
        .get(app.url("/api/chat/history"))
        .header("origin", SHOP)
        .send()
        .await
        .unwrap();
    assert_eq!(header(&r, "access-control-allow-origin"), Some(SHOP));
    let (status, body) = decode(r).await;
    assert_error(status, &body, 401, "AUTHENTICATION_FAILED");
}

#[tokio::test]
async fn the_admin_api_and_the_dashboard_have_no_cors() {
    let app = with_origins().await;
    let (_, agent) = app.agent("lead@example.com", "chat_admin").await;
    for path in [
        "/api/admin/login",
        "/api/admin/chat/active-sessions",
        "/admin/login",
    ] {
        let r = preflight(&app, path, SHOP).await;
        assert_eq!(header(&r, "access-control-allow-origin"), None, "{path}");
    }
    let r = app
        .client
        .get(app.url("/api/admin/chat/active-sessions"))
        .bearer_auth(&agent)
        .header("origin", SHOP)
        .send()
        .await
        .unwrap();
    assert_eq!(header(&r, "access-control-allow-origin"), None);
    assert_eq!(r.status(), StatusCode::OK);
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
    let (status, body) = offline(&app, form("Please call")).await;
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
