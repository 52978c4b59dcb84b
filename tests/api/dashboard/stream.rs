//! The dashboard's live event stream announces queue changes.

use reqwest::{StatusCode, header};

use super::client::Browser;
use crate::helpers::*;

#[tokio::test]
async fn the_queue_stream_announces_changes() {
    let app = TestApp::spawn().await;
    app.create_agent("ann@example.com", "Ann", "chat_admin")
        .await;
    let b = Browser::sign_in(&app, "ann@example.com").await;
    let response = b
        .open(b.request(reqwest::Method::GET, "/admin/events"))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let mut response = response;
    app.start_session(&app.user_token("u1"), Some("chat_stream"))
        .await;
    let got = within("a queue event", async {
        let mut seen = String::new();
        while let Some(chunk) = response.chunk().await.unwrap() {
            seen.push_str(&String::from_utf8_lossy(&chunk));
            if seen.contains("event: queue") {
                return seen;
            }
        }
        seen
    })
    .await;
    assert!(got.contains("event: queue"), "{got}");
}
