//! Notices between replicas that share one database: what changed, in a few bytes, so each
//! replica wakes its own long-polls, streams and dashboards. Notices are hints, never data:
//! a replica re-reads what a notice names, and after a [`Notice::Resumed`] (some notices may
//! have been missed) re-reads everything it is watching.

use async_trait::async_trait;
use tokio::sync::mpsc;

use crate::error::Result;

/// Most bytes one notice may carry (PostgreSQL's NOTIFY takes under 8000).
pub const NOTICE_MAX_BYTES: usize = 7900;

/// What a listener hears.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Notice {
    /// A notice some replica (this one included) announced.
    Payload(String),
    /// The feed was lost and is back; notices announced meanwhile were missed.
    Resumed,
}

#[async_trait]
pub trait ChangeFeed: Send + Sync {
    /// Delivers `payload` (at most [`NOTICE_MAX_BYTES`]) to every listening replica once the
    /// caller's changes are committed.
    async fn announce(&self, payload: &str) -> Result<()>;

    /// Starts listening; notices arrive in the order they were announced, each listener hears
    /// each notice at most once, and the feed reconnects by itself after a failure.
    fn listen(&self) -> mpsc::Receiver<Notice>;
}
