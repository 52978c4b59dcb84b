//! A transcript as a self-contained page to read or print: one askama template (everything
//! escaped), its style inline, no script and nothing loaded from anywhere. The style's hash
//! lets the page's Content-Security-Policy allow that one block and nothing else.

use std::sync::LazyLock;

use askama::Template;
use base64::Engine;
use sha2::{Digest, Sha256};

use super::transcript::{Entry, TranscriptExport};
use super::utc;
use crate::domain::Sender;
use crate::error::{Error, Result};

/// The page's whole style: readable on screen, compact on paper.
const STYLE: &str = "
body { font: 15px/1.5 system-ui, -apple-system, 'Segoe UI', sans-serif; color: #1f2933; margin: 2em auto; max-width: 48em; padding: 0 1em; }
h1 { font-size: 1.4em; margin: 0 0 .5em; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .15em 1em; margin: 0 0 1.5em; }
dt { color: #52606d; } dd { margin: 0; overflow-wrap: anywhere; }
.timeline { list-style: none; margin: 0; padding: 0; }
.timeline li { border-top: 1px solid #e4e7eb; padding: .6em 0; break-inside: avoid; }
.meta { margin: 0; color: #52606d; font-size: .9em; }
.meta strong { color: #1f2933; }
.body { margin: .25em 0 0; white-space: pre-wrap; overflow-wrap: anywhere; }
.files { margin: .25em 0 0; color: #52606d; font-size: .9em; }
.agent .meta strong { color: #1d4ed8; }
.system { color: #52606d; font-style: italic; }
.note { background: #fff8e1; border-left: 4px solid #f0b429; padding-left: .6em; }
.badge { text-transform: uppercase; letter-spacing: .05em; color: #8d6708; }
footer { margin-top: 2em; color: #7b8794; font-size: .85em; }
@media print {
  body { margin: 0; max-width: none; font-size: 11pt; }
  .note { background: none; }
  @page { margin: 1.5cm; }
}
";

/// The SHA-256 of the page's style block, base64: what a Content-Security-Policy names to allow
/// that one inline style and nothing else.
pub static STYLE_SHA256: LazyLock<String> =
    LazyLock::new(|| base64::engine::general_purpose::STANDARD.encode(Sha256::digest(STYLE)));

struct Line {
    class: &'static str,
    note: bool,
    author: String,
    time: String,
    datetime: String,
    body: String,
    files: String,
}

#[derive(Template)]
#[template(path = "export/transcript.html")]
struct TranscriptPage {
    style: &'static str,
    title: String,
    facts: Vec<(&'static str, String)>,
    lines: Vec<Line>,
    exported: String,
}

pub fn transcript_html(doc: &TranscriptExport) -> Result<String> {
    let chat = &doc.transcript.chat;
    let user = chat.user_label();
    let mut facts = vec![
        ("Chat", chat.session_id.clone()),
        ("User", user.to_string()),
    ];
    if let (Some(email), true) = (&chat.user_email, chat.user_name.is_some()) {
        facts.push(("Email", email.clone()));
    }
    facts.push(("User id", chat.user_id.clone()));
    facts.push(("Channel", chat.channel.label().to_string()));
    facts.push(("Status", chat.status.as_str().to_string()));
    facts.push(("Started", utc(chat.created_at)));
    if let Some(ended) = chat.ended_at {
        facts.push(("Ended", utc(ended)));
    }
    if let Some(agent) = &chat.assigned_agent {
        facts.push(("Agent", agent.name.clone()));
    }
    if let Some(rating) = &chat.rating {
        facts.push(("Rating", format!("{}/5", rating.rating)));
        if let Some(feedback) = &rating.feedback {
            facts.push(("Feedback", feedback.clone()));
        }
    }
    let lines = doc
        .transcript
        .timeline()
        .into_iter()
        .map(|entry| match entry {
            Entry::Message(m) => Line {
                class: match m.sender {
                    Sender::User => "message user",
                    Sender::Admin => "message agent",
                    Sender::System => "message system",
                },
                note: false,
                author: m.author(user),
                time: utc(m.sent_at),
                datetime: m.sent_at.rfc3339(),
                body: m.body.clone(),
                files: m.attachments.join(", "),
            },
            Entry::Note(n) => Line {
                class: "note",
                note: true,
                author: n.agent_name.clone().unwrap_or_else(|| n.agent_id.clone()),
                time: utc(n.created_at),
                datetime: n.created_at.rfc3339(),
                body: n.body.clone(),
                files: String::new(),
            },
        })
        .collect();
    TranscriptPage {
        style: STYLE,
        title: format!("Chat with {user}"),
        facts,
        lines,
        exported: utc(doc.exported_at),
    }
    .render()
    .map_err(|e| Error::internal_from("rendering a transcript page", e))
}
