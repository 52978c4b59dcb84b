//! Full-text search over chats.

use axum::extract::State;
use serde::Deserialize;

use super::answers::SearchAnswer;
use crate::http::envelope::{ApiOk, ApiResult, Envelope, ErrorEnvelope};
use crate::http::extract::{AgentAuth, ApiQuery, AppState};
use crate::service::search::{self, SearchForm};

/// Every field is text here, so a bad number is the same named validation error as any other.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct SearchQuery {
    /// Words (all must appear), `prefix*` words and "quoted phrases"; any text is valid, at
    /// most 2,000 characters.
    q: Option<String>,
    /// First day of the hits' time, `YYYY-MM-DD` (UTC).
    #[param(format = Date)]
    from: Option<String>,
    /// Last day of the hits' time, `YYYY-MM-DD` (UTC), inclusive.
    #[param(format = Date)]
    to: Option<String>,
    /// Only chats assigned to this agent.
    agent_id: Option<String>,
    /// `active`, `ended` (by the user or an agent) or `expired`.
    status: Option<String>,
    /// The chat's rating, 1 to 5.
    rating: Option<String>,
    /// `app`, `web` or `offline`.
    channel: Option<String>,
    /// Only chats carrying this label (a label id).
    label: Option<String>,
    /// 1 to 1,000; 1 by default.
    page: Option<String>,
    /// Hits per page, 1 to 100; 20 by default.
    limit: Option<String>,
}

/// Search message text, notes and customers' names and emails
///
/// Hits newest first, with a highlighted snippet and the chat they belong to. Every role may
/// search every chat.
#[utoipa::path(
    get,
    path = "/api/admin/chat/search",
    tag = "admin: chats",
    params(SearchQuery),
    responses(
        (status = 200, description = "A page of hits", body = Envelope<SearchAnswer>),
        (status = 400, description = "`VALIDATION_ERROR`: a field is missing or malformed", body = ErrorEnvelope),
        (status = 403, description = "`FORBIDDEN`: the role may not do this", body = ErrorEnvelope),
    ),
    security(("agentToken" = [])),
)]
pub async fn search(
    State(ctx): State<AppState>,
    AgentAuth(agent): AgentAuth,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> ApiResult<SearchAnswer> {
    let form = SearchForm {
        q: q.q,
        from: q.from,
        to: q.to,
        agent_id: q.agent_id,
        status: q.status,
        rating: q.rating,
        channel: q.channel,
        label: q.label,
        page: q.page,
        limit: q.limit,
    };
    let page = search::search(&ctx, &agent, form.check()?).await?;
    Ok(ApiOk::new(
        "Search results retrieved",
        SearchAnswer::from(page),
    ))
}
