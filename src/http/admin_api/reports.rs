//! Numbers: headline stats, analytics and reports.

use axum::extract::State;
use serde_json::{Value, json};

use crate::http::envelope::{ApiOk, ApiResult};
use crate::http::extract::{AgentAuth, AppState};
use crate::service::queue;

pub async fn stats(State(ctx): State<AppState>, AgentAuth(agent): AgentAuth) -> ApiResult<Value> {
    let stats = queue::stats(&ctx, &agent).await?;
    Ok(ApiOk::new("Stats retrieved successfully", json!(stats)))
}
