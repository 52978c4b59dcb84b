//! Analytics, reports and usage metering. Every metric's definition is in docs/metrics.md;
//! days are UTC calendar days.

use chrono::{Days, NaiveDate};
use serde::Serialize;

use super::{AgentPrincipal, Services, queue};
use crate::domain::analytics::{AgentTotals, DayTotals, SessionUsage};
use crate::domain::{Permission, Timestamp};
use crate::error::{Error, Result};
use crate::store::TeamStore;

/// Longest range one request may cover.
pub const MAX_RANGE_DAYS: u64 = 366;
/// Default range: the last seven days, today included.
pub const DEFAULT_RANGE_DAYS: u64 = 7;
/// Most sessions listed in one usage report.
pub const MAX_USAGE_ROWS: i64 = 100_000;

/// Inclusive UTC dates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct DateRange {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl DateRange {
    /// Parses `from`/`to` (`YYYY-MM-DD`, both optional) against `today`.
    pub fn parse(from: Option<&str>, to: Option<&str>, today: NaiveDate) -> Result<Self> {
        let date = |field: &'static str, raw: &str| {
            NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").map_err(|_| {
                Error::validation(field, format!("{field} must be a date like 2025-12-06"))
            })
        };
        let to = match to.filter(|t| !t.trim().is_empty()) {
            Some(raw) => date("to", raw)?,
            None => today,
        };
        let from = match from.filter(|f| !f.trim().is_empty()) {
            Some(raw) => date("from", raw)?,
            None => to - Days::new(DEFAULT_RANGE_DAYS - 1),
        };
        if from > to {
            return Err(Error::validation("from", "from must not be after to"));
        }
        if (to - from).num_days() as u64 >= MAX_RANGE_DAYS {
            return Err(Error::validation(
                "from",
                format!("a range covers at most {MAX_RANGE_DAYS} days"),
            ));
        }
        Ok(DateRange { from, to })
    }

    fn start(self) -> Timestamp {
        Timestamp(
            self.from
                .and_hms_opt(0, 0, 0)
                .unwrap_or_default()
                .and_utc()
                .timestamp_millis(),
        )
    }

    /// Midnight after the last day (exclusive end).
    fn end(self) -> Timestamp {
        let next = self.to + Days::new(1);
        Timestamp(
            next.and_hms_opt(0, 0, 0)
                .unwrap_or_default()
                .and_utc()
                .timestamp_millis(),
        )
    }

    pub fn dates(self) -> impl Iterator<Item = NaiveDate> {
        self.from.iter_days().take_while(move |d| *d <= self.to)
    }
}

/// Today's UTC date by the server clock.
pub fn today(ctx: &Services) -> NaiveDate {
    chrono::DateTime::from_timestamp_millis(ctx.clock.now().0)
        .unwrap_or_default()
        .date_naive()
}

fn ratio(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 * 1000.0 / whole as f64).round() / 10.0)
}

fn mean_seconds(sum_ms: i64, n: i64) -> Option<i64> {
    (n > 0).then(|| (sum_ms as f64 / n as f64 / 1000.0).round() as i64)
}

fn mean_rating(sum: i64, n: i64) -> Option<f64> {
    (n > 0).then(|| (sum as f64 * 10.0 / n as f64).round() / 10.0)
}

/// The headline metrics of a day or a range.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
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
    fn from_totals(t: &DayTotals) -> Self {
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

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DayMetrics {
    pub date: String,
    #[serde(flatten)]
    pub metrics: Metrics,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RealTimeStats {
    pub active_sessions: i64,
    pub waiting_customers: i64,
    /// Agents online now, allowed to reply, with room for another chat.
    pub available_admins: i64,
    /// Mean seconds the waiting customers have waited so far.
    pub average_wait_time: i64,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Analytics {
    pub range: DateRange,
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

fn day_series(range: DateRange, totals: &[DayTotals]) -> (Vec<DayMetrics>, DayTotals) {
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

pub async fn analytics(
    ctx: &Services,
    actor: &AgentPrincipal,
    range: DateRange,
) -> Result<Analytics> {
    actor.require(Permission::ViewAnalytics)?;
    let (from, to) = (range.start(), range.end());
    let now = ctx.clock.now();
    let totals = ctx.store.analytics_totals(from, to, now).await?;
    let (days, sum) = day_series(range, &totals.days);
    let live = queue::active_sessions(ctx, actor).await?;
    let waiting: Vec<_> = live.iter().filter(|e| e.awaiting_reply).collect();
    let average_wait_time = if waiting.is_empty() {
        0
    } else {
        waiting.iter().map(|e| e.waiting_seconds).sum::<i64>() / waiting.len() as i64
    };
    Ok(Analytics {
        range,
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

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
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
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
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

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub range: DateRange,
    pub totals: Metrics,
    pub days: Vec<DayMetrics>,
    pub agents: Vec<AgentReportRow>,
    pub sessions: Vec<UsageRow>,
}

pub async fn report(ctx: &Services, actor: &AgentPrincipal, range: DateRange) -> Result<Report> {
    actor.require(Permission::ViewAnalytics)?;
    let (from, to, now) = (range.start(), range.end(), ctx.clock.now());
    let totals = ctx.store.report_totals(from, to, MAX_USAGE_ROWS).await?;
    let (days, sum) = day_series(range, &totals.days);
    Ok(Report {
        range,
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

/// Which table of a report a CSV file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportTable {
    Days,
    Agents,
    Sessions,
}

impl ReportTable {
    pub fn parse(raw: Option<&str>) -> Result<Self> {
        match raw.unwrap_or("days") {
            "days" => Ok(ReportTable::Days),
            "agents" => Ok(ReportTable::Agents),
            "sessions" => Ok(ReportTable::Sessions),
            _ => Err(Error::validation(
                "table",
                "table must be days, agents or sessions",
            )),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ReportTable::Days => "days",
            ReportTable::Agents => "agents",
            ReportTable::Sessions => "sessions",
        }
    }
}

/// Spreadsheets run cells that start with these as formulas; such text cells get a leading
/// apostrophe so a hostile user id or agent name stays text.
fn cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

/// One table of the report as RFC 4180 CSV (CRLF line ends, quotes where needed). Rows are
/// the same values the JSON report carries, column names are the JSON field names in order,
/// numbers are written as JSON writes them (`4.0` stays `4.0`) and `null` as an empty cell.
pub fn report_csv(report: &Report, table: ReportTable) -> Result<String> {
    match table {
        ReportTable::Days => rows_to_csv(&report.days),
        ReportTable::Agents => rows_to_csv(&report.agents),
        ReportTable::Sessions => rows_to_csv(&report.sessions),
    }
}

fn rows_to_csv<T: Serialize + Default>(rows: &[T]) -> Result<String> {
    let csv_error = |e: &dyn std::fmt::Display| Error::internal(format!("csv: {e}"));
    let as_object = |row: &T| match serde_json::to_value(row) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        Ok(_) => Err(Error::internal("csv: a report row is not an object")),
        Err(e) => Err(csv_error(&e)),
    };
    let mut out = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let header = as_object(rows.first().unwrap_or(&T::default()))?;
    out.write_record(header.keys()).map_err(|e| csv_error(&e))?;
    for row in rows {
        let cells = as_object(row)?.into_iter().map(|(_, value)| match value {
            serde_json::Value::Null => String::new(),
            serde_json::Value::String(text) => cell(&text),
            other => other.to_string(),
        });
        out.write_record(cells).map_err(|e| csv_error(&e))?;
    }
    let bytes = out.into_inner().map_err(|e| csv_error(&e))?;
    String::from_utf8(bytes).map_err(|e| csv_error(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn ranges_default_and_validate() {
        let today = d("2025-12-06");
        let r = DateRange::parse(None, None, today).unwrap();
        assert_eq!((r.from, r.to), (d("2025-11-30"), today));
        assert_eq!(r.dates().count(), 7);
        assert!(DateRange::parse(Some("2025-12-07"), Some("2025-12-06"), today).is_err());
        assert!(DateRange::parse(Some("yesterday"), None, today).is_err());
        assert!(DateRange::parse(Some("2020-01-01"), Some("2025-12-06"), today).is_err());
        let one = DateRange::parse(Some("2025-12-06"), Some("2025-12-06"), today).unwrap();
        assert_eq!(one.end().0 - one.start().0, 86_400_000);
    }

    #[test]
    fn formulas_stay_text() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(cell("@sum"), "'@sum");
        assert_eq!(cell("Ann"), "Ann");
    }
}
