//! Each transcript format against the scripted chat: the JSON document as written, the CSV
//! parsed back, the text as read, the page escaped; every role that reads chats exports, and
//! each export is audited.

use reqwest::header::CONTENT_SECURITY_POLICY;
use serde_json::{Value, json};

use super::*;

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
