//! `/metrics`: off (an unknown route) without `METRICS_TOKEN`; with it, a bearer token is
//! required, and the series count requests per matched route, held polls, open streams, chats,
//! agents and the writer's batches.

use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use serde_json::json;

use crate::helpers::*;

const TOKEN: &str = "scrape-token-0123456789abcdef";

async fn measured() -> TestApp {
    TestApp::spawn_with(|s| s.metrics_token = Some(TOKEN.into())).await
}

/// Scrapes with the right token; the text, checked for its status and type.
async fn scrape(app: &TestApp) -> String {
    let response = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("scrape sent");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()[CONTENT_TYPE],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    response.text().await.expect("a text body")
}

/// The value of the sample named exactly `series` (name and labels as written), if present.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|line| {
        let value = line.strip_prefix(series)?.strip_prefix(' ')?;
        Some(value.parse().expect("a number"))
    })
}

fn requests(route: &str, method: &str, status: &str) -> String {
    format!(
        "frontdesk_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}}"
    )
}

/// Waits until a scrape shows `series` at `value`.
async fn wait_for_sample(app: &TestApp, series: &str, value: f64) {
    wait_until(&format!("{series} is {value}"), || async move {
        sample(&scrape(app).await, series) == Some(value)
    })
    .await;
}

#[tokio::test]
async fn without_a_token_setting_metrics_is_an_unknown_route() {
    let app = TestApp::spawn().await;
    let (status, body) = app.get("/metrics", TOKEN).await;
    assert_error(status, &body, 404, "NOT_FOUND");
    let (_, unknown) = app.get("/no-such-route", TOKEN).await;
    for field in ["code", "message"] {
        assert_eq!(
            body["error"][field], unknown["error"][field],
            "the same answer as any unknown route"
        );
    }
}

#[tokio::test]
async fn a_missing_or_wrong_token_is_refused_in_the_envelope() {
    let app = measured().await;
    let cases: [(Option<String>, &str); 6] = [
        (None, "no Authorization header"),
        (Some(String::new()), "an empty header"),
        (Some("Bearer".into()), "a scheme without a token"),
        (
            Some(format!("Basic {TOKEN}")),
            "the right token under another scheme",
        ),
        (
            Some(format!("Bearer {}", &TOKEN[1..])),
            "a token one character short",
        ),
        (
            Some(format!("Bearer {TOKEN}x")),
            "a token one character long",
        ),
    ];
    for (header, why) in cases {
        let mut request = app.client.get(app.url("/metrics"));
        if let Some(value) = &header {
            request = request.header(AUTHORIZATION, value);
        }
        let response = request.send().await.expect("sent");
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{why}");
        assert_eq!(
            response.headers()[WWW_AUTHENTICATE],
            "Bearer realm=\"metrics\"",
            "{why}"
        );
        let (status, body) = decode(response).await;
        assert_error(status, &body, 401, "AUTHENTICATION_FAILED");
        assert!(!body.to_string().contains(TOKEN), "{why}: {body}");
    }
    // Only GET; other methods answer 405 in the envelope like any route.
    let (status, body) = app
        .request(reqwest::Method::POST, "/metrics", Some(TOKEN), None)
        .await;
    assert_error(status, &body, 405, "METHOD_NOT_ALLOWED");
}

#[tokio::test]
async fn requests_are_counted_per_matched_route_never_per_raw_path() {
    let app = measured().await;
    let token = app.user_token("u1");
    app.start_session(&token, Some("chat_secret_one")).await;
    app.poll(&token, "chat_secret_one", None).await;
    app.poll(&token, "chat_secret_one", None).await;
    let (status, body) = app.get("/api/chat/poll/chat_nobody_has", &token).await;
    assert_error(status, &body, 404, "SESSION_NOT_FOUND");
    let (status, _) = app.get("/no/such/path", &token).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let text = scrape(&app).await;
    let poll = "/api/chat/poll/{session_id}";
    assert_eq!(
        sample(&text, &requests(poll, "GET", "2xx")),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, &requests(poll, "GET", "4xx")),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, &requests("/api/chat/session", "POST", "2xx")),
        Some(1.0),
        "{text}"
    );
    assert!(
        sample(&text, &requests("unmatched", "GET", "4xx")).is_some_and(|n| n >= 1.0),
        "an unknown path counts as unmatched: {text}"
    );
    let latency = format!(
        "frontdesk_http_request_duration_seconds_count{{method=\"GET\",route=\"{poll}\",status=\"2xx\"}}"
    );
    assert_eq!(sample(&text, &latency), Some(2.0), "{text}");
    assert!(!text.contains("chat_secret_one"), "no raw paths: {text}");
    assert!(!text.contains("/no/such/path"), "no raw paths: {text}");
    // The writer committed the session and its welcome message.
    for series in [
        "frontdesk_writer_batch_jobs_count",
        "frontdesk_writer_commit_seconds_count",
        "frontdesk_writer_flush_seconds_count",
    ] {
        assert!(
            sample(&text, series).is_some_and(|n| n >= 1.0),
            "{series}: {text}"
        );
    }
    for gauge in ["frontdesk_sockets_open", "frontdesk_outbox_backlog"] {
        assert_eq!(sample(&text, gauge), Some(0.0), "{gauge}: {text}");
    }
}

#[tokio::test]
async fn held_polls_open_streams_chats_and_agents_are_gauged() {
    let app = measured().await;
    let token = app.user_token("u1");
    app.start_session(&token, Some("chat_gauged")).await;
    app.send_ok(&token, "chat_gauged", "msg_gauged_1", "hello?")
        .await;
    let (_, agent) = app.agent("ann@example.com", "chat_admin").await;

    let text = scrape(&app).await;
    assert_eq!(sample(&text, "frontdesk_chats_active"), Some(1.0), "{text}");
    assert_eq!(
        sample(&text, "frontdesk_chats_waiting"),
        Some(1.0),
        "{text}"
    );
    let stats = app.get_ok("/api/admin/stats", &agent).await;
    assert_eq!(
        sample(&text, "frontdesk_agents_online"),
        stats["data"]["onlineAdmins"].as_f64(),
        "the same definition as the stats: {text}"
    );
    assert_eq!(sample(&text, "frontdesk_polls_held"), Some(0.0), "{text}");

    // A long-poll is held, then woken by the agent's reply.
    let poll = {
        let client = app.client.clone();
        let url = app.url("/api/chat/poll/chat_gauged?after=msg_gauged_1&wait=30");
        let token = token.clone();
        tokio::spawn(async move { client.get(url).bearer_auth(token).send().await })
    };
    app.wait_until_held("u1", 1).await;
    wait_for_sample(&app, "frontdesk_polls_held", 1.0).await;
    app.agent_reply(&agent, "chat_gauged", "Hi, how can I help?")
        .await;
    let answer = within("the held poll is woken", poll)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    wait_for_sample(&app, "frontdesk_polls_held", 0.0).await;
    let text = scrape(&app).await;
    assert_eq!(
        sample(&text, "frontdesk_chats_waiting"),
        Some(0.0),
        "answered: {text}"
    );

    // An event stream counts while it is open.
    let stream = app
        .client
        .get(app.url("/api/chat/stream/chat_gauged"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("stream opens");
    assert_eq!(stream.status(), StatusCode::OK);
    wait_for_sample(&app, "frontdesk_streams_open", 1.0).await;
    drop(stream);
    wait_for_sample(&app, "frontdesk_streams_open", 0.0).await;

    let (status, body) = app
        .post(
            "/api/chat/session/end",
            &token,
            json!({ "sessionId": "chat_gauged" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let text = scrape(&app).await;
    assert_eq!(sample(&text, "frontdesk_chats_active"), Some(0.0), "{text}");
}
