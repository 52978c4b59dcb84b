//! The one domain error type. Transport layers (`http::api::ApiError`, the dashboard's
//! `PageError`) decide how each variant is shown; nothing here knows about HTTP or SQL.

use std::time::Duration;

/// Everything a use case can refuse or fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A field failed validation; `field` names it for the client.
    #[error("{message}")]
    Validation {
        field: &'static str,
        message: String,
    },
    #[error("Rating must be a whole number from 1 to 5")]
    InvalidRating,
    #[error("The 'after' cursor does not name a message of this session")]
    InvalidCursor,
    #[error("{0}")]
    Unauthenticated(&'static str),
    #[error("{0}")]
    Forbidden(&'static str),
    /// Also used for other users' sessions, so that existence is never revealed.
    #[error("The chat session was not found")]
    SessionNotFound,
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("This chat session has ended")]
    SessionEnded,
    #[error("This chat session is still active; it can be rated once it has ended")]
    SessionActive,
    #[error("Rating already submitted for this session")]
    AlreadyRated,
    #[error("A different message was already sent with this messageId")]
    DuplicateMessageId,
    #[error("The agent is already handling the maximum number of chats")]
    AgentAtCapacity,
    #[error("Another agent is handling this chat; transfer it instead")]
    AlreadyAssigned,
    /// A uniqueness rule other than message ids (agent email, canned shortcut).
    #[error("{0}")]
    Conflict(String),
    #[error("This chat session expired after a period of inactivity")]
    SessionExpired,
    #[error("Too many requests; try again later")]
    RateLimited { retry_after: Duration },
    /// Storage, crypto or other failures the caller cannot fix. Logged, never shown.
    #[error("internal error: {0}")]
    Internal(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn validation(field: &'static str, message: impl Into<String>) -> Self {
        Error::Validation {
            field,
            message: message.into(),
        }
    }

    pub fn internal(context: impl std::fmt::Display) -> Self {
        Error::Internal(context.to_string())
    }
}
