//! The dashboard's sign-in session: the cookie's flags and idle expiry, failed sign-in, sign-out,
//! disabled agents, and the one-time setup link.

use std::time::Duration;

use reqwest::{StatusCode, header};

use super::client::Browser;
use crate::helpers::*;

#[tokio::test]
async fn the_session_cookie_is_locked_down_and_expires_when_idle() {
    let app = TestApp::spawn_with(|s| s.dashboard_idle = Duration::from_secs(30 * 60)).await;
    app.create_agent("ann@example.com", "Ann", "chat_admin")
        .await;
    let mut b = Browser::new(&app);
    b.get("/admin/login").await.ok("the login page");
    let token = b.csrf();
    let answer = b
        .post(
            "/admin/login",
            &[("email", "ann@example.com"), ("password", AGENT_PASSWORD)],
            Some(&token),
        )
        .await;
    let cookie = answer
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("fd_session="))
        .unwrap();
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/admin"] {
        assert!(cookie.contains(flag), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain http in tests");
    let raw = cookie
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("fd_session=")
        .to_string();
    assert_eq!(
        app.count_rows(&format!(
            "SELECT COUNT(*) FROM dashboard_sessions WHERE token_hash = '{raw}'"
        )),
        0,
        "only a hash is stored"
    );

    app.clock.advance(Duration::from_secs(20 * 60));
    assert_eq!(
        b.get("/admin/queue").await.status,
        StatusCode::OK,
        "activity keeps it alive"
    );
    app.clock.advance(Duration::from_secs(31 * 60));
    assert_eq!(
        b.get("/admin/queue").await.status,
        StatusCode::SEE_OTHER,
        "idle too long"
    );

    let secure =
        TestApp::spawn_with(|s| s.public_url = Some("https://support.example.com".into())).await;
    secure
        .create_agent("ann@example.com", "Ann", "chat_admin")
        .await;
    let mut b = Browser::new(&secure);
    b.get("/admin/login").await.ok("the login page");
    let token = b.csrf();
    let answer = b
        .post(
            "/admin/login",
            &[("email", "ann@example.com"), ("password", AGENT_PASSWORD)],
            Some(&token),
        )
        .await;
    assert!(
        answer
            .headers
            .get_all(header::SET_COOKIE)
            .iter()
            .all(|c| c.to_str().unwrap().contains("Secure"))
    );
}

#[tokio::test]
async fn sign_in_failures_sign_out_and_disabled_agents() {
    let app = TestApp::spawn().await;
    app.create_agent("root@example.com", "Root", "super_admin")
        .await;
    let ann_id = app
        .create_agent("ann@example.com", "Ann", "chat_admin")
        .await;
    let mut b = Browser::new(&app);
    b.get("/admin/login").await.ok("the login page");
    let token = b.csrf();
    let answer = b
        .post(
            "/admin/login",
            &[("email", "ann@example.com"), ("password", "wrong")],
            Some(&token),
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert!(answer.body.contains("Invalid email or password"));
    assert!(
        answer.body.contains("value=\"ann@example.com\""),
        "the email is kept"
    );

    let mut ann = Browser::sign_in(&app, "ann@example.com").await;
    let mut root = Browser::sign_in(&app, "root@example.com").await;
    let csrf = root.csrf();
    let disabled = root
        .post(&format!("/admin/agents/{ann_id}/disable"), &[], Some(&csrf))
        .await;
    assert_eq!(disabled.status, StatusCode::SEE_OTHER, "{}", disabled.body);
    assert_eq!(
        ann.get("/admin/queue").await.status,
        StatusCode::SEE_OTHER,
        "a disabled agent is out at once"
    );

    let csrf = root.csrf();
    let answer = root.post("/admin/logout", &[], Some(&csrf)).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(root.get("/admin/queue").await.status, StatusCode::SEE_OTHER);
    assert_eq!(app.count_rows("SELECT COUNT(*) FROM dashboard_sessions"), 0);
}

#[tokio::test]
async fn a_second_sign_in_page_does_not_void_the_first() {
    let app = TestApp::spawn().await;
    app.create_agent("ann@example.com", "Ann", "chat_admin")
        .await;
    let mut b = Browser::new(&app);
    b.get("/admin/login").await.ok("the first tab");
    let first_tab = b.csrf();
    b.get("/admin/login").await.ok("a second tab");
    assert_eq!(b.csrf(), first_tab, "one token per browser");
    let answer = b
        .post(
            "/admin/login",
            &[("email", "ann@example.com"), ("password", AGENT_PASSWORD)],
            Some(&first_tab),
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    assert_eq!(answer.headers[header::LOCATION], "/admin/queue");

    // A token the server did not issue is replaced, not echoed into the form.
    let mut forged = Browser::new(&app);
    forged.set_cookie("fd_form", "<script>");
    forged.get("/admin/login").await.ok("the login page");
    assert_ne!(forged.csrf(), "<script>");
    assert_eq!(forged.csrf().len(), 32, "{}", forged.csrf());
}

#[tokio::test]
async fn an_expired_session_sends_live_requests_to_sign_in() {
    let app = TestApp::spawn_with(|s| s.dashboard_idle = Duration::from_secs(30 * 60)).await;
    app.create_agent("ann@example.com", "Ann", "chat_admin")
        .await;
    let mut b = Browser::sign_in(&app, "ann@example.com").await;
    app.clock.advance(Duration::from_secs(31 * 60));
    let stream = b
        .open(
            b.request(reqwest::Method::GET, "/admin/events")
                .header(header::ACCEPT, "text/event-stream"),
        )
        .await;
    assert_eq!(
        stream.status(),
        StatusCode::UNAUTHORIZED,
        "the stream stops"
    );
    assert!(!stream.headers().contains_key(header::LOCATION));
    let partial = b.htmx_get("/admin/queue").await;
    assert_eq!(partial.status, StatusCode::UNAUTHORIZED);
    assert_eq!(partial.headers["hx-redirect"], "/admin/login");
    let page = b.get("/admin/queue").await;
    assert_eq!(
        page.status,
        StatusCode::SEE_OTHER,
        "a page load still redirects"
    );
    assert_eq!(page.headers[header::LOCATION], "/admin/login");
}

#[tokio::test]
async fn the_setup_link_works_once() {
    let app = TestApp::spawn().await;
    let token = frontdesk::service::setup::pending_token(&app.services)
        .await
        .unwrap()
        .unwrap();
    let mut b = Browser::new(&app);
    assert_eq!(
        b.get("/admin/setup?token=wrong").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        b.get(&format!("/admin/setup?token={token}")).await.status,
        StatusCode::OK
    );
    let form = b.csrf();
    let bad = b
        .post(
            "/admin/setup",
            &[
                ("token", &token),
                ("name", "Dana"),
                ("email", "dana@example.com"),
                ("password", "short"),
            ],
            Some(&form),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let form = b.csrf();
    let answer = b
        .post(
            "/admin/setup",
            &[
                ("token", &token),
                ("name", "Dana"),
                ("email", "dana@example.com"),
                ("password", AGENT_PASSWORD),
            ],
            Some(&form),
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    assert_eq!(
        b.get("/admin/agents").await.status,
        StatusCode::OK,
        "signed in as a super admin"
    );
    let mut again = Browser::new(&app);
    assert_eq!(
        again
            .get(&format!("/admin/setup?token={token}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.count_rows("SELECT COUNT(*) FROM agents"), 1);
}
