//! The scripted chat every transcript test exports, and the checks they share: the download's
//! headers and the JSON document's exact shape.

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
