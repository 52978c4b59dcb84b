//! Settings the business changes at run time: business hours. The answer is the domain's
//! hours document itself, normalised (sorted intervals and dates, the zone's canonical name).

use axum::extract::State;

use crate::domain::hours::HoursDocument;
use crate::http::envelope::{ApiOk, ApiResult, Envelope, ErrorEnvelope};
use crate::http::extract::{AgentAuth, ApiJson, AppState};
use crate::service::hours;

/// Business hours
#[utoipa::path(
    get,
    path = "/api/admin/settings/hours",
    tag = "admin: settings",
    responses(
        (status = 200, description = "The hours document", body = Envelope<HoursDocument>),
        (status = 403, description = "`FORBIDDEN`: the role may not do this", body = ErrorEnvelope),
    ),
    security(("agentToken" = [])),
)]
pub async fn get_hours(
    State(ctx): State<AppState>,
    AgentAuth(actor): AgentAuth,
) -> ApiResult<HoursDocument> {
    let saved = hours::get(&ctx, &actor).await?;
    Ok(ApiOk::new(
        "Business hours retrieved successfully",
        saved.to_document(),
    ))
}

/// The whole document every time: every field is required and unknown keys are refused.
/// Replace the business hours
///
/// The whole document every time: every field is required and unknown keys are refused.
#[utoipa::path(
    put,
    path = "/api/admin/settings/hours",
    tag = "admin: settings",
    request_body = HoursDocument,
    responses(
        (status = 200, description = "The saved document, normalised", body = Envelope<HoursDocument>),
        (status = 403, description = "`FORBIDDEN`: the role may not do this", body = ErrorEnvelope),
    ),
    security(("agentToken" = [])),
)]
pub async fn put_hours(
    State(ctx): State<AppState>,
    AgentAuth(actor): AgentAuth,
    ApiJson(body): ApiJson<HoursDocument>,
) -> ApiResult<HoursDocument> {
    let saved = hours::put(&ctx, &actor, &body).await?;
    Ok(ApiOk::new("Business hours updated", saved.to_document()))
}
