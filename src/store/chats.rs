//! The chat use cases as storage sees them: sessions, messages, receipts, ratings, notes,
//! assignment and the queue. Every method is one atomic unit of work and its doc comment states
//! the guarantee it keeps even when several writers commit at once.

use async_trait::async_trait;

/// Storage for sessions and everything that happens inside them.
#[async_trait]
pub trait ChatStore: Send + Sync {}
