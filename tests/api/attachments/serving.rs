//! Serving files: only with a valid, unexpired signature (or to an agent), never as active
//! content, in ranges for large files.

use std::time::Duration;

use reqwest::StatusCode;

use super::{PDF, fetch, id_of, upload_ok};
use crate::helpers::TestApp;

async fn one_file(app: &TestApp, name: &str, bytes: &[u8]) -> serde_json::Value {
    let token = app.user_token("u1");
    let session = app.start_session(&token, Some("chat_serve")).await;
    upload_ok(
        app,
        &token,
        session["sessionId"].as_str().unwrap(),
        name,
        bytes,
    )
    .await
}

#[tokio::test]
async fn files_are_never_served_as_active_content() {
    let app = TestApp::spawn().await;
    let file = one_file(&app, "<script>alert(1)</script>.pdf", PDF).await;
    let (status, headers, _) = fetch(&app, file["url"].as_str().unwrap(), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/pdf");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(
        headers["content-security-policy"],
        "sandbox; default-src 'none'"
    );
    let disposition = headers["content-disposition"].to_str().unwrap();
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    assert!(
        !disposition.contains('<'),
        "the name is encoded: {disposition}"
    );

    let text = one_file(
        &app,
        "notes.txt",
        b"note: <html><script>alert(1)</script> is just text here\n",
    )
    .await;
    assert_eq!(
        text["contentType"], "text/plain",
        "markup in the middle of text stays text"
    );
    let (_, headers, _) = fetch(&app, text["url"].as_str().unwrap(), None).await;
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment;")
    );
    assert_eq!(headers["content-type"], "text/plain");
}

#[tokio::test]
async fn a_tampered_or_expired_link_is_not_found() {
    let app = TestApp::spawn().await;
    let file = one_file(&app, "a.pdf", PDF).await;
    let url = file["url"].as_str().unwrap().to_string();
    let (path, query) = url.split_once('?').unwrap();
    let exp: i64 = query
        .split('&')
        .find_map(|p| p.strip_prefix("exp="))
        .unwrap()
        .parse()
        .unwrap();
    let sig = query
        .split('&')
        .find_map(|p| p.strip_prefix("sig="))
        .unwrap();
    let flipped: String = sig
        .chars()
        .enumerate()
        .map(|(i, c)| {
            if i == 0 {
                if c == 'a' { 'b' } else { 'a' }
            } else {
                c
            }
        })
        .collect();
    let cases = [
        format!("{path}?exp={exp}&sig={flipped}"),
        format!("{path}?exp={}&sig={sig}", exp + 3600),
        format!("{path}?exp={exp}"),
        format!("{path}?sig={sig}"),
        format!("{path}?exp=soon&sig={sig}"),
        format!("{path}?exp=99999999999999999999999&sig={sig}"),
        format!("{path}/thumb?exp={exp}&sig={sig}"),
        format!("/files/att_AAAAAAAAAAAAAAAAAAAAAAAA?exp={exp}&sig={sig}"),
        format!("/files/..%2f..%2fetc%2fpasswd?exp={exp}&sig={sig}"),
    ];
    for case in &cases {
        let (status, headers, body) = fetch(&app, case, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{case}");
        assert_eq!(
            headers["content-type"], "application/json",
            "{case}: the envelope"
        );
        assert!(!body.starts_with(b"%PDF"), "{case}");
    }
    let (status, _, _) = fetch(&app, &url, None).await;
    assert_eq!(status, StatusCode::OK, "the real link still works");
    app.clock.advance(Duration::from_secs(2 * 3600));
    let (status, _, _) = fetch(&app, &url, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "expired after its hour");
    // A fresh answer signs a fresh link.
    let token = app.user_token("u1");
    let poll_file = app.get_ok("/api/chat/messages/chat_serve", &token).await;
    assert!(poll_file["success"] == true);
}

#[tokio::test]
async fn large_files_are_served_in_ranges() {
    let app = TestApp::spawn().await;
    let mut text = Vec::new();
    while text.len() < 300_000 {
        text.extend_from_slice(format!("line {}\n", text.len()).as_bytes());
    }
    let file = one_file(&app, "log.txt", &text).await;
    let response = app
        .client
        .get(app.url(file["url"].as_str().unwrap()))
        .header("range", "bytes=100-199")
        .send()
        .await
        .expect("range request");
    assert_eq!(response.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        response.headers()["content-range"],
        format!("bytes 100-199/{}", text.len()).as_str()
    );
    assert_eq!(response.bytes().await.unwrap().as_ref(), &text[100..200]);
}

#[tokio::test]
async fn an_agent_signed_in_to_the_dashboard_opens_files_without_a_signature() {
    let app = TestApp::spawn().await;
    let file = one_file(&app, "a.pdf", PDF).await;
    let bare = format!("/files/{}", id_of(&file));
    let (status, _, _) = fetch(&app, &bare, Some("not-a-token")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, agent) = app.agent("a@example.com", "chat_admin").await;
    let (status, _, bytes) = fetch(&app, &bare, Some(&agent)).await;
    assert_eq!((status, bytes.as_slice()), (StatusCode::OK, PDF));
    let (status, _, _) = fetch(&app, &format!("{bare}/thumb"), Some(&agent)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a PDF has no thumbnail");
}
