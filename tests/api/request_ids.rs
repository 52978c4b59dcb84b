//! `x-request-id`: kept when the client sends a usable one, made otherwise, returned on every
//! answer, and shown in error envelopes and on the dashboard's error page.

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::{Value, json};

use crate::helpers::*;

const HEADER: &str = "x-request-id";

/// Sends a GET with the given `x-request-id` values; answers status, the returned id and body.
async fn get_with_ids(
    app: &TestApp,
    path: &str,
    ids: &[HeaderValue],
) -> (StatusCode, String, String) {
    let mut request = app.client.get(app.url(path));
    for id in ids {
        request = request.header(HEADER, id.clone());
    }
    let response = request.send().await.expect("request sent");
    let status = response.status();
    let id = returned_id(response.headers());
    (status, id, response.text().await.expect("a body"))
}

fn returned_id(headers: &HeaderMap) -> String {
    let mut values = headers.get_all(HEADER).iter();
    let id = values.next().expect("every answer carries x-request-id");
    assert!(values.next().is_none(), "one id per answer");
    id.to_str().expect("a visible ASCII id").to_owned()
}

/// What the server makes: 26 characters of Crockford base 32.
fn looks_made(id: &str) -> bool {
    id.len() == 26
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b.is_ascii_uppercase() && !b"ILOU".contains(&b)))
}

#[tokio::test]
async fn an_incoming_id_is_echoed() {
    let app = TestApp::spawn().await;
    for id in [
        "abc-123",
        "0f8fad5b-d9cb-469f-a165-70867728950e",
        &"x".repeat(64),
    ] {
        let (status, returned, _) =
            get_with_ids(&app, "/healthz", &[HeaderValue::from_str(id).unwrap()]).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(returned, id);
    }
}

#[tokio::test]
async fn without_an_id_each_answer_gets_a_fresh_one() {
    let app = TestApp::spawn().await;
    let (first_status, first, _) = get_with_ids(&app, "/healthz", &[]).await;
    let (second_status, second, _) = get_with_ids(&app, "/healthz", &[]).await;
    assert_eq!(first_status, StatusCode::OK);
    assert_eq!(second_status, StatusCode::OK);
    assert!(looks_made(&first), "{first}");
    assert!(looks_made(&second), "{second}");
    assert_ne!(first, second);
}

#[tokio::test]
async fn an_oversized_or_hostile_id_is_replaced() {
    let app = TestApp::spawn().await;
    let cases: Vec<(Vec<HeaderValue>, &str)> = vec![
        (
            vec![HeaderValue::from_str(&"a".repeat(65)).unwrap()],
            "one byte too long",
        ),
        (
            vec![HeaderValue::from_str(&"a".repeat(10_000)).unwrap()],
            "far too long",
        ),
        (vec![HeaderValue::from_static("")], "empty"),
        (vec![HeaderValue::from_static("two words")], "a space"),
        (
            vec![HeaderValue::from_static("tab\there")],
            "a control character",
        ),
        (
            vec![HeaderValue::from_bytes("caf\u{e9}".as_bytes()).unwrap()],
            "non-ASCII",
        ),
        (
            vec![
                HeaderValue::from_static("one"),
                HeaderValue::from_static("two"),
            ],
            "sent twice",
        ),
    ];
    for (ids, why) in cases {
        let (status, returned, _) = get_with_ids(&app, "/healthz", &ids).await;
        assert_eq!(status, StatusCode::OK, "{why}");
        assert!(
            looks_made(&returned),
            "{why}: replaced by a made id, got {returned:?}"
        );
    }
}

#[tokio::test]
async fn an_error_envelope_carries_the_id_of_its_answer() {
    let app = TestApp::spawn().await;
    let token = app.user_token("user_ids");
    let requests = [
        (
            app.client.get(app.url("/api/chat/poll/chat_missing")),
            404,
            "SESSION_NOT_FOUND",
        ),
        (
            app.client.get(app.url("/api/nothing/here")),
            404,
            "NOT_FOUND",
        ),
        (
            app.client.delete(app.url("/api/chat/session")),
            405,
            "METHOD_NOT_ALLOWED",
        ),
        (
            app.client
                .post(app.url("/api/chat/message"))
                .header("content-type", "application/json")
                .body("{not json"),
            400,
            "VALIDATION_ERROR",
        ),
    ];
    for (request, status, code) in requests {
        for incoming in [None, Some("support-ticket-77")] {
            let mut request = request.try_clone().unwrap().bearer_auth(&token);
            if let Some(id) = incoming {
                request = request.header(HEADER, id);
            }
            let response = request.send().await.expect("request sent");
            let id = returned_id(response.headers());
            let (got, body) = decode(response).await;
            assert_error(got, &body, status, code);
            assert_eq!(body["error"]["details"]["requestId"], id.as_str(), "{code}");
            if let Some(incoming) = incoming {
                assert_eq!(id, incoming, "{code}");
            }
        }
    }
}

#[tokio::test]
async fn a_validation_error_keeps_its_field_next_to_the_id() {
    let app = TestApp::spawn().await;
    let token = app.user_token("user_field");
    let session = app.start_session(&token, Some("chat_ids_field")).await;
    assert_eq!(session["sessionId"], "chat_ids_field", "{session}");
    let response = app
        .client
        .post(app.url("/api/chat/message"))
        .bearer_auth(&token)
        .header(HEADER, "field-and-id")
        .json(&json!({ "sessionId": "chat_ids_field", "message": "   " }))
        .send()
        .await
        .expect("request sent");
    let (status, body) = decode(response).await;
    assert_error(status, &body, 400, "VALIDATION_ERROR");
    assert_eq!(
        body["error"]["details"],
        json!({ "field": "message", "requestId": "field-and-id" })
    );
}

#[tokio::test]
async fn a_success_answer_returns_the_id_in_its_header_only() {
    let app = TestApp::spawn().await;
    let (status, id, body) = get_with_ids(&app, "/healthz", &[]).await;
    assert_eq!(status, StatusCode::OK);
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["success"], true);
    assert!(!body.to_string().contains(&id), "{body}");
}

#[tokio::test]
async fn the_dashboard_error_page_shows_the_id() {
    let app = TestApp::spawn().await;
    let (status, id, page) = get_with_ids(
        &app,
        "/admin/setup?token=wrong",
        &[HeaderValue::from_static("page-id-7")],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(id, "page-id-7");
    assert!(
        page.contains("<code id=\"request-id\">page-id-7</code>"),
        "{page}"
    );

    let (status, made, page) = get_with_ids(&app, "/admin/setup?token=wrong", &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(looks_made(&made), "{made}");
    assert!(page.contains(&made), "{page}");
}

#[tokio::test]
async fn readiness_and_liveness_answer_in_the_envelope() {
    let app = TestApp::spawn().await;
    for (path, status) in [("/healthz", "ok"), ("/readyz", "ready")] {
        let (code, body) = app.request(reqwest::Method::GET, path, None, None).await;
        assert_eq!(code, reqwest::StatusCode::OK, "{path}: {body}");
        assert_eq!(body["success"], true);
        assert_eq!(body["data"]["status"], status);
    }
    // Both are GET only, and say so in the envelope.
    let (code, body) = app
        .request(reqwest::Method::POST, "/readyz", None, None)
        .await;
    assert_eq!(code, reqwest::StatusCode::METHOD_NOT_ALLOWED, "{body}");
}
