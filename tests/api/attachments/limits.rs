//! What an upload may be: its type from its content, its size, the quota, the count per chat,
//! and a malformed or hostile form.

use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};

use super::{PDF, upload, upload_ok};
use crate::helpers::{TestApp, assert_error, decode};

async fn chat(app: &TestApp) -> (String, String) {
    let token = app.user_token("u1");
    let session = app.start_session(&token, Some("chat_limits")).await;
    (token, session["sessionId"].as_str().unwrap().to_string())
}

fn stored_files(app: &TestApp) -> usize {
    walk(&app.dir.path().join("frontdesk.db.files/objects"))
}

fn walk(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| {
                    if e.path().is_dir() {
                        walk(&e.path())
                    } else {
                        1
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

#[tokio::test]
async fn the_type_comes_from_the_content_and_refused_kinds_change_nothing() {
    let app = TestApp::spawn().await;
    let (token, session) = chat(&app).await;
    let refused: [(&str, &[u8]); 7] = [
        (
            "HTML renamed .png",
            b"<!DOCTYPE html><html><script>alert(1)</script></html>",
        ),
        (
            "SVG",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>",
        ),
        (
            "XML with SVG",
            b"<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"/>",
        ),
        (
            "an ELF executable",
            b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0\x3e\0",
        ),
        (
            "a Windows executable",
            b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0",
        ),
        ("a ZIP archive", b"PK\x03\x04\x14\0\0\0\x08\0"),
        ("binary with NUL bytes", b"\0\0\0\x01\x02\x03 not text"),
    ];
    for (what, bytes) in refused {
        let (status, body) = upload(&app, &token, &session, "photo.png", bytes).await;
        assert_error(status, &body, 415, "UNSUPPORTED_FILE_TYPE");
        assert!(
            body["message"].as_str().unwrap().contains("Allowed:"),
            "{what}: {body}"
        );
    }
    assert_eq!(app.count_rows("SELECT COUNT(*) FROM attachments"), 0);
    assert_eq!(stored_files(&app), 0, "nothing refused reached the folder");
    let staging = app.dir.path().join("frontdesk.db.files/staging");
    assert_eq!(walk(&staging), 0, "staging is cleaned up after refusals");

    // A PDF named .png is stored as what it is.
    let pdf = upload_ok(&app, &token, &session, "photo.png", PDF).await;
    assert_eq!(pdf["contentType"], "application/pdf");
}

#[tokio::test]
async fn attachment_types_narrows_what_is_accepted() {
    let app = TestApp::spawn_with(|s| {
        s.attachments.allowed = frontdesk::domain::attachment::AllowedKinds::parse("pdf").unwrap();
    })
    .await;
    let (token, session) = chat(&app).await;
    let (status, body) = upload(&app, &token, &session, "a.txt", b"plain words\n").await;
    assert_error(status, &body, 415, "UNSUPPORTED_FILE_TYPE");
    assert!(
        body["message"].as_str().unwrap().contains("PDF document"),
        "{body}"
    );
    upload_ok(&app, &token, &session, "a.pdf", PDF).await;
}

#[tokio::test]
async fn a_file_over_the_limit_is_refused_early_and_leaves_nothing() {
    let app = TestApp::spawn_with(|s| s.attachments.max_bytes = 64 * 1024).await;
    let (token, session) = chat(&app).await;
    let (status, body) = upload(
        &app,
        &token,
        &session,
        "big.txt",
        &vec![b'a'; 64 * 1024 + 1],
    )
    .await;
    assert_error(status, &body, 413, "PAYLOAD_TOO_LARGE");
    assert_eq!(body["error"]["details"]["maxBytes"], 64 * 1024);
    // Far over the limit: the body is cut off by the limit, with the same answer.
    let (status, body) = upload(
        &app,
        &token,
        &session,
        "huge.txt",
        &vec![b'a'; 4 * 1024 * 1024],
    )
    .await;
    assert_error(status, &body, 413, "PAYLOAD_TOO_LARGE");
    assert_eq!(app.count_rows("SELECT COUNT(*) FROM attachments"), 0);
    assert_eq!(stored_files(&app), 0);
    upload_ok(&app, &token, &session, "fits.txt", &vec![b'a'; 64 * 1024]).await;
}

#[tokio::test]
async fn the_quota_refuses_with_storage_full_and_one_copy_serves_repeated_content() {
    let app = TestApp::spawn_with(|s| s.attachments.quota_bytes = 1000).await;
    let (token, session) = chat(&app).await;
    let first = upload_ok(&app, &token, &session, "a.txt", &[b'x'; 600]).await;
    // The same content again takes no more room: one copy on disk.
    let again = upload_ok(&app, &token, &session, "copy.txt", &[b'x'; 600]).await;
    assert_ne!(first["attachmentId"], again["attachmentId"]);
    assert_eq!(stored_files(&app), 1);
    let (status, body) = upload(&app, &token, &session, "b.txt", &[b'y'; 600]).await;
    assert_error(status, &body, 507, "STORAGE_FULL");
    assert_eq!(app.count_rows("SELECT COUNT(*) FROM attachments"), 2);
    assert_eq!(stored_files(&app), 1);
}

#[tokio::test]
async fn a_chat_holds_a_bounded_number_of_files() {
    let app = TestApp::spawn_with(|s| s.attachments.per_session = 2).await;
    let (token, session) = chat(&app).await;
    upload_ok(&app, &token, &session, "1.txt", b"one\n").await;
    upload_ok(&app, &token, &session, "2.txt", b"two\n").await;
    let (status, body) = upload(&app, &token, &session, "3.txt", b"three\n").await;
    assert_error(status, &body, 409, "TOO_MANY_ATTACHMENTS");
}

#[tokio::test]
async fn malformed_forms_and_closed_chats_get_clear_errors() {
    let app = TestApp::spawn().await;
    let (token, session) = chat(&app).await;
    let post_form = |form: Form| {
        let request = app
            .client
            .post(app.url("/api/chat/attachments"))
            .bearer_auth(&token)
            .multipart(form);
        async move { decode(request.send().await.expect("sent")).await }
    };
    let file = || Part::bytes(b"hello\n".to_vec()).file_name("a.txt");

    let (status, body) = post_form(Form::new().part("file", file())).await;
    assert_error(status, &body, 400, "VALIDATION_ERROR");
    assert_eq!(body["error"]["details"]["field"], "sessionId");
    let (status, body) = post_form(Form::new().text("sessionId", session.clone())).await;
    assert_error(status, &body, 400, "VALIDATION_ERROR");
    assert_eq!(body["error"]["details"]["field"], "file");
    let (status, body) = post_form(
        Form::new()
            .part("file", file())
            .text("sessionId", session.clone()),
    )
    .await;
    assert_error(status, &body, 400, "VALIDATION_ERROR");
    let (status, body) = post_form(
        Form::new()
            .text("sessionId", "../../etc")
            .part("file", file()),
    )
    .await;
    assert_error(status, &body, 400, "VALIDATION_ERROR");
    let (status, body) = post_form(
        Form::new()
            .text("sessionId", "chat_nobody")
            .part("file", file()),
    )
    .await;
    assert_error(status, &body, 404, "SESSION_NOT_FOUND");
    let (status, body) = post_form(
        Form::new()
            .text("sessionId", session.clone())
            .part("file", Part::bytes(Vec::new()).file_name("empty.txt")),
    )
    .await;
    assert_error(status, &body, 400, "VALIDATION_ERROR");
    let (status, body) = app
        .post_raw(
            "/api/chat/attachments",
            Some(&token),
            Some("application/json"),
            b"{}".to_vec(),
        )
        .await;
    assert_error(status, &body, 400, "VALIDATION_ERROR");
    let (status, body) = app
        .post_raw(
            "/api/chat/attachments",
            Some(&token),
            Some("multipart/form-data; boundary=x"),
            b"--x\r\nContent-Disposition: form-data; name=\"sessionId\"\r\n\r\nchat_limits\r\n--x\r\nbroken".to_vec(),
        )
        .await;
    assert_error(status, &body, 400, "VALIDATION_ERROR");
    let (status, body) = app
        .post_raw(
            "/api/chat/attachments",
            None,
            Some("multipart/form-data; boundary=x"),
            Vec::new(),
        )
        .await;
    assert_error(status, &body, 401, "AUTHENTICATION_FAILED");

    // A message with neither words nor files, and with junk in the list.
    let (status, body) = super::send_files(&app, &token, &session, "msg_empty", None, &[]).await;
    assert_error(status, &body, 400, "VALIDATION_ERROR");
    assert_eq!(body["error"]["details"]["field"], "message");
    for bad in [
        serde_json::json!("att_x"),
        serde_json::json!([1, 2]),
        serde_json::json!(["<script>"]),
        serde_json::json!(vec!["att_AAAAAAAAAAAAAAAAAAAAAAAA"; 11]),
    ] {
        let (status, body) = app
            .post(
                "/api/chat/message",
                &token,
                serde_json::json!({"sessionId": session, "attachments": bad}),
            )
            .await;
        assert_error(status, &body, 400, "VALIDATION_ERROR");
    }

    // An ended chat takes no more files.
    let _ = app
        .post_ok(
            "/api/chat/session/end",
            &token,
            serde_json::json!({"sessionId": session}),
        )
        .await;
    let (status, body) = upload(&app, &token, &session, "late.txt", b"late\n").await;
    assert_error(status, &body, 409, "SESSION_ENDED");
    assert_eq!(app.count_rows("SELECT COUNT(*) FROM attachments"), 0);
    assert_eq!(status, StatusCode::CONFLICT);
}
