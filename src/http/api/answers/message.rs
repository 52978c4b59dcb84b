//! Messages as users see them, and the answers that carry them.

use serde::Serialize;

use super::page::MessagesPage;
use crate::domain::message::Message;
use crate::domain::{MessageKind, Sender, SessionStatus, Timestamp};

/// Who answered, as the user sees it.
#[derive(Serialize)]
pub struct AdminInfo {
    pub name: String,
    pub department: Option<String>,
}

/// A message as users see it: agent replies carry the shown name (agent or persona), never
/// the real agent behind a persona. Shared by poll, the messages page and the SSE stream.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientMessage {
    pub message_id: String,
    pub message: String,
    pub sender: Sender,
    pub timestamp: Timestamp,
    pub message_type: MessageKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admin_info: Option<AdminInfo>,
}

impl From<Message> for ClientMessage {
    fn from(row: Message) -> Self {
        ClientMessage {
            admin_info: (row.sender == Sender::Admin).then(|| AdminInfo {
                name: row.display_name.unwrap_or_else(|| "Support".to_string()),
                department: row.department,
            }),
            message_id: row.id,
            message: row.body,
            sender: row.sender,
            timestamp: row.created_at,
            message_type: row.kind,
        }
    }
}

/// The messages of an answer, in order.
pub fn client_messages(rows: Vec<Message>) -> Vec<ClientMessage> {
    rows.into_iter().map(ClientMessage::from).collect()
}

/// `POST /api/chat/message`.
#[derive(Serialize)]
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
#[derive(Serialize)]
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
#[derive(Serialize)]
pub struct MessagesAnswer {
    pub messages: Vec<ClientMessage>,
    pub pagination: MessagesPage,
}
