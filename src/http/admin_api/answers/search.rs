//! A page of search hits.

use serde::Serialize;

use crate::domain::search::{HitSource, snippet_html};
use crate::domain::{Channel, SessionStatus, Timestamp};
use crate::service::search::SearchPage;
use crate::store::search::SearchHit;

/// `GET /api/admin/chat/search`: hits newest first.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchAnswer {
    /// The query as given.
    pub query: String,
    pub page: usize,
    pub limit: usize,
    /// Whether the next page has hits.
    pub has_more: bool,
    pub results: Vec<HitAnswer>,
}

/// One place the words were found.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HitAnswer {
    pub session_id: String,
    pub source: HitSource,
    /// The message's or note's id; null for the customer's name and email.
    pub item_id: Option<String>,
    /// Text around the match, HTML-escaped, the matched words in `<mark>`.
    pub snippet: String,
    /// The message's or note's time; the chat's start for the customer.
    pub created_at: Timestamp,
    pub chat: HitChatAnswer,
}

/// The chat a hit belongs to.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HitChatAnswer {
    pub user_name: Option<String>,
    pub user_email: Option<String>,
    pub status: SessionStatus,
    pub channel: Channel,
    pub assigned_agent_id: Option<String>,
    pub rating: Option<i64>,
    pub created_at: Timestamp,
}

impl From<SearchPage> for SearchAnswer {
    fn from(page: SearchPage) -> Self {
        SearchAnswer {
            query: page.search.query,
            page: page.search.page,
            limit: page.search.limit,
            has_more: page.has_more,
            results: page.hits.into_iter().map(HitAnswer::from).collect(),
        }
    }
}

impl From<SearchHit> for HitAnswer {
    fn from(h: SearchHit) -> Self {
        HitAnswer {
            snippet: snippet_html(&h.snippet),
            session_id: h.session_id,
            source: h.source,
            item_id: h.item_id,
            created_at: h.created_at,
            chat: HitChatAnswer {
                user_name: h.chat.user_name,
                user_email: h.chat.user_email,
                status: h.chat.status,
                channel: h.chat.channel,
                assigned_agent_id: h.chat.assigned_agent_id,
                rating: h.chat.rating,
                created_at: h.chat.created_at,
            },
        }
    }
}
