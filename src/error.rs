//! The one domain error type. Transport layers (`http::api::ApiError`, the dashboard's
//! `PageError`) decide how each variant is shown; nothing here knows about HTTP or SQL.

use std::fmt;
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
    /// Storage, crypto or other failures the caller cannot fix. Logged once by the HTTP layer
    /// with its whole cause chain, never shown to clients. The message already carries the
    /// chain, so `source()` is left to `InternalError` instead of repeating it here.
    #[error("internal error: {}", .0.chain())]
    Internal(InternalError),
    /// A new session would pass the cap on active sessions (per user or per guest address).
    #[error("Too many active chat sessions; end one before starting another")]
    TooManySessions,
    /// Sign-in refused during a back-off; the same for every email, known or not.
    #[error("Too many failed sign-in attempts; try again later")]
    SignInLocked { retry_after: Duration },
    /// An upload over `MAX_ATTACHMENT_BYTES`.
    #[error("The file is larger than the {} limit", human_size(*.max_bytes))]
    FileTooLarge { max_bytes: u64 },
    /// An upload whose content is not of an allowed kind; the text names what it is.
    #[error("{0}")]
    UnsupportedFileType(String),
    /// Storing the upload would pass `ATTACHMENTS_QUOTA_BYTES`.
    #[error("The server has no room for more files; ask the support team to free some space")]
    StorageFull,
    /// The session already has as many files as one chat may hold.
    #[error("This chat already has the most files one chat may hold")]
    TooManyAttachments,
    /// A feature the server is not set up for (email without `SMTP_URL`).
    #[error("{0}")]
    Unavailable(&'static str),
}

/// "10 MB", "512 KB", "300 bytes": sizes as people read them (powers of 1024).
pub fn human_size(bytes: u64) -> String {
    const KB: u64 = 1024;
    const MB: u64 = 1024 * KB;
    const GB: u64 = 1024 * MB;
    let show = |value: u64, unit: u64, name: &str| {
        if value.is_multiple_of(unit) {
            format!("{} {name}", value / unit)
        } else {
            format!("{:.1} {name}", value as f64 / unit as f64)
        }
    };
    match bytes {
        b if b >= GB => show(b, GB, "GB"),
        b if b >= MB => show(b, MB, "MB"),
        b if b >= KB => show(b, KB, "KB"),
        b => format!("{b} bytes"),
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn validation(field: &'static str, message: impl Into<String>) -> Self {
        Error::Validation {
            field,
            message: message.into(),
        }
    }

    /// An internal failure described by `context` alone (no underlying error to keep).
    pub fn internal(context: impl fmt::Display) -> Self {
        Error::Internal(InternalError {
            context: context.to_string(),
            source: None,
        })
    }

    /// An internal failure caused by `source`, which is kept (with its own causes) for the log:
    /// `Error::internal_from("reading the key file", io_error)`.
    pub fn internal_from(
        context: impl fmt::Display,
        source: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>,
    ) -> Self {
        Error::Internal(InternalError {
            context: context.to_string(),
            source: Some(source.into()),
        })
    }
}

/// What went wrong inside: what we were doing, and the error that stopped it (if any).
#[derive(Debug)]
pub struct InternalError {
    context: String,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl InternalError {
    /// What we were doing when it failed, without the causes.
    pub fn context(&self) -> &str {
        &self.context
    }

    /// The context followed by every cause, outermost first: `sqlite: disk I/O error: ...`.
    pub fn chain(&self) -> Chain<'_> {
        Chain(self)
    }
}

impl fmt::Display for InternalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.context)
    }
}

impl std::error::Error for InternalError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// Shows an `InternalError` with all its causes, joined by `: `.
pub struct Chain<'a>(&'a InternalError);

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.context)?;
        let mut cause = std::error::Error::source(self.0);
        while let Some(e) = cause {
            write!(f, ": {e}")?;
            cause = e.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("outer failure")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn an_internal_error_keeps_every_cause() {
        let io = std::io::Error::other("disk on fire");
        let Error::Internal(internal) = Error::internal_from("saving a message", Outer(io)) else {
            panic!("an internal error");
        };
        assert_eq!(internal.context(), "saving a message");
        assert_eq!(
            internal.chain().to_string(),
            "saving a message: outer failure: disk on fire"
        );
        let source = std::error::Error::source(&internal).expect("the cause is kept");
        assert_eq!(source.to_string(), "outer failure");
    }

    #[test]
    fn the_plain_constructor_still_takes_any_display() {
        let e = Error::internal(format!("argon2: {}", 42));
        assert_eq!(e.to_string(), "internal error: argon2: 42");
        assert!(matches!(e, Error::Internal(_)));
    }
}
