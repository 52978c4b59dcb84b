//! The PostgreSQL side of [`crate::store::SearchStore`].

use crate::domain::search::{HitSource, SearchFilters, Term};
use crate::domain::{Channel, SessionStatus, Timestamp};
use crate::error::Result;
use crate::store::postgres::PgStore;
use crate::store::search::*;
use async_trait::async_trait;

#[async_trait]
impl SearchStore for PgStore {
    async fn search(&self, _request: SearchRequest) -> Result<Vec<SearchHit>> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }
}
