//! Settings the business changes at run time: business hours.

use axum::extract::State;

use super::answers::HoursAnswer;
use crate::domain::hours::HoursDocument;
use crate::http::envelope::{ApiOk, ApiResult};
use crate::http::extract::{AgentAuth, ApiJson, AppState};
use crate::service::hours;

pub async fn get_hours(
    State(ctx): State<AppState>,
    AgentAuth(actor): AgentAuth,
) -> ApiResult<HoursAnswer> {
    let saved = hours::get(&ctx, &actor).await?;
    Ok(ApiOk::new(
        "Business hours retrieved successfully",
        HoursAnswer::from(&saved),
    ))
}

/// The whole document every time: every field is required and unknown keys are refused.
pub async fn put_hours(
    State(ctx): State<AppState>,
    AgentAuth(actor): AgentAuth,
    ApiJson(body): ApiJson<HoursDocument>,
) -> ApiResult<HoursAnswer> {
    let saved = hours::put(&ctx, &actor, &body).await?;
    Ok(ApiOk::new(
        "Business hours updated",
        HoursAnswer::from(&saved),
    ))
}
