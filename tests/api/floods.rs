//! Floods: the cap on active sessions per user and per guest address, guest starts per address,
//! the message limit per user across sessions, and the client address behind a trusted proxy.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

/// Starts a chat as `user` with the given session id; the answer is checked by the caller.
async fn try_start(app: &TestApp, token: &str, session_id: &str) -> (StatusCode, Value) {
    app.post(
        "/api/chat/session",
        token,
        json!({ "sessionId": session_id }),
    )
    .await
}

/// Starts a guest chat (no token), sent through the test's proxy as `forwarded_for`.
async fn start_guest(app: &TestApp, forwarded_for: Option<&str>) -> (StatusCode, Value) {
    let mut request = app
        .client
        .post(app.url("/api/chat/session"))
        .json(&json!({}));
    if let Some(value) = forwarded_for {
        request = request.header("x-forwarded-for", value);
    }
    decode(request.send().await.expect("request sent")).await
}

fn sessions_of(app: &TestApp, user: &str) -> i64 {
    app.count_rows(&format!(
        "SELECT COUNT(*) FROM sessions WHERE user_id = '{user}'"
    ))
}

fn guest_sessions(app: &TestApp) -> i64 {
    app.count_rows("SELECT COUNT(*) FROM sessions WHERE is_guest = TRUE")
}

#[tokio::test]
async fn past_the_cap_a_new_session_is_refused_but_resuming_still_works() {
    let app = TestApp::spawn_with(|s| s.max_active_sessions_per_user = 2).await;
    let u1 = app.user_token("u1");
    app.start_session(&u1, Some("chat_cap_a")).await;
    app.start_session(&u1, Some("chat_cap_b")).await;

    let (status, body) = try_start(&app, &u1, "chat_cap_c").await;
    assert_error(status, &body, 429, "TOO_MANY_SESSIONS");
    assert_eq!(sessions_of(&app, "u1"), 2, "nothing stored for the refusal");

    // Another user is not affected.
    let u2 = app.user_token("u2");
    app.start_session(&u2, Some("chat_cap_other")).await;

    // A retry of an existing start, and a resume without an id, are answered at the cap.
    let (status, body) = try_start(&app, &u1, "chat_cap_a").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["sessionId"], "chat_cap_a");
    let resumed = app.start_session(&u1, None).await;
    assert_eq!(resumed["resumed"], true, "{resumed}");
    assert_eq!(sessions_of(&app, "u1"), 2);

    // Ending one makes room again.
    app.post_ok(
        "/api/chat/session/end",
        &u1,
        json!({ "sessionId": "chat_cap_a" }),
    )
    .await;
    app.start_session(&u1, Some("chat_cap_c")).await;
    assert_eq!(sessions_of(&app, "u1"), 3);
}

#[tokio::test]
async fn concurrent_starts_at_the_cap_store_exactly_the_cap() {
    let app = TestApp::spawn_with(|s| s.max_active_sessions_per_user = 3).await;
    let token = app.user_token("racer");
    let starts = (0..12).map(|i| {
        let request = app
            .client
            .post(app.url("/api/chat/session"))
            .bearer_auth(&token)
            .json(&json!({ "sessionId": format!("chat_race_{i}") }));
        tokio::spawn(async move { decode(request.send().await.expect("request sent")).await })
    });
    let mut created = 0;
    for start in starts.collect::<Vec<_>>() {
        let (status, body) = within("a concurrent start", start).await.expect("task");
        if status == StatusCode::OK {
            created += 1;
        } else {
            assert_error(status, &body, 429, "TOO_MANY_SESSIONS");
        }
    }
    assert_eq!(created, 3, "exactly the cap was admitted");
    assert_eq!(sessions_of(&app, "racer"), 3, "exactly the cap was stored");
}

#[tokio::test]
async fn guests_from_one_address_are_capped_while_another_address_starts() {
    let app = TestApp::spawn_with(|s| {
        s.allow_guests = true;
        s.trusted_proxies = frontdesk::domain::TrustedProxies::parse("127.0.0.1").unwrap();
        s.max_active_guest_sessions_per_address = 2;
    })
    .await;
    for _ in 0..2 {
        let (status, body) = start_guest(&app, Some("203.0.113.1")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (status, body) = start_guest(&app, Some("203.0.113.1")).await;
    assert_error(status, &body, 429, "TOO_MANY_SESSIONS");
    assert_eq!(guest_sessions(&app), 2, "nothing stored for the refusal");

    // A spoofed entry left of the proxy's own is not read: still 203.0.113.1.
    let (status, body) = start_guest(&app, Some("198.51.100.9, 203.0.113.1")).await;
    assert_error(status, &body, 429, "TOO_MANY_SESSIONS");

    let (status, body) = start_guest(&app, Some("203.0.113.2")).await;
    assert_eq!(status, StatusCode::OK, "another address starts: {body}");
    let user = app.user_token("u1");
    app.start_session(&user, Some("chat_guest_flood_user"))
        .await;
    assert_eq!(guest_sessions(&app), 3);
}

#[tokio::test]
async fn guest_starts_are_rate_limited_per_address() {
    let app = TestApp::spawn_with(|s| {
        s.allow_guests = true;
        s.trusted_proxies = frontdesk::domain::TrustedProxies::parse("127.0.0.1").unwrap();
        s.guest_starts_per_address_per_hour = 2;
    })
    .await;
    for _ in 0..2 {
        let (status, body) = start_guest(&app, Some("203.0.113.5")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        // Ending the chat frees the active cap but not the start budget.
        let token = body["data"]["sessionToken"].as_str().unwrap().to_string();
        let id = body["data"]["sessionId"].as_str().unwrap().to_string();
        app.post_ok("/api/chat/session/end", &token, json!({ "sessionId": id }))
            .await;
    }
    let response = app
        .client
        .post(app.url("/api/chat/session"))
        .header("x-forwarded-for", "203.0.113.5")
        .json(&json!({}))
        .send()
        .await
        .expect("request sent");
    assert!(response.headers().contains_key("retry-after"));
    let (status, body) = decode(response).await;
    assert_error(status, &body, 429, "RATE_LIMITED");
    assert_eq!(guest_sessions(&app), 2, "nothing stored for the refusal");

    let (status, body) = start_guest(&app, Some("203.0.113.6")).await;
    assert_eq!(status, StatusCode::OK, "another address starts: {body}");
}

#[tokio::test]
async fn forwarded_for_from_an_untrusted_peer_is_ignored() {
    let app = TestApp::spawn_with(|s| {
        s.allow_guests = true;
        s.max_active_guest_sessions_per_address = 1;
    })
    .await;
    let (status, body) = start_guest(&app, Some("203.0.113.1")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // No trusted proxy: the header is the client's own claim, and the peer is what counts.
    let (status, body) = start_guest(&app, Some("203.0.113.2")).await;
    assert_error(status, &body, 429, "TOO_MANY_SESSIONS");
    assert_eq!(guest_sessions(&app), 1);
}

#[tokio::test]
async fn a_malformed_forwarded_for_from_a_trusted_proxy_counts_as_the_proxy() {
    let app = TestApp::spawn_with(|s| {
        s.allow_guests = true;
        s.trusted_proxies = frontdesk::domain::TrustedProxies::parse("127.0.0.1").unwrap();
        s.max_active_guest_sessions_per_address = 1;
    })
    .await;
    let (status, body) = start_guest(&app, Some("not an address")).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "a bad header is ignored, not refused: {body}"
    );
    let (status, body) = start_guest(&app, Some("203.0.113.7, ,")).await;
    assert_error(status, &body, 429, "TOO_MANY_SESSIONS");
    let (status, body) = start_guest(&app, None).await;
    assert_error(status, &body, 429, "TOO_MANY_SESSIONS");
    let (status, body) = start_guest(&app, Some("203.0.113.7")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn messages_spread_over_sessions_hit_the_per_user_limit() {
    let app = TestApp::spawn_with(|s| {
        s.rate_limit_max_requests = 10;
        s.rate_limit_max_requests_per_user = Some(4);
    })
    .await;
    let token = app.user_token("spreader");
    for (session, n) in [("chat_spread_1", 0), ("chat_spread_2", 2)] {
        app.start_session(&token, Some(session)).await;
        for i in n..n + 2 {
            app.send_ok(&token, session, &format!("msg_spread_{i}"), "hello")
                .await;
        }
    }
    app.start_session(&token, Some("chat_spread_3")).await;
    let (status, body) = app
        .send(&token, "chat_spread_3", "msg_spread_4", "hello")
        .await;
    assert_error(status, &body, 429, "RATE_LIMITED");
    assert!(
        body["error"]["details"]["retryAfterSeconds"]
            .as_u64()
            .unwrap()
            >= 1
    );

    // A retry of a stored message is still answered, and stores nothing new.
    let retry = app
        .send_ok(&token, "chat_spread_1", "msg_spread_0", "hello")
        .await;
    assert_eq!(retry["messageId"], "msg_spread_0");
    let stored = app.count_rows(
        "SELECT COUNT(*) FROM messages m JOIN sessions s ON s.id = m.session_id
         WHERE s.user_id = 'spreader' AND m.sender = 'user'",
    );
    assert_eq!(stored, 4);

    // Another user has their own budget.
    let other = app.user_token("someone_else");
    app.start_session(&other, Some("chat_spread_other")).await;
    app.send_ok(&other, "chat_spread_other", "msg_other_0", "hi")
        .await;
}

#[tokio::test]
async fn a_returning_guests_new_sessions_count_for_its_address() {
    let app = TestApp::spawn_with(|s| {
        s.allow_guests = true;
        s.trusted_proxies = frontdesk::domain::TrustedProxies::parse("127.0.0.1").unwrap();
        s.max_active_guest_sessions_per_address = 2;
    })
    .await;
    let (status, body) = start_guest(&app, Some("203.0.113.8")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let guest = body["data"]["sessionToken"].as_str().unwrap().to_string();
    let second = app
        .client
        .post(app.url("/api/chat/session"))
        .bearer_auth(&guest)
        .header("x-forwarded-for", "203.0.113.8")
        .json(&json!({ "sessionId": "chat_guest_second" }))
        .send()
        .await
        .expect("request sent");
    let (status, body) = decode(second).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = start_guest(&app, Some("203.0.113.8")).await;
    assert_error(status, &body, 429, "TOO_MANY_SESSIONS");
    assert_eq!(guest_sessions(&app), 2);
}

#[tokio::test]
async fn a_session_silent_past_the_timeout_does_not_count_for_the_cap() {
    let app = TestApp::spawn_with(|s| s.max_active_sessions_per_user = 1).await;
    let token = app.user_token("sleeper");
    app.start_session(&token, Some("chat_idle_1")).await;
    let (status, body) = try_start(&app, &token, "chat_idle_2").await;
    assert_error(status, &body, 429, "TOO_MANY_SESSIONS");

    // Past SESSION_TIMEOUT_MINUTES the first chat has expired, swept or not.
    let timeout = app.services.settings.session_timeout;
    app.clock
        .advance(timeout + std::time::Duration::from_secs(1));
    app.start_session(&token, Some("chat_idle_2")).await;
    assert_eq!(sessions_of(&app, "sleeper"), 2);
}

#[tokio::test]
async fn a_user_with_a_guests_id_does_not_use_up_the_guests_message_budget() {
    let app = TestApp::spawn_with(|s| {
        s.allow_guests = true;
        s.rate_limit_max_requests = 10;
        s.rate_limit_max_requests_per_user = Some(2);
    })
    .await;
    let (status, guest) = start_guest(&app, None).await;
    assert_eq!(status, StatusCode::OK, "{guest}");
    let Guest {
        token: guest_token,
        id: guest_id,
        session: guest_session,
    } = Guest::from_start(&guest);
    app.send_ok(&guest_token, &guest_session, "msg_guest_0", "hello")
        .await;

    // A business user whose subject is the guest's id spends a budget of its own.
    let namesake = app.user_token(&guest_id);
    app.start_session(&namesake, Some("chat_namesake")).await;
    for i in 0..2 {
        app.send_ok(
            &namesake,
            "chat_namesake",
            &format!("msg_namesake_{i}"),
            "hi",
        )
        .await;
    }
    let (status, body) = app
        .send(&namesake, "chat_namesake", "msg_namesake_2", "hi")
        .await;
    assert_error(status, &body, 429, "RATE_LIMITED");

    app.send_ok(&guest_token, &guest_session, "msg_guest_1", "still here")
        .await;
    let (status, body) = app
        .send(&guest_token, &guest_session, "msg_guest_2", "and again")
        .await;
    assert_error(status, &body, 429, "RATE_LIMITED");
}
