//! Transport-level bad input on every endpoint: every answer is the JSON envelope.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::*;

const CLIENT_POSTS: &[&str] = &[
    "/api/chat/session",
    "/api/chat/message",
    "/api/chat/session/end",
    "/api/chat/rating",
    "/api/chat/typing",
    "/api/chat/read",
];

const ADMIN_POSTS: &[&str] = &[
    "/api/admin/chat/message",
    "/api/admin/chat/typing",
    "/api/admin/chat/session/assign",
    "/api/admin/chat/session/release",
    "/api/admin/chat/session/transfer",
    "/api/admin/chat/session/end",
    "/api/admin/chat/session/chat_x/notes",
    "/api/admin/agents",
    "/api/admin/personas",
    "/api/admin/canned-responses",
];

#[tokio::test]
async fn malformed_mistyped_and_oversized_bodies_answer_in_the_envelope() {
    let app = TestApp::spawn().await;
    let user = app.user_token("u1");
    let (_, agent) = app.agent("boss@example.com", "super_admin").await;
    let huge = vec![b'a'; 200 * 1024];
    let mut huge_json = b"{\"message\": \"".to_vec();
    huge_json.extend(vec![b'x'; 100 * 1024]);
    huge_json.extend(b"\"}");
    let nested = "[".repeat(10_000);
    for (paths, token) in [(CLIENT_POSTS, &user), (ADMIN_POSTS, &agent)] {
        for path in paths.iter().copied() {
            for (content_type, body, status, code) in [
                (
                    Some("application/json"),
                    b"{\"sessionId\": ".to_vec(),
                    400,
                    "VALIDATION_ERROR",
                ),
                (
                    Some("application/json"),
                    b"not json at all".to_vec(),
                    400,
                    "VALIDATION_ERROR",
                ),
                (
                    Some("application/json"),
                    b"[]".to_vec(),
                    400,
                    "VALIDATION_ERROR",
                ),
                (
                    Some("application/json"),
                    b"\"a string\"".to_vec(),
                    400,
                    "VALIDATION_ERROR",
                ),
                (
                    Some("application/json"),
                    b"{} trailing".to_vec(),
                    400,
                    "VALIDATION_ERROR",
                ),
                (
                    Some("application/json"),
                    nested.as_bytes().to_vec(),
                    400,
                    "VALIDATION_ERROR",
                ),
                (
                    Some("application/json"),
                    huge_json.clone(),
                    413,
                    "PAYLOAD_TOO_LARGE",
                ),
                (
                    Some("text/plain"),
                    b"{}".to_vec(),
                    415,
                    "UNSUPPORTED_MEDIA_TYPE",
                ),
                (
                    Some("application/x-www-form-urlencoded"),
                    b"a=b".to_vec(),
                    415,
                    "UNSUPPORTED_MEDIA_TYPE",
                ),
                (None, b"{}".to_vec(), 415, "UNSUPPORTED_MEDIA_TYPE"),
                (
                    Some("application/octet-stream"),
                    huge.clone(),
                    415,
                    "UNSUPPORTED_MEDIA_TYPE",
                ),
            ] {
                let (got, answer) = app.post_raw(path, Some(token), content_type, body).await;
                assert_error(got, &answer, status, code);
            }
        }
    }
    assert_eq!(app.count_rows("SELECT COUNT(*) FROM sessions"), 0);
    assert_eq!(app.count_rows("SELECT COUNT(*) FROM messages"), 0);
}

#[tokio::test]
async fn unknown_routes_and_wrong_methods_answer_in_the_envelope() {
    let app = TestApp::spawn().await;
    let token = app.user_token("u1");
    for path in [
        "/api/chat/nothing",
        "/nope",
        "/api/admin/nothing/here",
        "/api/chat/poll",
    ] {
        let (status, body) = app.get(path, &token).await;
        assert_error(status, &body, 404, "NOT_FOUND");
    }
    for (method, path) in [
        (Method::GET, "/api/chat/message"),
        (Method::DELETE, "/api/chat/session"),
        (Method::PUT, "/api/chat/rating"),
        (Method::POST, "/api/chat/poll/chat_x"),
        (Method::PATCH, "/api/admin/agents"),
        (Method::GET, "/api/admin/login"),
    ] {
        let (status, body) = app.request(method.clone(), path, Some(&token), None).await;
        assert_error(status, &body, 405, "METHOD_NOT_ALLOWED");
    }
}

#[tokio::test]
async fn get_requests_with_a_json_content_type_are_fine() {
    // The shipped client sends Content-Type: application/json on every call, GETs included.
    let app = TestApp::spawn().await;
    let token = app.user_token("u1");
    app.start_session(&token, Some("chat_ct")).await;
    let response = app
        .client
        .get(app.url("/api/chat/poll/chat_ct"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    let (status, body) = decode(response).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn health_answers_in_the_envelope() {
    let app = TestApp::spawn().await;
    let (status, body) = app.request(Method::GET, "/healthz", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({ "success": true, "data": { "status": "ok" }, "message": "ok" })
    );
}
