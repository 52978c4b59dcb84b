//! Exports (SPEC.md section 12): a chat's transcript in each format against the chat as it was
//! written, bad input and roles, the command-line export of a range, and privacy exports.
//!
//! The transcript tests read one scripted chat ([`scripted_chat`]) on a clock that moves only
//! when the script moves it, so every time in every format has one right answer.

mod bad_input;
mod privacy;
mod range;

use std::collections::BTreeSet;

use reqwest::StatusCode;
use reqwest::header::{CONTENT_DISPOSITION, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use serde_json::{Value, json};

use crate::attachments::{PDF, upload};
use crate::helpers::*;
use crate::search::{person, quiet_app, step};

pub const DAY: &str = "2030-03-04";

/// One message of the script, as the export must show it.
pub struct Sent {
    pub id: String,
    pub sender: &'static str,
    pub body: &'static str,
    /// The name the user saw, for agents' messages.
    pub shown_as: Option<&'static str>,
    /// The real agent, for agents' messages.
    pub agent_name: Option<&'static str>,
    pub attachments: Vec<&'static str>,
}

/// The chat every transcript test exports, and who can reach it.
pub struct Scripted {
    pub app: TestApp,
    pub session: String,
    pub root: String,
    pub sam: String,
    pub sam_id: String,
    pub user: String,
    pub messages: Vec<Sent>,
    pub note: &'static str,
}

pub const FIRST: &str = "Hello, my order \"#12\" is late,\nand the box was open";
pub const SCRIPT: &str = "<script>alert(1)</script>";
pub const FORMULA: &str = "=HYPERLINK(\"http://evil.example\",\"click\")";
pub const NOTE: &str = "+refund approved, customer <b>VIP</b>";

/// A chat started under the persona "Ava" by Ann, with a file, a reply under the persona and
/// one as Sam himself, an internal note between them, hostile text, an end and a rating.
pub async fn scripted_chat() -> Scripted {
    let app = quiet_app(DAY, "09:00:00").await;
    let (_, root) = app.agent("root@example.com", "super_admin").await;
    let sam_id = app
        .create_agent("sam@example.com", "Sam Real", "chat_admin")
        .await;
    let sam = app.login("sam@example.com").await;
    let persona = app
        .post_ok("/api/admin/personas", &root, json!({ "name": "Ava" }))
        .await["data"]["persona"]["personaId"]
        .clone();
    let user = person(&app, "u1");
    let started = app
        .post_ok(
            "/api/chat/session",
            &user,
            json!({
                "sessionId": "chat_export_1",
                "personaId": persona,
                "userInfo": { "name": "Ann Example", "email": "ann@example.com" },
            }),
        )
        .await;
    let session = started["data"]["sessionId"].as_str().unwrap().to_string();
    let mut messages = Vec::new();

    step(&app, 1);
    let (status, file) = upload(&app, &user, &session, "receipt.pdf", PDF).await;
    assert_eq!(status, StatusCode::OK, "upload: {file}");
    app.post_ok(
        "/api/chat/message",
        &user,
        json!({ "sessionId": session, "messageId": "msg_1", "message": FIRST,
                "attachments": [file["data"]["attachmentId"]] }),
    )
    .await;
    messages.push(user_message("msg_1", FIRST, vec!["receipt.pdf"]));

    step(&app, 1);
    let reply = agent_reply(
        &app,
        &sam,
        &session,
        "msg_2",
        "Hi Ann, I'm on it",
        "persona",
    )
    .await;
    messages.push(reply_by_sam(reply, "Hi Ann, I'm on it", "Ava"));

    step(&app, 1);
    app.post_ok(
        &format!("/api/admin/chat/session/{session}/notes"),
        &sam,
        json!({ "note": NOTE }),
    )
    .await;

    for (id, text) in [("msg_3", SCRIPT), ("msg_4", FORMULA)] {
        step(&app, 1);
        app.send_ok(&user, &session, id, text).await;
        messages.push(user_message(id, text, Vec::new()));
    }

    step(&app, 1);
    let reply = agent_reply(
        &app,
        &sam,
        &session,
        "msg_5",
        "Refunded. Anything else?",
        "agent",
    )
    .await;
    messages.push(reply_by_sam(reply, "Refunded. Anything else?", "Sam Real"));

    step(&app, 1);
    app.post_ok(
        "/api/chat/session/end",
        &user,
        json!({ "sessionId": session }),
    )
    .await;
    app.post_ok(
        "/api/chat/rating",
        &user,
        json!({ "sessionId": session, "rating": 5, "feedback": "Great, thanks!" }),
    )
    .await;
    Scripted {
        app,
        session,
        root,
        sam,
        sam_id,
        user,
        messages,
        note: NOTE,
    }
}

fn user_message(id: &str, body: &'static str, attachments: Vec<&'static str>) -> Sent {
    Sent {
        id: id.to_string(),
        sender: "user",
        body,
        shown_as: None,
        agent_name: None,
        attachments,
    }
}

fn reply_by_sam(id: String, body: &'static str, shown_as: &'static str) -> Sent {
    Sent {
        id,
        sender: "admin",
        body,
        shown_as: Some(shown_as),
        agent_name: Some("Sam Real"),
        attachments: Vec::new(),
    }
}

/// An agent's reply that must be stored; answers its message id.
async fn agent_reply(
    app: &TestApp,
    token: &str,
    session: &str,
    id: &str,
    text: &str,
    send_as: &str,
) -> String {
    let sent = app
        .post_ok(
            "/api/admin/chat/message",
            token,
            json!({ "sessionId": session, "messageId": id, "message": text, "sendAs": send_as }),
        )
        .await;
    assert_eq!(sent["data"]["messageId"], id, "{sent}");
    id.to_string()
}

/// The admin API's export path for `session` in `format`.
pub fn export_path(session: &str, format: &str) -> String {
    format!("/api/admin/chat/session/{session}/export?format={format}")
}

/// A download that must succeed: checks status, media type and the file's name; answers the
/// headers and the body.
pub async fn download(
    app: &TestApp,
    token: &str,
    session: &str,
    format: &str,
) -> (reqwest::header::HeaderMap, String) {
    let response = app
        .client
        .get(app.url(&export_path(session, format)))
        .bearer_auth(token)
        .send()
        .await
        .expect("the server answers");
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.text().await.expect("a body");
    assert_eq!(status, StatusCode::OK, "{format}: {body}");
    let (media_type, extension, disposition) = match format {
        "csv" => ("text/csv; charset=utf-8", "csv", "attachment"),
        "text" => ("text/plain; charset=utf-8", "txt", "attachment"),
        "html" => ("text/html; charset=utf-8", "html", "inline"),
        other => panic!("not a file format: {other}"),
    };
    assert_eq!(headers[CONTENT_TYPE], media_type, "{format}");
    let name = headers[CONTENT_DISPOSITION].to_str().unwrap();
    assert!(
        name.starts_with(&format!(
            "{disposition}; filename=\"chat-{session}.{extension}\""
        )),
        "{format}: {name}"
    );
    assert!(
        headers[CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .starts_with("default-src 'none'"),
        "{format}: nothing in an export may load or run: {headers:?}"
    );
    (headers, body)
}

fn keys(value: &Value) -> BTreeSet<&str> {
    value
        .as_object()
        .unwrap_or_else(|| panic!("an object: {value}"))
        .keys()
        .map(String::as_str)
        .collect()
}

/// Asserts that `value` has exactly the keys `expected`, so a misspelt or extra key fails.
pub fn assert_keys(what: &str, value: &Value, expected: &[&str]) {
    assert_eq!(
        keys(value),
        expected.iter().copied().collect(),
        "{what}: {value}"
    );
}

/// The JSON export's `data`, its shape checked at every level.
pub fn checked_transcript(data: &Value) -> &Value {
    assert_keys(
        "transcript",
        data,
        &["exportedAt", "chat", "messages", "internalNotes"],
    );
    assert_keys(
        "chat",
        &data["chat"],
        &[
            "sessionId",
            "userId",
            "userName",
            "userEmail",
            "channel",
            "status",
            "createdAt",
            "endedAt",
            "assignedAgent",
            "rating",
        ],
    );
    for m in data["messages"].as_array().expect("messages") {
        assert_keys(
            "message",
            m,
            &[
                "seq",
                "messageId",
                "sender",
                "agentId",
                "agentName",
                "shownAs",
                "body",
                "sentAt",
                "attachments",
            ],
        );
    }
    for n in data["internalNotes"].as_array().expect("internalNotes") {
        assert_keys(
            "note",
            n,
            &[
                "noteId",
                "internal",
                "agentId",
                "agentName",
                "body",
                "createdAt",
            ],
        );
    }
    data
}

#[tokio::test]
async fn the_json_export_is_the_chat_as_written() {
    let s = scripted_chat().await;
    let body = s.app.get_ok(&export_path(&s.session, "json"), &s.sam).await;
    let data = checked_transcript(&body["data"]);
    let chat = &data["chat"];
    assert_eq!(chat["sessionId"], s.session.as_str());
    assert_eq!(chat["userId"], "u1");
    assert_eq!(chat["userName"], "Ann Example");
    assert_eq!(chat["userEmail"], "ann@example.com");
    assert_eq!(chat["channel"], "app");
    assert_eq!(chat["status"], "ended_by_user");
    assert_eq!(chat["createdAt"], format!("{DAY}T09:00:00.000Z"));
    assert_eq!(chat["endedAt"], format!("{DAY}T09:07:00.000Z"));
    assert_eq!(
        chat["assignedAgent"],
        json!({ "id": s.sam_id, "name": "Sam Real" })
    );
    assert_eq!(chat["rating"]["rating"], 5);
    assert_eq!(chat["rating"]["feedback"], "Great, thanks!");

    let messages = data["messages"].as_array().unwrap();
    assert_eq!(messages.len(), s.messages.len(), "{messages:?}");
    for (i, (got, sent)) in messages.iter().zip(&s.messages).enumerate() {
        let what = format!("message {i}: {got}");
        assert_eq!(got["seq"], i + 1, "{what}");
        assert_eq!(got["messageId"], sent.id.as_str(), "{what}");
        assert_eq!(got["sender"], sent.sender, "{what}");
        assert_eq!(got["body"], sent.body, "{what}");
        assert_eq!(got["shownAs"], json!(sent.shown_as), "{what}");
        assert_eq!(got["agentName"], json!(sent.agent_name), "{what}");
        let agent = sent.agent_name.map(|_| s.sam_id.as_str());
        assert_eq!(got["agentId"], json!(agent), "{what}");
        assert_eq!(got["attachments"], json!(sent.attachments), "{what}");
    }
    let minutes: Vec<&str> = messages
        .iter()
        .map(|m| m["sentAt"].as_str().unwrap())
        .collect();
    assert_eq!(
        minutes,
        ["09:01", "09:02", "09:04", "09:05", "09:06"].map(|t| format!("{DAY}T{t}:00.000Z"))
    );
    assert_eq!(
        data["internalNotes"],
        json!([{
            "noteId": data["internalNotes"][0]["noteId"],
            "internal": true,
            "agentId": s.sam_id,
            "agentName": "Sam Real",
            "body": s.note,
            "createdAt": format!("{DAY}T09:03:00.000Z"),
        }])
    );
}

/// Each message and note of the JSON export as the CSV writes it: the timeline (each note
/// after the messages sent before it), formulas kept as text.
fn expected_rows(data: &Value) -> Vec<Vec<String>> {
    let text = |v: &Value| {
        let t = v.as_str().unwrap_or_default();
        if t.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            format!("'{t}")
        } else {
            t.to_string()
        }
    };
    let chat = &data["chat"];
    let chat_cells = vec![
        text(&chat["sessionId"]),
        text(&chat["userId"]),
        text(&chat["userName"]),
        text(&chat["userEmail"]),
        text(&chat["channel"]),
        text(&chat["status"]),
        text(&chat["createdAt"]),
        text(&chat["endedAt"]),
        text(&chat["assignedAgent"]["name"]),
        chat["rating"]["rating"].to_string(),
        text(&chat["rating"]["feedback"]),
    ];
    let note = &data["internalNotes"][0];
    let note_row = || {
        let mut row = chat_cells.clone();
        row.extend([
            "internal_note".to_string(),
            String::new(),
            text(&note["noteId"]),
            text(&note["createdAt"]),
            String::new(),
            text(&note["agentId"]),
            text(&note["agentName"]),
            String::new(),
            text(&note["body"]),
            String::new(),
        ]);
        row
    };
    let mut note_pending = true;
    let mut rows = Vec::new();
    for m in data["messages"].as_array().unwrap() {
        // Times in one format compare as text.
        if note_pending && note["createdAt"].as_str() < m["sentAt"].as_str() {
            rows.push(note_row());
            note_pending = false;
        }
        let files: Vec<&str> = m["attachments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_str().unwrap())
            .collect();
        let mut row = chat_cells.clone();
        row.extend([
            "message".to_string(),
            m["seq"].to_string(),
            text(&m["messageId"]),
            text(&m["sentAt"]),
            text(&m["sender"]),
            text(&m["agentId"]),
            text(&m["agentName"]),
            text(&m["shownAs"]),
            text(&m["body"]),
            files.join("; "),
        ]);
        rows.push(row);
    }
    if note_pending {
        rows.push(note_row());
    }
    rows
}

#[tokio::test]
async fn the_csv_export_parses_back_to_the_same_rows() {
    let s = scripted_chat().await;
    let json = s.app.get_ok(&export_path(&s.session, "json"), &s.sam).await;
    let (_, body) = download(&s.app, &s.sam, &s.session, "csv").await;
    assert!(
        body.contains("\r\n") && !body.replace("\r\n", "").contains('\r'),
        "RFC 4180 ends records with CRLF"
    );
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .expect("a header row")
        .iter()
        .map(str::to_string)
        .collect();
    assert_eq!(
        header,
        [
            "sessionId",
            "userId",
            "userName",
            "userEmail",
            "channel",
            "status",
            "createdAt",
            "endedAt",
            "assignedAgent",
            "rating",
            "feedback",
            "entry",
            "seq",
            "id",
            "time",
            "sender",
            "agentId",
            "agentName",
            "shownAs",
            "body",
            "attachments",
        ]
    );
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| {
            r.expect("a well-formed row")
                .iter()
                .map(str::to_string)
                .collect()
        })
        .collect();
    assert_eq!(rows, expected_rows(&json["data"]));
    // The quoting round trip and the formula guard, spelled out.
    assert_eq!(rows[0][19], FIRST, "commas, quotes and newlines survive");
    assert_eq!(rows[0][20], "receipt.pdf");
    assert_eq!(rows[2][11], "internal_note");
    assert_eq!(rows[2][19], format!("'{NOTE}"));
    assert_eq!(rows[4][19], format!("'{FORMULA}"), "a formula stays text");
    assert_eq!(rows[5][17], "Sam Real");
    assert_eq!(rows[1][18], "Ava");
}

#[tokio::test]
async fn the_text_export_reads_like_the_chat() {
    let s = scripted_chat().await;
    let (_, text) = download(&s.app, &s.sam, &s.session, "text").await;
    let expected_lines = [
        format!("Chat {}", s.session),
        "User: Ann Example <ann@example.com> (user id u1)".to_string(),
        "Channel: app".into(),
        "Status: ended_by_user".into(),
        format!("Started: {DAY} 09:00:00 UTC"),
        format!("Ended: {DAY} 09:07:00 UTC"),
        "Agent: Sam Real".into(),
        "Rating: 5/5, feedback: Great, thanks!".into(),
        format!("[{DAY} 09:01:00 UTC] Ann Example:"),
        "  Hello, my order \"#12\" is late,".into(),
        "  and the box was open".into(),
        "  Files: receipt.pdf".into(),
        format!("[{DAY} 09:02:00 UTC] Ava (sent by Sam Real):"),
        format!("[{DAY} 09:03:00 UTC] INTERNAL NOTE by Sam Real (never shown to the user):"),
        format!("  {NOTE}"),
        format!("  {SCRIPT}"),
        format!("  {FORMULA}"),
        format!("[{DAY} 09:06:00 UTC] Sam Real:"),
    ];
    let lines: Vec<&str> = text.lines().collect();
    let mut at = 0;
    for want in &expected_lines {
        at += lines[at..]
            .iter()
            .position(|l| l == want)
            .unwrap_or_else(|| panic!("{want:?} after line {at} in:\n{text}"));
    }
}

#[tokio::test]
async fn the_printable_page_escapes_everything_and_runs_nothing() {
    let s = scripted_chat().await;
    let (headers, page) = download(&s.app, &s.sam, &s.session, "html").await;
    let policy = headers[CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(!policy.contains("script-src"), "{policy}");
    // The policy allows exactly the page's own style block, by its hash.
    let style = page
        .split_once("<style>")
        .and_then(|(_, rest)| rest.split_once("</style>"))
        .expect("a style block")
        .0;
    let hash = {
        use base64::Engine;
        use sha2::Digest;
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(style))
    };
    assert!(
        policy.contains(&format!("style-src 'sha256-{hash}'")),
        "{policy}"
    );
    assert!(page.starts_with("<!doctype html>"), "{page}");
    assert!(
        !page.contains("<script"),
        "a message's script is text: {page}"
    );
    assert!(
        page.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
        "{page}"
    );
    assert!(page.contains("&#60;b&#62;VIP&#60;/b&#62;"), "{page}");
    assert!(!page.contains("src="), "nothing is loaded: {page}");
    assert!(!page.contains("<link"), "nothing is loaded: {page}");
    assert!(page.contains("@media print"), "{page}");
    // The people, in the order they spoke, the note marked.
    let mut at = 0;
    for want in [
        "Ann Example",
        "receipt.pdf",
        "Ava (sent by Sam Real)",
        "Internal note",
        "never shown to the user",
        "HYPERLINK",
        "Sam Real",
    ] {
        at += page[at..]
            .find(want)
            .unwrap_or_else(|| panic!("{want:?} after byte {at}: {page}"));
    }
    assert!(
        page.contains("5/5") && page.contains("Great, thanks!"),
        "{page}"
    );
}

#[tokio::test]
async fn every_role_that_reads_chats_exports_and_each_export_is_audited() {
    let s = scripted_chat().await;
    let (_, support) = s.app.agent("ro@example.com", "support_admin").await;
    for (who, token) in [
        ("super admin", &s.root),
        ("chat admin", &s.sam),
        ("support admin", &support),
    ] {
        let body = s.app.get_ok(&export_path(&s.session, "json"), token).await;
        assert_eq!(
            body["data"]["messages"].as_array().unwrap().len(),
            s.messages.len(),
            "{who}"
        );
    }
    download(&s.app, &support, &s.session, "csv").await;
    let audit = s
        .app
        .get_ok("/api/admin/audit?action=chat_export", &s.root)
        .await;
    let events = audit["data"]["events"].as_array().unwrap();
    assert_eq!(events.len(), 4, "{audit}");
    for event in events {
        assert_eq!(event["sessionId"], s.session.as_str(), "{event}");
        let detail = event["detail"].to_string();
        assert!(
            detail == r#"{"format":"json"}"# || detail == r#"{"format":"csv"}"#,
            "the format, never the content: {detail}"
        );
    }
    assert_eq!(events[0]["detail"]["format"], "csv", "newest first");
}
