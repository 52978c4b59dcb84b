//! The chat view's Export menu: each link, fetched with a signed-in dashboard session, is the
//! transcript in its format with the right type, name and policy; signed out it is the
//! sign-in; an unknown chat is the not-found page.

use reqwest::{StatusCode, header};

use super::client::Browser;
use crate::export::{FORMULA, NOTE, SCRIPT, scripted_chat};

#[tokio::test]
async fn each_export_link_of_the_chat_view_downloads_its_format() {
    let s = scripted_chat().await;
    let mut b = Browser::sign_in(&s.app, "sam@example.com").await;
    let page = b.get_ok(&format!("/admin/chats/{}", s.session)).await;
    let links = [
        ("json", "application/json", "attachment"),
        ("csv", "text/csv; charset=utf-8", "attachment"),
        ("txt", "text/plain; charset=utf-8", "attachment"),
        ("html", "text/html; charset=utf-8", "inline"),
    ];
    for (extension, media_type, disposition) in links {
        let path = format!("/admin/chats/{}/export.{extension}", s.session);
        assert!(
            page.contains(&format!("href=\"{path}\"")),
            "the chat view links {path}"
        );
        let answer = b.get(&path).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}: {}", answer.body);
        assert_eq!(answer.headers[header::CONTENT_TYPE], media_type, "{path}");
        let name = answer.headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap();
        assert!(
            name.starts_with(&format!(
                "{disposition}; filename=\"chat-{}.{extension}\"",
                s.session
            )),
            "{path}: {name}"
        );
        let policy = answer.headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap();
        assert!(
            policy.starts_with("default-src 'none'") && !policy.contains("script-src"),
            "{path}: the download's own policy, not the pages': {policy}"
        );
        let body = &answer.body;
        match extension {
            "json" => {
                let doc: serde_json::Value = serde_json::from_str(body).expect("a JSON document");
                crate::export::checked_transcript(&doc);
                assert_eq!(doc["chat"]["sessionId"], s.session.as_str());
                assert_eq!(doc["messages"].as_array().unwrap().len(), s.messages.len());
                assert_eq!(doc["internalNotes"][0]["body"], NOTE);
            }
            "csv" => {
                let rows: Vec<csv::StringRecord> = csv::Reader::from_reader(body.as_bytes())
                    .records()
                    .collect::<Result<_, _>>()
                    .expect("well-formed rows");
                assert_eq!(rows.len(), s.messages.len() + 1, "messages and the note");
                assert!(
                    body.contains(&format!("'{FORMULA}").replace('"', "\"\"")),
                    "{body}"
                );
            }
            "txt" => {
                assert!(body.contains(&format!("  {SCRIPT}")), "{body}");
                assert!(body.contains("INTERNAL NOTE by Sam Real"), "{body}");
            }
            _ => {
                assert!(!body.contains("<script"), "{body}");
                assert!(body.contains("Ava (sent by Sam Real)"), "{body}");
            }
        }
    }

    // Signed out: the sign-in page, never the file.
    let mut anonymous = Browser::new(&s.app);
    let answer = anonymous
        .get(&format!("/admin/chats/{}/export.csv", s.session))
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(answer.headers[header::LOCATION], "/admin/login");
    // An unknown chat, or no chat id at all: the not-found page.
    for path in [
        "/admin/chats/chat_nope/export.csv",
        "/admin/chats/%3Cb%3E/export.html",
        "/admin/chats/x/export.pdf",
    ] {
        let answer = b.get(path).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
        assert!(!answer.body.contains("chat_export_1"), "{path}");
    }
}
