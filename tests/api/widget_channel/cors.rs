//! CORS on the client API: preflights and answers for listed origins only, never on the admin
//! API or the dashboard.

use reqwest::{Method, StatusCode};

use super::SHOP;
use crate::helpers::*;

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
