//! The team's side as storage sees it: agents, their sign-ins and dashboard sessions, personas,
//! canned replies, the audit log, server settings and analytics. Every method is one atomic unit
//! of work and its doc comment states the guarantee it keeps even when several writers commit at
//! once.

use async_trait::async_trait;

/// Storage for the team and the business's configuration.
#[async_trait]
pub trait TeamStore: Send + Sync {}
