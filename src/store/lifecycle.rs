//! The data's life after the chat: erasing one person on request, and deleting chats older
//! than the retention period. Every method is one atomic unit of work.

use async_trait::async_trait;

use crate::domain::{SessionOwner, Timestamp};
use crate::error::Result;

/// Who asked for an erasure, as the audit log records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ErasureBy {
    /// A super admin, through the admin API.
    Agent(String),
    /// The person themselves, with their own token.
    Themselves,
    /// Someone at the server's command line.
    CommandLine,
}

impl ErasureBy {
    pub fn as_str(&self) -> &str {
        match self {
            ErasureBy::Agent(_) => "agent",
            ErasureBy::Themselves => "user",
            ErasureBy::CommandLine => "command_line",
        }
    }
}

/// What deleting chats removed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Removal {
    /// The chats' ids (so live state about them can be dropped too).
    pub session_ids: Vec<String>,
    pub messages: u64,
    /// Stored files no remaining chat uses, removed from disk.
    pub files: u64,
    /// Registered devices (push tokens) forgotten.
    pub devices: u64,
}

/// Where a retention pass goes on from: the last chat it looked at, by end time and id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetentionCursor {
    pub ended_at: Timestamp,
    pub session_id: String,
}

/// One batch of retention.
#[derive(Clone, Debug, Default)]
pub struct RetentionBatch {
    pub removal: Removal,
    /// Where the next batch starts; `None` when no chat ended before the cutoff is left.
    pub next: Option<RetentionCursor>,
}

#[async_trait]
pub trait LifecycleStore: Send + Sync {
    /// Writes the figures of every finished day (before `today`, with no chat started that
    /// day still going on) not written yet, one unit of work per day; answers how many days
    /// it wrote. Written figures never change but when a chat gets or loses a label.
    async fn write_finished_days(&self, today: Timestamp) -> Result<usize>;

    /// Deletes up to `limit` chats that ended before `cutoff`, oldest first after `after`,
    /// with everything in them, as erasure does, in one unit of work. A chat whose days'
    /// figures are not written yet is passed over (analytics must not change), and left for
    /// a later pass.
    async fn delete_ended_chats(
        &self,
        cutoff: Timestamp,
        after: Option<RetentionCursor>,
        limit: usize,
    ) -> Result<RetentionBatch>;

    /// Deletes every chat of `owner` with everything in it (messages, notes, ratings, uploads
    /// and the files no other chat uses, labels, queued webhooks, emails and pushes, search
    /// entries) and their devices, in one transaction; audit details that named the chats are
    /// cleared and one `user_erase` event records the counts (never who it was). Erasing
    /// someone with nothing stored changes nothing but the audit log, and not even that when
    /// the person asks for themselves.
    async fn erase_person(
        &self,
        owner: SessionOwner,
        by: ErasureBy,
        now: Timestamp,
    ) -> Result<Removal>;
}
