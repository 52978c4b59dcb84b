//! The PostgreSQL side of [`crate::store::ExportStore`].

use crate::domain::attachment::Attachment;
use crate::domain::export::ExportRange;
use crate::domain::{Channel, Sender, SessionOwner, Timestamp};
use crate::error::Result;
use crate::store::chats::ChatRecord;
use crate::store::export::*;
use crate::store::postgres::PgStore;
use async_trait::async_trait;

#[async_trait]
impl ExportStore for PgStore {
    async fn messages_in_range(
        &self,
        _range: ExportRange,
        _after: Option<RangeCursor>,
        _limit: usize,
    ) -> Result<Vec<RangeMessage>> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn person_record(&self, _person: Person) -> Result<PersonRecord> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }
}
