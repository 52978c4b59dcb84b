//! The search use case: full-text hits over message text, notes and the customer's name and
//! email, newest first. Engines keep their index in the transaction that changes the text.

use async_trait::async_trait;

use crate::domain::search::{HitSource, SearchFilters, Term};
use crate::domain::{Channel, SessionStatus, Timestamp};
use crate::error::Result;

/// One page of a search.
#[derive(Clone, Debug)]
pub struct SearchRequest {
    /// Every hit contains all of them; no terms, no hits.
    pub terms: Vec<Term>,
    pub filters: SearchFilters,
    /// Hits skipped, newest first.
    pub offset: usize,
    pub limit: usize,
}

/// Where the words were found, with the text around them.
#[derive(Clone, Debug)]
pub struct SearchHit {
    pub session_id: String,
    pub source: HitSource,
    /// The message's or note's id; none for the customer.
    pub item_id: Option<String>,
    /// Text around the match, matches between `MATCH_START` and `MATCH_END` (domain::search).
    pub snippet: String,
    /// The message's or note's time; the chat's start for the customer.
    pub created_at: Timestamp,
    pub chat: HitChat,
}

/// The chat a hit belongs to, as a results list shows it.
#[derive(Clone, Debug)]
pub struct HitChat {
    pub user_name: Option<String>,
    pub user_email: Option<String>,
    pub status: SessionStatus,
    pub channel: Channel,
    pub assigned_agent_id: Option<String>,
    pub rating: Option<i64>,
    pub created_at: Timestamp,
}

#[async_trait]
pub trait SearchStore: Send + Sync {
    /// Hits `offset..offset + limit` of everything matching, newest first.
    async fn search(&self, request: SearchRequest) -> Result<Vec<SearchHit>>;
}
