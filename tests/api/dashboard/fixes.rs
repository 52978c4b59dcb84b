//! Dashboard HTML over HTTP for the fixes of the foundations issue: a malformed form gets the
//! dashboard's error page (or a toast message for htmx) with a 400, not a plain-text 422; the
//! transcript is a polite live log whose messages carry their ids; destructive forms carry the
//! confirmation the page script asks; the details panel's typing boxes survive live swaps.

use reqwest::{StatusCode, header};
use serde_json::json;

use super::client::{Answer, Browser};
use crate::helpers::*;

/// Asserts the dashboard's "check the form" error page with a 400 that names `needle`.
fn assert_form_error(what: &str, page: &Answer, needle: &str) {
    assert_eq!(
        page.status,
        StatusCode::BAD_REQUEST,
        "{what}: {}",
        page.body
    );
    let content_type = page.headers[header::CONTENT_TYPE].to_str().unwrap();
    assert!(
        content_type.starts_with("text/html"),
        "{what}: an HTML error page, not {content_type}"
    );
    assert!(
        page.body.contains("Please check the form") && page.body.contains(needle),
        "{what}: the error page names the problem ({needle}): {}",
        page.body
    );
    assert!(
        page.headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("script-src 'self'"),
        "{what}: the error page keeps the dashboard's CSP"
    );
}

#[tokio::test]
async fn malformed_forms_get_the_error_page_with_a_400() {
    let app = TestApp::spawn().await;
    app.create_agent("root@example.com", "Root", "super_admin")
        .await;
    let bob = app
        .create_agent("bob@example.com", "Bob", "chat_admin")
        .await;
    let user = app.user_token("u1");
    app.start_session(&user, Some("chat_forms")).await;
    let (status, body) = app.send(&user, "chat_forms", "msg_forms", "hello").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut d = Browser::sign_in(&app, "root@example.com").await;

    // (what, path, body, what the message must name)
    let cases: [(&str, String, &str, &str); 7] = [
        (
            "transfer without whom to",
            "/admin/chats/chat_forms/transfer".into(),
            "note=yours",
            "missing field `to`",
        ),
        (
            // Files alone may be sent, so the field may be missing; the reply may not be empty.
            "reply without a message",
            "/admin/chats/chat_forms/reply".into(),
            "send_as=agent",
            "message must not be empty",
        ),
        (
            "a note sent twice in one form",
            "/admin/chats/chat_forms/notes".into(),
            "note=one&note=two",
            "duplicate field `note`",
        ),
        (
            "priority without a value",
            "/admin/chats/chat_forms/priority".into(),
            "",
            "missing field `priority`",
        ),
        (
            "agent update without capacity",
            format!("/admin/agents/{bob}"),
            "role=chat_admin",
            "missing field `capacity`",
        ),
        (
            "persona without a name",
            "/admin/personas".into(),
            "bio=Friendly",
            "missing field `name`",
        ),
        (
            "canned reply without text",
            "/admin/canned".into(),
            "title=Refund&shortcut=%2Frefund",
            "missing field `text`",
        ),
    ];
    for (what, path, body, needle) in &cases {
        let page = d.post_raw(path, body, false).await;
        assert_form_error(what, &page, needle);
        // htmx requests get the same 400 and a message for the toast.
        let page = d.post_raw(path, body, true).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{what} (htmx)");
        let toast = page.headers["x-frontdesk-message"].to_str().unwrap();
        assert!(toast.contains(needle), "{what} (htmx): toast {toast:?}");
    }

    // Not a form at all (JSON with a valid CSRF header): the same page, not a 415.
    let page = d
        .send(
            d.request(reqwest::Method::POST, "/admin/chats/chat_forms/notes")
                .header("x-csrf-token", d.csrf())
                .json(&json!({ "note": "hi" })),
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST, "{}", page.body);
    assert!(
        page.body.contains("not sent as a web form"),
        "{}",
        page.body
    );

    // None of them changed anything.
    let details = d.get_ok("/admin/chats/chat_forms/details").await;
    assert!(details.contains("No notes yet"), "{details}");
    let (status, personas) = app
        .get("/api/admin/personas", &app.login("root@example.com").await)
        .await;
    assert_eq!(status, StatusCode::OK, "{personas}");
    assert_eq!(personas["data"]["personas"], json!([]));

    // The sign-in form, before any session, answers the same way.
    let mut fresh = Browser::new(&app);
    fresh.get_ok("/admin/login").await;
    let body =
        serde_urlencoded::to_string([("email", "root@example.com"), ("csrf", &fresh.csrf())])
            .unwrap();
    let page = fresh.post_raw("/admin/login", &body, false).await;
    assert_form_error(
        "sign-in without a password",
        &page,
        "missing field `password`",
    );
}

#[tokio::test]
async fn the_transcript_is_a_polite_live_log_of_keyed_messages() {
    let app = TestApp::spawn().await;
    app.create_agent("root@example.com", "Root", "super_admin")
        .await;
    let user = app.user_token("u1");
    app.start_session(&user, Some("chat_log")).await;
    let (status, body) = app.send(&user, "chat_log", "msg_log_1", "hello").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut d = Browser::sign_in(&app, "root@example.com").await;

    let page = d.get_ok("/admin/chats/chat_log").await;
    let at = page.find("id=\"transcript\"").expect("a transcript");
    let tag = &page[at..at + page[at..].find('>').unwrap()];
    for attribute in [
        "role=\"log\"",
        "aria-live=\"polite\"",
        "aria-relevant=\"additions\"",
    ] {
        assert!(
            tag.contains(attribute),
            "{attribute} on the transcript: {tag}"
        );
    }
    // Messages carry their id, so the page adds new ones instead of redrawing all.
    assert!(page.contains("data-key=\"msg_log_1\""), "{page}");
    let partial = d.get_ok("/admin/chats/chat_log/transcript").await;
    assert!(partial.contains("data-key=\"msg_log_1\""), "{partial}");
}

#[tokio::test]
async fn destructive_forms_confirm_and_typing_boxes_survive_live_swaps() {
    let app = TestApp::spawn().await;
    let (_, root) = app.agent("root@example.com", "super_admin").await;
    app.create_agent("bob@example.com", "Bob", "chat_admin")
        .await;
    let (status, body) = app
        .post("/api/admin/personas", &root, json!({ "name": "Emma" }))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app
        .post(
            "/api/admin/canned-responses",
            &root,
            json!({ "title": "Refund", "shortcut": "/refund", "text": "On its way." }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let user = app.user_token("u1");
    app.start_session(&user, Some("chat_boxes")).await;
    let mut d = Browser::sign_in(&app, "root@example.com").await;

    for (path, action, question) in [
        ("/admin/agents", "/disable\"", "data-confirm=\"Disable Bob?"),
        (
            "/admin/personas",
            "/delete\"",
            "data-confirm=\"Delete Emma?",
        ),
        (
            "/admin/canned",
            "/delete\"",
            "data-confirm=\"Delete /refund?",
        ),
        (
            "/admin/chats/chat_boxes",
            "/end\"",
            "data-confirm=\"End this chat?",
        ),
    ] {
        let page = d.get_ok(path).await;
        let form = page
            .split("<form")
            .find(|f| f.contains(action))
            .unwrap_or_else(|| panic!("{path}: a form posting to …{action}"));
        assert!(form.contains(question), "{path}: {form}");
        // htmx only honours hx-confirm on requests it makes itself.
        assert!(!page.contains("hx-confirm"), "{path}: {page}");
    }

    let details = d.get_ok("/admin/chats/chat_boxes/details").await;
    for id in ["note-text", "transfer-note", "end-reason"] {
        let at = details
            .find(&format!("id=\"{id}\""))
            .unwrap_or_else(|| panic!("#{id} in {details}"));
        let tag = &details[at..at + details[at..].find('>').unwrap()];
        assert!(tag.contains("hx-preserve"), "#{id} survives swaps: {tag}");
    }
}
