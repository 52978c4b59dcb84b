//! Reports: the day series, per-agent work and per-session usage of a range.

use serde::Serialize;

use super::metrics::{DayMetrics, Metrics, day_series, mean_rating, mean_seconds, ratio};
use super::range::DateRange;
use crate::domain::analytics::{AgentTotals, SessionUsage};
use crate::domain::{Permission, Timestamp};
use crate::error::Result;
use crate::service::{AgentPrincipal, Services};

/// Most sessions listed in one usage report.
pub const MAX_USAGE_ROWS: i64 = 100_000;

#[derive(Clone, Debug, Default, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentReportRow {
    pub agent_id: String,
    pub name: String,
    pub email: String,
    pub role: String,
    pub chats_handled: i64,
    pub messages_sent: i64,
    pub chats_ended: i64,
    pub average_first_response_time: Option<i64>,
    pub ratings_count: i64,
    pub satisfaction_score: Option<f64>,
    pub csat_percent: Option<f64>,
}

impl AgentReportRow {
    fn from_totals(t: AgentTotals) -> Self {
        AgentReportRow {
            average_first_response_time: mean_seconds(t.first_response_ms_sum, t.first_responses),
            satisfaction_score: mean_rating(t.rating_sum, t.ratings),
            csat_percent: ratio(t.ratings_good, t.ratings),
            ratings_count: t.ratings,
            agent_id: t.agent_id,
            name: t.name,
            email: t.email,
            role: t.role,
            chats_handled: t.chats_handled,
            messages_sent: t.messages_sent,
            chats_ended: t.chats_ended,
        }
    }
}

/// Usage metering for one session.
#[derive(Clone, Debug, Default, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UsageRow {
    pub session_id: String,
    pub user_id: String,
    pub persona: Option<String>,
    pub status: String,
    pub created_at: Timestamp,
    pub ended_at: Option<Timestamp>,
    pub user_messages: i64,
    pub agent_messages: i64,
    /// User and agent messages (system messages are not counted).
    pub message_count: i64,
    /// Whole minutes from start to end (to now while active), rounded up.
    pub minutes_used: i64,
}

impl UsageRow {
    fn from_usage(u: SessionUsage, now: Timestamp) -> Self {
        let end = u.ended_at.unwrap_or(now);
        let seconds = (end.0 - u.created_at.0).max(0) / 1000;
        UsageRow {
            minutes_used: (seconds + 59) / 60,
            message_count: u.user_messages + u.agent_messages,
            session_id: u.session_id,
            user_id: u.user_id,
            persona: u.persona,
            status: u.status,
            created_at: u.created_at,
            ended_at: u.ended_at,
            user_messages: u.user_messages,
            agent_messages: u.agent_messages,
        }
    }
}

/// The metrics of the chats carrying one label.
#[derive(Clone, Debug, Default, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LabelReportRow {
    pub label_id: String,
    pub name: String,
    pub colour: String,
    #[serde(flatten)]
    pub metrics: Metrics,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub range: DateRange,
    /// The label every table but `labels` is limited to, if any.
    pub label_id: Option<String>,
    pub totals: Metrics,
    pub days: Vec<DayMetrics>,
    pub agents: Vec<AgentReportRow>,
    pub sessions: Vec<UsageRow>,
    /// Every label with the metrics of the chats carrying it (never limited by `labelId`).
    pub labels: Vec<LabelReportRow>,
}

/// The report of `range` (of the chats carrying `label_id`, if given): totals, days, agents
/// and sessions, and every label's figures.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"), fields(agent_id = %actor.id))]
pub async fn report(
    ctx: &Services,
    actor: &AgentPrincipal,
    range: DateRange,
    label_id: Option<String>,
) -> Result<Report> {
    actor.require(Permission::ViewAnalytics)?;
    let now = ctx.clock.now();
    let totals = ctx
        .store
        .report_totals(range.scope(label_id.clone()), MAX_USAGE_ROWS)
        .await?;
    let (days, sum) = day_series(range, &totals.days);
    Ok(Report {
        range,
        label_id,
        labels: totals
            .labels
            .into_iter()
            .map(|(label, sums)| LabelReportRow {
                label_id: label.id,
                name: label.name,
                colour: label.colour.as_str().to_string(),
                metrics: Metrics::from_totals(&sums),
            })
            .collect(),
        totals: Metrics::from_totals(&sum),
        days,
        agents: totals
            .agents
            .into_iter()
            .map(AgentReportRow::from_totals)
            .collect(),
        sessions: totals
            .sessions
            .into_iter()
            .map(|u| UsageRow::from_usage(u, now))
            .collect(),
    })
}
