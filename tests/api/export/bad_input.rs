//! Bad requests for a transcript: each is a clear 4xx in the envelope, never a file, a 500 or
//! a body outside the envelope.

use reqwest::Method;

use super::{export_path, scripted_chat};
use crate::helpers::*;

#[tokio::test]
async fn bad_formats_ids_and_tokens_answer_in_the_envelope() {
    let s = scripted_chat().await;
    let app = &s.app;
    let ok = &s.session;
    let long = "c".repeat(2_000);
    let cases: Vec<(String, Option<&str>, u16, &str, &str)> = vec![
        (
            export_path(ok, "pdf"),
            Some(&s.sam),
            400,
            "VALIDATION_ERROR",
            "unknown format",
        ),
        (
            export_path(ok, ""),
            Some(&s.sam),
            400,
            "VALIDATION_ERROR",
            "empty format",
        ),
        (
            export_path(ok, "JSON"),
            Some(&s.sam),
            400,
            "VALIDATION_ERROR",
            "formats are lower case",
        ),
        (
            format!("/api/admin/chat/session/{ok}/export?format=csv&format=html"),
            Some(&s.sam),
            400,
            "VALIDATION_ERROR",
            "a repeated parameter",
        ),
        (
            export_path("chat_nobody", "csv"),
            Some(&s.sam),
            404,
            "SESSION_NOT_FOUND",
            "unknown chat",
        ),
        (
            export_path(&long, "json"),
            Some(&s.sam),
            404,
            "SESSION_NOT_FOUND",
            "a huge id",
        ),
        (
            export_path("%3Cscript%3E", "html"),
            Some(&s.sam),
            404,
            "SESSION_NOT_FOUND",
            "markup as an id",
        ),
        (
            export_path("..%2F..%2Fetc", "text"),
            Some(&s.sam),
            404,
            "SESSION_NOT_FOUND",
            "a path as an id",
        ),
        (
            export_path("%F0%9F%98%80", "csv"),
            Some(&s.sam),
            404,
            "SESSION_NOT_FOUND",
            "an emoji id",
        ),
        (
            export_path("%FF%FE", "csv"),
            Some(&s.sam),
            400,
            "VALIDATION_ERROR",
            "not UTF-8",
        ),
        (
            export_path(ok, "csv"),
            None,
            401,
            "AUTHENTICATION_FAILED",
            "no token",
        ),
        (
            export_path(ok, "csv"),
            Some("not-a-token"),
            401,
            "AUTHENTICATION_FAILED",
            "a bad token",
        ),
        (
            export_path(ok, "csv"),
            Some(&s.user),
            401,
            "AUTHENTICATION_FAILED",
            "a user's token",
        ),
    ];
    for (path, token, status, code, what) in cases {
        let (got, body) = app.request(Method::GET, &path, token, None).await;
        assert_eq!(got.as_u16(), status, "{what}: {body}");
        assert_error(got, &body, status, code);
        if code == "VALIDATION_ERROR" && path.contains("pdf") {
            assert_eq!(body["error"]["details"]["field"], "format", "{what}");
        }
    }
    // None of these was an export.
    let audit = app
        .get_ok("/api/admin/audit?action=chat_export", &s.root)
        .await;
    assert_eq!(audit["data"]["events"], serde_json::json!([]), "{audit}");
}

#[tokio::test]
async fn other_methods_are_not_exports() {
    let s = scripted_chat().await;
    for method in [Method::POST, Method::PUT, Method::DELETE] {
        let (status, body) = s
            .app
            .request(
                method.clone(),
                &export_path(&s.session, "csv"),
                Some(&s.sam),
                None,
            )
            .await;
        assert_error(status, &body, 405, "METHOD_NOT_ALLOWED");
    }
}
