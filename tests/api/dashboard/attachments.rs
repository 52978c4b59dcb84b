//! Files in the dashboard over HTTP: the chat page's upload route (cookie session and CSRF
//! token, the admin API's JSON answer and errors), a reply of files alone from the reply form's
//! repeated `attachments` field, and how the transcript shows files (names escaped).

use reqwest::StatusCode;
use serde_json::Value;

use super::client::{Answer, Browser};
use crate::helpers::*;

const CHAT: &str = "chat_files";
const BOUNDARY: &str = "frontdesk-test-boundary";

/// A multipart body with one `file` field.
fn multipart(file_name: &str, content: &[u8]) -> Vec<u8> {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// Uploads as the chat page's script does: the CSRF token in the header (None: no token).
async fn upload(b: &mut Browser, file_name: &str, content: &[u8], csrf: Option<&str>) -> Answer {
    let mut request = b
        .request(
            reqwest::Method::POST,
            &format!("/admin/chats/{CHAT}/attachments"),
        )
        .header(
            reqwest::header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .header(reqwest::header::ACCEPT, "application/json")
        .body(multipart(file_name, content));
    if let Some(token) = csrf {
        request = request.header("x-csrf-token", token);
    }
    b.send(request).await
}

fn json_of(answer: &Answer) -> Value {
    serde_json::from_str(&answer.body).unwrap_or_else(|e| panic!("{e}: {}", answer.body))
}

/// An agent signed in to the dashboard, on the page of a chat the user opened.
async fn agent_on_chat(app: &TestApp) -> Browser {
    app.create_agent("ada@example.com", "Ada", "chat_admin")
        .await;
    let user = app.user_token("u1");
    app.start_session(&user, Some(CHAT)).await;
    app.send_ok(&user, CHAT, "msg_files_1", "Hello").await;
    let mut b = Browser::sign_in(app, "ada@example.com").await;
    b.get_ok(&format!("/admin/chats/{CHAT}")).await;
    b
}

#[tokio::test]
async fn an_agent_uploads_from_the_chat_page_and_sends_files_alone() {
    let app = TestApp::spawn().await;
    let mut b = agent_on_chat(&app).await;
    let page = b.get_ok(&format!("/admin/chats/{CHAT}")).await;
    assert!(
        page.contains(&format!(
            "data-upload-url=\"/admin/chats/{CHAT}/attachments\""
        )),
        "the reply form names its upload address"
    );

    let csrf = b.csrf();
    let answer = upload(&mut b, "notes.txt", b"Order 1042\n", Some(&csrf)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let data = json_of(&answer)["data"].clone();
    assert_eq!(data["name"], "notes.txt", "{data}");
    assert_eq!(data["size"], 11, "{data}");
    assert_eq!(data["contentType"], "text/plain", "{data}");
    let id = data["attachmentId"].as_str().expect("an id").to_string();

    // The reply form with no text and the file's id, as htmx sends it.
    let body = serde_urlencoded::to_string([
        ("message", ""),
        ("send_as", "agent"),
        ("attachments", id.as_str()),
    ])
    .unwrap();
    let reply = b
        .post_raw(&format!("/admin/chats/{CHAT}/reply"), &body, true)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert!(
        reply.body.contains("class=\"file-link\"") && reply.body.contains("notes.txt"),
        "the refreshed transcript shows the file: {}",
        reply.body
    );
    assert!(reply.body.contains("11 bytes"), "{}", reply.body);
    assert!(
        !reply.body.contains("Sent a file"),
        "no stand-in text in the dashboard: {}",
        reply.body
    );

    // The user gets the file, with its signed link, and the stand-in text for old clients.
    let user = app.user_token("u1");
    let poll = app.poll(&user, CHAT, Some("msg_files_1")).await;
    let message = poll["messages"][0].clone();
    assert_eq!(message["attachments"][0]["attachmentId"], id, "{poll}");
    assert_eq!(message["fallbackText"], true, "{poll}");
    let url = message["attachments"][0]["url"].as_str().expect("a url");
    let file = reqwest::get(app.url(url)).await.unwrap();
    assert_eq!(file.status(), StatusCode::OK);
    assert_eq!(file.text().await.unwrap(), "Order 1042\n");
}

#[tokio::test]
async fn uploads_need_this_sessions_csrf_token() {
    let app = TestApp::spawn().await;
    let mut b = agent_on_chat(&app).await;
    for (what, token) in [("no token", None), ("a wrong token", Some("not-the-token"))] {
        let answer = upload(&mut b, "notes.txt", b"hi\n", token).await;
        assert_eq!(
            answer.status,
            StatusCode::FORBIDDEN,
            "{what}: {}",
            answer.body
        );
    }
    assert_eq!(
        app.count_rows("SELECT COUNT(*) FROM attachments"),
        0,
        "nothing was stored"
    );
}

#[tokio::test]
async fn upload_refusals_answer_in_the_envelope() {
    let app = TestApp::spawn_with(|s| s.attachments.max_bytes = 1024).await;
    let mut b = agent_on_chat(&app).await;
    let csrf = b.csrf();
    let cases: [(&str, &[u8], u16, &str); 2] = [
        ("big.txt", &[b'x'; 4096], 413, "PAYLOAD_TOO_LARGE"),
        (
            "page.txt",
            b"<!doctype html><html><body>hi</body></html>",
            415,
            "UNSUPPORTED_FILE_TYPE",
        ),
    ];
    for (name, content, status, code) in cases {
        let answer = upload(&mut b, name, content, Some(&csrf)).await;
        let body = json_of(&answer);
        assert_error(answer.status, &body, status, code);
        assert!(
            body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{name}: a message to show: {body}"
        );
    }
}

#[tokio::test]
async fn file_names_are_escaped_in_the_transcript() {
    let app = TestApp::spawn().await;
    let mut b = agent_on_chat(&app).await;
    let csrf = b.csrf();
    let hostile = "<img src=x onerror=alert(1)>.txt";
    let answer = upload(&mut b, hostile, b"hi\n", Some(&csrf)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let id = json_of(&answer)["data"]["attachmentId"]
        .as_str()
        .unwrap()
        .to_string();
    let body = serde_urlencoded::to_string([("attachments", id.as_str())]).unwrap();
    let reply = b
        .post_raw(&format!("/admin/chats/{CHAT}/reply"), &body, true)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    for path in [
        format!("/admin/chats/{CHAT}"),
        format!("/admin/chats/{CHAT}/transcript"),
    ] {
        let html = b.get_ok(&path).await;
        assert!(!html.contains("<img src=x"), "{path} let markup through");
        assert!(
            html.contains("&#60;img src=x onerror=alert(1)&#62;.txt"),
            "{path} shows the name as text: {html}"
        );
    }
}

#[tokio::test]
async fn a_reply_names_an_unknown_file_and_sends_nothing() {
    let app = TestApp::spawn().await;
    let mut b = agent_on_chat(&app).await;
    let body = serde_urlencoded::to_string([("attachments", "att_unknown")]).unwrap();
    let reply = b
        .post_raw(&format!("/admin/chats/{CHAT}/reply"), &body, true)
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert!(reply.headers.contains_key("x-frontdesk-message"));
    let user = app.user_token("u1");
    let poll = app.poll(&user, CHAT, Some("msg_files_1")).await;
    assert_eq!(
        poll["messages"].as_array().map(Vec::len),
        Some(0),
        "nothing was sent: {poll}"
    );
}
