//! Live signals: the SSE event payloads other than `message`, and the typing and read answers.

use serde::Serialize;

use crate::domain::SessionStatus;

/// SSE `typing`: whether an agent is typing.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TypingEvent {
    pub agent_typing: bool,
}

/// SSE `read`: an agent has read the user's messages up to this one.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadEvent {
    pub up_to: String,
}

/// SSE `ended`: the chat is over; the stream closes after it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EndedEvent {
    /// Always `true`.
    pub session_ended: bool,
    pub session_status: SessionStatus,
    pub end_reason: Option<String>,
}

/// An answer with nothing to say beyond success: `data` is `{}`.
#[derive(Serialize)]
pub struct Nothing {}

/// `POST /api/chat/read`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadAnswer {
    pub read_count: usize,
}

/// `POST /api/chat/push-token`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PushTokenAnswer {
    pub registered: bool,
    /// Whether this server sends pushes (a device registered while it is off is kept).
    pub push_enabled: bool,
}
