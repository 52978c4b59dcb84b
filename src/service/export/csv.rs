//! A transcript as CSV: one row per message or internal note in the order of the timeline,
//! each row carrying its chat's fields too, so a spreadsheet can filter and sort rows alone.
//! Column names are the JSON document's names; text cells are [`formula_safe`].

use super::transcript::{Entry, TranscriptExport};
use crate::domain::spreadsheet::{formula_safe, rfc4180_writer};
use crate::error::{Error, Result};

/// The header row.
pub const COLUMNS: [&str; 21] = [
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
];

/// How a row's `attachments` cell lists the names of a message's files.
pub const NAME_SEPARATOR: &str = "; ";

pub fn transcript_csv(doc: &TranscriptExport) -> Result<Vec<u8>> {
    let csv_error = |e: csv::Error| Error::internal_from("writing a transcript as CSV", e);
    let chat = &doc.transcript.chat;
    let text = |value: Option<&str>| formula_safe(value.unwrap_or_default()).into_owned();
    let chat_cells = [
        text(Some(&chat.session_id)),
        text(Some(&chat.user_id)),
        text(chat.user_name.as_deref()),
        text(chat.user_email.as_deref()),
        chat.channel.as_str().to_string(),
        chat.status.as_str().to_string(),
        chat.created_at.rfc3339(),
        chat.ended_at.map(|t| t.rfc3339()).unwrap_or_default(),
        text(chat.assigned_agent.as_ref().map(|a| a.name.as_str())),
        chat.rating
            .as_ref()
            .map(|r| r.rating.to_string())
            .unwrap_or_default(),
        text(chat.rating.as_ref().and_then(|r| r.feedback.as_deref())),
    ];
    let mut out = rfc4180_writer(Vec::new());
    out.write_record(COLUMNS).map_err(csv_error)?;
    for entry in doc.transcript.timeline() {
        let own: [String; 10] = match entry {
            Entry::Message(m) => [
                "message".into(),
                m.seq.to_string(),
                text(Some(&m.message_id)),
                m.sent_at.rfc3339(),
                m.sender.as_str().into(),
                text(m.agent_id.as_deref()),
                text(m.agent_name.as_deref()),
                text(m.shown_as.as_deref()),
                text(Some(&m.body)),
                text(Some(&m.attachments.join(NAME_SEPARATOR))),
            ],
            Entry::Note(n) => [
                "internal_note".into(),
                String::new(),
                text(Some(&n.note_id)),
                n.created_at.rfc3339(),
                String::new(),
                text(Some(&n.agent_id)),
                text(n.agent_name.as_deref()),
                String::new(),
                text(Some(&n.body)),
                String::new(),
            ],
        };
        out.write_record(chat_cells.iter().chain(own.iter()))
            .map_err(csv_error)?;
    }
    out.into_inner()
        .map_err(|e| Error::internal_from("writing a transcript as CSV", e.into_error()))
}
