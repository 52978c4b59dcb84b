//! Numbers: headline stats, analytics, and reports as JSON or CSV.

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::error::Error;
use crate::http::envelope::{ApiError, ApiOk, ApiResult, Envelope, ErrorEnvelope};
use crate::http::extract::{AgentAuth, ApiQuery, AppState};
use crate::service::analytics::{self, Analytics, DateRange, Report, ReportTable};
use crate::service::queue::{self, Stats};

/// A filter left empty is no filter.
fn given(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

/// Headline numbers for the dashboard
#[utoipa::path(
    get,
    path = "/api/admin/stats",
    tag = "admin: numbers",
    responses(
        (status = 200, description = "The numbers now", body = Envelope<Stats>),
        (status = 403, description = "`FORBIDDEN`: the role may not do this", body = ErrorEnvelope),
    ),
    security(("agentToken" = [])),
)]
pub async fn stats(State(ctx): State<AppState>, AgentAuth(agent): AgentAuth) -> ApiResult<Stats> {
    let stats = queue::stats(&ctx, &agent).await?;
    Ok(ApiOk::new("Stats retrieved successfully", stats))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RangeQuery {
    /// The first day, `YYYY-MM-DD` (UTC).
    #[param(format = Date)]
    from: Option<String>,
    /// The last day, `YYYY-MM-DD` (UTC).
    #[param(format = Date)]
    to: Option<String>,
    /// `json` (the default) or `csv` (reports only).
    format: Option<String>,
    /// With `format=csv`: `days` (the default), `agents`, `sessions` or `labels`.
    table: Option<String>,
    /// Only the chats carrying this label (a label id; an unknown one matches no chat).
    label: Option<String>,
}

/// Analytics over a range of days
///
/// `from` and `to` are inclusive UTC dates (`YYYY-MM-DD`); the last 7 days by default, at most
/// 366.
#[utoipa::path(
    get,
    path = "/api/admin/chat/analytics",
    tag = "admin: numbers",
    params(
        RangeQuery,
    ),
    responses(
        (status = 200, description = "Totals, real-time numbers and a per-day series", body = Envelope<Analytics>),
        (status = 403, description = "`FORBIDDEN`: the role may not do this", body = ErrorEnvelope),
    ),
    security(("agentToken" = [])),
)]
pub async fn analytics(
    State(ctx): State<AppState>,
    AgentAuth(agent): AgentAuth,
    ApiQuery(q): ApiQuery<RangeQuery>,
) -> ApiResult<Analytics> {
    let range = DateRange::parse(q.from.as_deref(), q.to.as_deref(), analytics::today(&ctx))?;
    let data = analytics::analytics(&ctx, &agent, range, given(q.label)).await?;
    Ok(ApiOk::new("Analytics retrieved successfully", data))
}

/// Per-day, per-agent and per-session reports
///
/// JSON with every table, or CSV of one table (`format=csv&table=days|agents|sessions|labels`).
#[utoipa::path(
    get,
    path = "/api/admin/chat/reports",
    tag = "admin: numbers",
    params(
        RangeQuery,
    ),
    responses(
        (status = 200, description = "The report", content((Envelope<Report> = "application/json"), (String = "text/csv"))),
        (status = 403, description = "`FORBIDDEN`: the role may not do this", body = ErrorEnvelope),
    ),
    security(("agentToken" = [])),
)]
pub async fn reports(
    State(ctx): State<AppState>,
    AgentAuth(agent): AgentAuth,
    ApiQuery(q): ApiQuery<RangeQuery>,
) -> Result<Response, ApiError> {
    let range = DateRange::parse(q.from.as_deref(), q.to.as_deref(), analytics::today(&ctx))?;
    let table = ReportTable::parse(q.table.as_deref())?;
    let format = q.format.as_deref().unwrap_or("json");
    if !matches!(format, "json" | "csv") {
        return Err(Error::validation("format", "format must be json or csv").into());
    }
    let report = analytics::report(&ctx, &agent, range, given(q.label)).await?;
    if format == "json" {
        return Ok(ApiOk::new("Report generated successfully", report).into_response());
    }
    let body = analytics::report_csv(&report, table)?;
    let filename = format!(
        "frontdesk-{}-{}-to-{}.csv",
        table.name(),
        range.from,
        range.to
    );
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}
