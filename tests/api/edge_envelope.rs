//! Refusals made below the handlers answer in the JSON envelope with a stable code: bad path
//! encoding, unknown routes, wrong methods, oversized bodies, URLs and header blocks,
//! malformed JSON and wrong content types. Past hyper's own limits the reply is its bare
//! status (documented in docs/decisions.md).

use reqwest::{Method, StatusCode};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::*;

#[tokio::test]
async fn every_edge_refusal_answers_the_envelope_with_its_code() {
    let app = TestApp::spawn().await;
    let user = app.user_token("u1");
    let (_, agent) = app.agent("boss@example.com", "super_admin").await;
    app.start_session(&user, Some("chat_edge")).await;

    // Path segments that are not valid percent-encoded UTF-8.
    for (path, token) in [
        ("/api/chat/poll/%FF%FE", &user),
        ("/api/chat/messages/%C3%28", &user),
        ("/api/chat/stream/%80", &user),
        ("/api/admin/chat/session/%FF", &agent),
        ("/api/admin/agents/%FF", &agent),
    ] {
        let (status, body) = app.get(path, token).await;
        assert_error(status, &body, 400, "VALIDATION_ERROR");
        assert_eq!(body["error"]["details"]["field"], "path", "{path}: {body}");
    }
    // Undecodable escapes are taken literally and name no session.
    let (status, body) = app.get("/api/chat/poll/%zz", &user).await;
    assert_error(status, &body, 404, "SESSION_NOT_FOUND");

    let (status, body) = app.get("/api/nothing/here", &user).await;
    assert_error(status, &body, 404, "NOT_FOUND");
    let (status, body) = app
        .request(
            Method::DELETE,
            "/api/chat/poll/chat_edge",
            Some(&user),
            None,
        )
        .await;
    assert_error(status, &body, 405, "METHOD_NOT_ALLOWED");

    let big = json!({ "sessionId": "chat_edge", "message": "x".repeat(100 * 1024) });
    let (status, body) = app.post("/api/chat/message", &user, big).await;
    assert_error(status, &body, 413, "PAYLOAD_TOO_LARGE");

    let long = format!("/api/chat/poll/chat_edge?after={}", "a".repeat(9 * 1024));
    let (status, body) = app.get(&long, &user).await;
    assert_error(status, &body, 414, "URI_TOO_LONG");

    let mut wide = app
        .client
        .get(app.url("/api/chat/poll/chat_edge"))
        .bearer_auth(&user);
    for i in 0..20 {
        wide = wide.header(format!("x-filler-{i}"), "a".repeat(1000));
    }
    let (status, body) = decode(wide.send().await.unwrap()).await;
    assert_error(status, &body, 431, "HEADERS_TOO_LARGE");
    let mut many = app
        .client
        .get(app.url("/api/chat/poll/chat_edge"))
        .bearer_auth(&user);
    for i in 0..80 {
        many = many.header(format!("x-filler-{i}"), "a");
    }
    let (status, body) = decode(many.send().await.unwrap()).await;
    assert_error(status, &body, 431, "HEADERS_TOO_LARGE");

    let (status, body) = app
        .post_raw(
            "/api/chat/message",
            Some(&user),
            Some("application/json"),
            b"{\"sessionId\": ".to_vec(),
        )
        .await;
    assert_error(status, &body, 400, "VALIDATION_ERROR");
    let (status, body) = app
        .post_raw(
            "/api/chat/message",
            Some(&user),
            Some("text/plain"),
            b"{}".to_vec(),
        )
        .await;
    assert_error(status, &body, 415, "UNSUPPORTED_MEDIA_TYPE");

    // Nothing above stored anything: the session holds only its welcome message.
    assert_eq!(app.count_rows("SELECT COUNT(*) FROM sessions"), 1);
    assert_eq!(
        app.count_rows("SELECT COUNT(*) FROM messages WHERE sender != 'system'"),
        0
    );
}

#[tokio::test]
async fn edge_refusals_carry_the_request_id_and_security_headers() {
    let app = TestApp::spawn().await;
    let long = format!("/api/chat/poll/x?after={}", "a".repeat(9 * 1024));
    let response = app.client.get(app.url(&long)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::URI_TOO_LONG);
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    let id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let (_, body) = decode(response).await;
    assert_eq!(body["error"]["details"]["requestId"], id.as_str());
}

#[tokio::test]
async fn a_head_past_hypers_own_limit_gets_its_bare_431_and_the_connection_closes() {
    let app = TestApp::spawn().await;
    let mut stream = TcpStream::connect(app.base.trim_start_matches("http://"))
        .await
        .unwrap();
    let mut head = b"GET /healthz HTTP/1.1\r\nHost: a\r\n".to_vec();
    for i in 0..80 {
        head.extend(format!("x-filler-{i}: {}\r\n", "a".repeat(1000)).as_bytes());
    }
    head.extend(b"\r\n");
    // The server may stop reading before the end; what matters is its reply.
    let _ = stream.write_all(&head).await;
    let reply = within("the server replies and closes", async {
        let mut seen = Vec::new();
        let mut buf = [0u8; 1024];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return seen,
                Ok(n) => seen.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    let reply = String::from_utf8_lossy(&reply);
    assert!(reply.starts_with("HTTP/1.1 431"), "{reply}");
}
