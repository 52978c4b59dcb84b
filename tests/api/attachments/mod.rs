//! Attachments (SPEC.md section 9): uploads, sending them, serving them, limits and sweeping.

mod backup;
mod crash;
mod images;
mod limits;
mod sending;
mod serving;
mod sweep;

use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::Value;

use crate::helpers::{TestApp, expect_ok};

pub const PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

/// Uploads `bytes` as `name` to a client or admin upload endpoint.
#[must_use = "check the status"]
pub async fn upload_to(
    app: &TestApp,
    path: &str,
    token: &str,
    session_id: &str,
    name: &str,
    bytes: Vec<u8>,
) -> (StatusCode, Value) {
    let form = Form::new()
        .text("sessionId", session_id.to_string())
        .part("file", Part::bytes(bytes).file_name(name.to_string()));
    let response = app
        .client
        .post(app.url(path))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .expect("upload sent");
    crate::helpers::decode(response).await
}

/// A user's upload to their own session.
#[must_use = "check the status"]
pub async fn upload(
    app: &TestApp,
    token: &str,
    session_id: &str,
    name: &str,
    bytes: &[u8],
) -> (StatusCode, Value) {
    upload_to(
        app,
        "/api/chat/attachments",
        token,
        session_id,
        name,
        bytes.to_vec(),
    )
    .await
}

/// An upload that must succeed; answers `data`.
pub async fn upload_ok(
    app: &TestApp,
    token: &str,
    session_id: &str,
    name: &str,
    bytes: &[u8],
) -> Value {
    expect_ok(
        &format!("upload {name}"),
        upload(app, token, session_id, name, bytes).await,
    )["data"]
        .clone()
}

/// Sends a message carrying `files` (and `text`, if any); answers the raw result.
#[must_use = "check the status"]
pub async fn send_files(
    app: &TestApp,
    token: &str,
    session_id: &str,
    message_id: &str,
    text: Option<&str>,
    files: &[&str],
) -> (StatusCode, Value) {
    let mut body = serde_json::json!({
        "sessionId": session_id,
        "messageId": message_id,
        "attachments": files,
    });
    if let Some(text) = text {
        body["message"] = Value::from(text);
    }
    app.post("/api/chat/message", token, body).await
}

/// GETs a path (a signed link) with an optional bearer token; answers status, headers, bytes.
pub async fn fetch(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
    let mut request = app.client.get(app.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("fetch sent");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.expect("body").to_vec();
    (status, headers, bytes)
}

/// The id of an upload answer.
pub fn id_of(upload: &Value) -> &str {
    upload["attachmentId"].as_str().expect("an attachment id")
}
