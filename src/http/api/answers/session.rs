//! Starting a chat, the user's chat history and the personas they can pick.

use serde::Serialize;

use super::page::SessionsPage;
use crate::domain::persona::Persona;
use crate::domain::{Channel, Sender, SessionStatus, Timestamp};

/// `POST /api/chat/session`.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StartAnswer {
    pub session_id: String,
    pub status: SessionStatus,
    pub created_at: Timestamp,
    pub estimated_wait_time: i64,
    pub queue_position: i64,
    pub poll_interval_seconds: u32,
    pub persona_id: Option<String>,
    /// Present (and `true`) only when an ended chat was resumed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resumed: Option<bool>,
    /// Present only when the server issued a guest token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_token: Option<String>,
}

/// `GET /api/chat/history`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct HistoryAnswer {
    pub sessions: Vec<HistorySession>,
    pub pagination: SessionsPage,
}

/// One past or current chat of the user's.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HistorySession {
    pub session_id: String,
    pub start_time: Timestamp,
    pub end_time: Option<Timestamp>,
    pub status: SessionStatus,
    pub channel: Channel,
    pub rating: Option<i64>,
    pub feedback: Option<String>,
    pub message_count: i64,
    pub duration: i64,
    pub admin_info: Option<HistoryAgent>,
    pub last_message: Option<LastMessage>,
}

/// Who last answered in a chat, as the user saw them.
#[derive(Serialize, utoipa::ToSchema)]
pub struct HistoryAgent {
    pub name: Option<String>,
    pub department: Option<String>,
}

/// The newest message of a chat in the history.
#[derive(Serialize, utoipa::ToSchema)]
pub struct LastMessage {
    pub message: String,
    pub sender: Sender,
    pub timestamp: Timestamp,
}

/// `GET /api/chat/personas`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PersonasAnswer {
    pub personas: Vec<PublicPersona>,
}

/// A persona as users see it.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PublicPersona {
    pub persona_id: String,
    pub name: String,
    pub avatar_url: Option<String>,
    pub bio: Option<String>,
}

impl From<Persona> for PublicPersona {
    fn from(p: Persona) -> Self {
        PublicPersona {
            persona_id: p.id,
            name: p.name,
            avatar_url: p.avatar_url,
            bio: p.bio,
        }
    }
}
