//! Whether live chat is offered now; no token, so the widget can ask before anything else.

use axum::extract::State;

use super::answers::AvailabilityAnswer;
use crate::http::envelope::{ApiOk, ApiResult, Envelope};
use crate::http::extract::AppState;
use crate::service::hours;

/// Whether live chat is offered now
///
/// No token needed: the widget asks before anything else, and shows the offline form when
/// `online` is false.
#[utoipa::path(
    get,
    path = "/api/chat/availability",
    tag = "client",
    responses(
        (status = 200, description = "Live chat or the offline form", body = Envelope<AvailabilityAnswer>),
    ),
    security(()),
)]
pub async fn availability(State(ctx): State<AppState>) -> ApiResult<AvailabilityAnswer> {
    let now = hours::availability(&ctx).await?;
    Ok(ApiOk::new(
        "Availability retrieved successfully",
        AvailabilityAnswer::from(now),
    ))
}
