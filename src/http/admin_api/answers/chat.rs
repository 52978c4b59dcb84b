//! Answers of the actions agents take on a chat: reply, assign, prioritise.

use serde::Serialize;

use crate::domain::message::Message;
use crate::domain::session::Session;
use crate::domain::{Channel, Priority, SendAs, SessionStatus, Timestamp};

/// `POST /api/admin/message`.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentSendAnswer {
    pub message_id: String,
    /// Always `"sent"`.
    pub status: &'static str,
    pub timestamp: Timestamp,
    pub shown_as: Option<String>,
    pub send_as: Option<SendAs>,
    pub duplicate: bool,
}

impl AgentSendAnswer {
    pub fn of(m: Message, duplicate: bool) -> Self {
        AgentSendAnswer {
            message_id: m.id,
            status: "sent",
            timestamp: m.created_at,
            shown_as: m.display_name,
            send_as: m.sent_as,
            duplicate,
        }
    }
}

/// `POST /api/admin/chat/broadcast`: what the broadcast reached.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BroadcastAnswer {
    /// The message's id in every chat.
    pub message_id: String,
    /// Chats that got the message now.
    pub chats: usize,
    /// Chats that had it already (a retry with the same `messageId`).
    pub already_had: usize,
}

impl BroadcastAnswer {
    pub fn of(summary: crate::service::broadcast::BroadcastSummary) -> Self {
        BroadcastAnswer {
            message_id: summary.message_id,
            chats: summary.chats,
            already_had: summary.already_had,
        }
    }
}

/// Assign, release and transfer: who holds the chat now.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AssignmentAnswer {
    pub session_id: String,
    pub assigned_agent_id: Option<String>,
    pub assigned_at: Option<Timestamp>,
    pub status: SessionStatus,
    pub channel: Channel,
}

impl From<Session> for AssignmentAnswer {
    fn from(s: Session) -> Self {
        AssignmentAnswer {
            session_id: s.id,
            assigned_agent_id: s.assigned_agent_id,
            assigned_at: s.assigned_at,
            status: s.status,
            channel: s.channel,
        }
    }
}

/// `PUT /api/admin/sessions/{sessionId}/priority`.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PriorityAnswer {
    pub session_id: String,
    pub priority_override: Option<Priority>,
}
