//! Messages as users see them, and the answers that carry them.

use serde::Serialize;

use super::attachment::AttachmentAnswer;
use super::page::MessagesPage;
use crate::auth::FileLinks;
use crate::domain::attachment::fallback_text;
use crate::domain::message::Message;
use crate::domain::{MessageKind, Sender, SessionStatus, Timestamp};

/// Who answered, as the user sees it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AdminInfo {
    pub name: String,
    pub department: Option<String>,
}

/// A message as users see it: agent replies carry the shown name (agent or persona), never
/// the real agent behind a persona. Shared by poll, the messages page and the SSE stream.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClientMessage {
    pub message_id: String,
    pub message: String,
    pub sender: Sender,
    pub timestamp: Timestamp,
    pub message_type: MessageKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admin_info: Option<AdminInfo>,
    /// Always present; `[]` when the message has no files.
    pub attachments: Vec<AttachmentAnswer>,
    /// `Some(true)` when `message` only names the files (a message with files and no words):
    /// a client that shows the files hides it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fallback_text: Option<bool>,
}

impl ClientMessage {
    pub fn of(row: Message, links: &FileLinks) -> Self {
        let fallback = row.body.is_empty() && !row.attachments.is_empty();
        ClientMessage {
            admin_info: (row.sender == Sender::Admin).then(|| AdminInfo {
                name: row.display_name.unwrap_or_else(|| "Support".to_string()),
                department: row.department,
            }),
            message_id: row.id,
            message: if fallback {
                fallback_text(&row.attachments)
            } else {
                row.body
            },
            sender: row.sender,
            timestamp: row.created_at,
            message_type: row.kind,
            attachments: AttachmentAnswer::list(&row.attachments, links),
            fallback_text: fallback.then_some(true),
        }
    }
}

/// The messages of an answer, in order.
pub fn client_messages(rows: Vec<Message>, links: &FileLinks) -> Vec<ClientMessage> {
    rows.into_iter()
        .map(|m| ClientMessage::of(m, links))
        .collect()
}

/// `POST /api/chat/message`.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SendAnswer {
    pub message_id: String,
    /// Always `"sent"`.
    pub status: &'static str,
    pub timestamp: Timestamp,
    pub delivered_at: Timestamp,
    pub duplicate: bool,
}

impl SendAnswer {
    pub fn of(m: Message, duplicate: bool) -> Self {
        SendAnswer {
            message_id: m.id,
            status: "sent",
            timestamp: m.created_at,
            delivered_at: m.created_at,
            duplicate,
        }
    }
}

/// `GET /api/chat/poll/{sessionId}`.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PollAnswer {
    pub messages: Vec<ClientMessage>,
    pub session_ended: bool,
    pub session_status: SessionStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_reason: Option<String>,
    pub has_more_messages: bool,
    pub agent_typing: bool,
}

/// `GET /api/chat/messages/{sessionId}`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct MessagesAnswer {
    pub messages: Vec<ClientMessage>,
    pub pagination: MessagesPage,
}
