//! The headline metrics, computed from raw sums (never averages of averages).

use serde::Serialize;

use super::range::DateRange;
use crate::domain::analytics::DayTotals;

pub(super) fn ratio(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 * 1000.0 / whole as f64).round() / 10.0)
}

pub(super) fn mean_seconds(sum_ms: i64, n: i64) -> Option<i64> {
    (n > 0).then(|| (sum_ms as f64 / n as f64 / 1000.0).round() as i64)
}

pub(super) fn mean_rating(sum: i64, n: i64) -> Option<f64> {
    (n > 0).then(|| (sum as f64 * 10.0 / n as f64).round() / 10.0)
}

/// The headline metrics of a day or a range.
#[derive(Clone, Debug, Default, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Metrics {
    pub total_sessions: i64,
    /// Seconds, over sessions of the range that have ended.
    pub average_duration: Option<i64>,
    pub messages_exchanged: i64,
    /// Mean rating, 1 to 5, one decimal.
    pub satisfaction_score: Option<f64>,
    /// Share of ratings that are 4 or 5, in percent.
    pub csat_percent: Option<f64>,
    /// Share of ended sessions that were resolved, in percent.
    pub resolution_rate: Option<f64>,
    /// Seconds from a session's first user message to the first agent message after it.
    pub average_first_response_time: Option<i64>,
    pub ratings_count: i64,
}

impl Metrics {
    pub(super) fn from_totals(t: &DayTotals) -> Self {
        Metrics {
            total_sessions: t.sessions,
            average_duration: mean_seconds(t.duration_ms_sum, t.ended),
            messages_exchanged: t.messages,
            satisfaction_score: mean_rating(t.rating_sum, t.ratings),
            csat_percent: ratio(t.ratings_good, t.ratings),
            resolution_rate: ratio(t.resolved, t.ended),
            average_first_response_time: mean_seconds(t.first_response_ms_sum, t.answered),
            ratings_count: t.ratings,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DayMetrics {
    pub date: String,
    #[serde(flatten)]
    pub metrics: Metrics,
}

pub(super) fn day_series(range: DateRange, totals: &[DayTotals]) -> (Vec<DayMetrics>, DayTotals) {
    let mut sum = DayTotals::default();
    let days = range
        .dates()
        .map(|date| {
            let key = date.format("%Y-%m-%d").to_string();
            let day = totals
                .iter()
                .find(|t| t.date == key)
                .cloned()
                .unwrap_or_default();
            sum.add(&day);
            DayMetrics {
                date: key,
                metrics: Metrics::from_totals(&day),
            }
        })
        .collect();
    (days, sum)
}
