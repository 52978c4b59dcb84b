//! The PostgreSQL side of [`crate::store::LifecycleStore`].

use crate::domain::{SessionOwner, Timestamp};
use crate::error::Result;
use crate::store::lifecycle::*;
use crate::store::postgres::PgStore;
use async_trait::async_trait;

#[async_trait]
impl LifecycleStore for PgStore {
    async fn write_finished_days(&self, _today: Timestamp) -> Result<usize> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn delete_ended_chats(
        &self,
        _cutoff: Timestamp,
        _after: Option<RetentionCursor>,
        _limit: usize,
    ) -> Result<RetentionBatch> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn erase_person(
        &self,
        _owner: SessionOwner,
        _by: ErasureBy,
        _now: Timestamp,
    ) -> Result<Removal> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }
}
