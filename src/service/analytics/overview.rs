//! The analytics page: metrics of a range with live figures of now.

use serde::Serialize;

use super::metrics::{DayMetrics, Metrics, day_series};
use super::range::DateRange;
use crate::domain::Permission;
use crate::error::Result;
use crate::service::{AgentPrincipal, Services, queue};

#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RealTimeStats {
    pub active_sessions: i64,
    pub waiting_customers: i64,
    /// Agents online now, allowed to reply, with room for another chat.
    pub available_admins: i64,
    /// Mean seconds the waiting customers have waited so far.
    pub average_wait_time: i64,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Analytics {
    pub range: DateRange,
    /// The label the numbers are limited to, if any.
    pub label_id: Option<String>,
    /// The whole range (named as the source document names it).
    pub daily_stats: Metrics,
    pub real_time_stats: RealTimeStats,
    /// One entry per day of the range, days without activity included.
    pub days: Vec<DayMetrics>,
    /// Ratings submitted in the range, by value 1..=5.
    pub rating_distribution: [i64; 5],
    /// User messages by UTC hour of day.
    pub busiest_hours: [i64; 24],
}

/// Analytics of `range` (of the chats carrying `label_id`, if given) with live figures of now.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"), fields(agent_id = %actor.id))]
pub async fn analytics(
    ctx: &Services,
    actor: &AgentPrincipal,
    range: DateRange,
    label_id: Option<String>,
) -> Result<Analytics> {
    actor.require(Permission::ViewAnalytics)?;
    let now = ctx.clock.now();
    let totals = ctx
        .store
        .analytics_totals(range.scope(label_id.clone()), now)
        .await?;
    let (days, sum) = day_series(range, &totals.days);
    let live = queue::active_sessions(ctx, actor, label_id.as_deref()).await?;
    let waiting: Vec<_> = live.iter().filter(|e| e.awaiting_reply).collect();
    let average_wait_time = if waiting.is_empty() {
        0
    } else {
        waiting.iter().map(|e| e.waiting_seconds).sum::<i64>() / waiting.len() as i64
    };
    Ok(Analytics {
        range,
        label_id,
        daily_stats: Metrics::from_totals(&sum),
        real_time_stats: RealTimeStats {
            active_sessions: live.len() as i64,
            waiting_customers: waiting.len() as i64,
            available_admins: totals.available_agents,
            average_wait_time,
        },
        days,
        rating_distribution: totals.rating_distribution,
        busiest_hours: totals.busiest_hours,
    })
}
