//! Whether live chat is offered now; no token, so the widget can ask before anything else.

use axum::extract::State;

use super::answers::AvailabilityAnswer;
use crate::http::envelope::{ApiOk, ApiResult};
use crate::http::extract::AppState;
use crate::service::hours;

pub async fn availability(State(ctx): State<AppState>) -> ApiResult<AvailabilityAnswer> {
    let now = hours::availability(&ctx).await?;
    Ok(ApiOk::new(
        "Availability retrieved successfully",
        AvailabilityAnswer::from(now),
    ))
}
