//! Analytics: headline numbers and four charts for a date range, plus CSV downloads.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::charts::{BarChart, bar_chart};
use super::error::PageResult;
use super::hypermedia::Url;
use super::session::DashboardAuth;
use super::views::{LabelView, Layout, span};
use crate::http::extract::AppState;
use crate::service::analytics::{self, Analytics, DateRange, ReportTable};
use crate::service::labels;

#[derive(Deserialize)]
pub struct RangeQuery {
    from: Option<String>,
    to: Option<String>,
    table: Option<String>,
    label: Option<String>,
}

impl RangeQuery {
    fn label(&self) -> Option<String> {
        self.label.clone().filter(|l| !l.trim().is_empty())
    }
}

pub struct Card {
    pub label: &'static str,
    pub value: String,
    pub hint: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "dashboard/analytics_page.html")]
pub struct AnalyticsPage {
    layout: Layout,
    from: String,
    to: String,
    cards: Vec<Card>,
    live: Vec<Card>,
    charts: Vec<BarChart>,
    labels: Vec<LabelView>,
    /// `&label=<id>` for the download links when a label filters the page.
    label_query: String,
    /// The data retention policy, in words.
    retention: String,
}

fn or_dash<T>(value: Option<T>, show: impl Fn(T) -> String) -> String {
    value.map(show).unwrap_or_else(|| "—".into())
}

fn cards(a: &Analytics) -> (Vec<Card>, Vec<Card>) {
    let m = &a.daily_stats;
    let totals = vec![
        Card {
            label: "Chats",
            value: m.total_sessions.to_string(),
            hint: "started in the range",
        },
        Card {
            label: "Messages",
            value: m.messages_exchanged.to_string(),
            hint: "from users and agents",
        },
        Card {
            label: "First response",
            value: or_dash(m.average_first_response_time, span),
            hint: "average",
        },
        Card {
            label: "Duration",
            value: or_dash(m.average_duration, span),
            hint: "average, ended chats",
        },
        Card {
            label: "Satisfaction",
            value: or_dash(m.satisfaction_score, |s| format!("{s:.1} / 5")),
            hint: "average rating",
        },
        Card {
            label: "CSAT",
            value: or_dash(m.csat_percent, |p| format!("{p:.1} %")),
            hint: "ratings of 4 or 5",
        },
        Card {
            label: "Resolved",
            value: or_dash(m.resolution_rate, |p| format!("{p:.1} %")),
            hint: "of ended chats",
        },
    ];
    let r = &a.real_time_stats;
    let live = vec![
        Card {
            label: "Active now",
            value: r.active_sessions.to_string(),
            hint: "chats",
        },
        Card {
            label: "Waiting",
            value: r.waiting_customers.to_string(),
            hint: "for an answer",
        },
        Card {
            label: "Agents free",
            value: r.available_admins.to_string(),
            hint: "online, with room",
        },
        Card {
            label: "Wait so far",
            value: span(r.average_wait_time),
            hint: "average",
        },
    ];
    (totals, live)
}

fn charts(a: &Analytics) -> Vec<BarChart> {
    let day_label = |d: &str| d.get(5..).unwrap_or(d).to_string();
    let every = (a.days.len() / 10).max(1);
    let volume: Vec<(String, f64)> = a
        .days
        .iter()
        .map(|d| (day_label(&d.date), d.metrics.total_sessions as f64))
        .collect();
    let response: Vec<(String, f64)> = a
        .days
        .iter()
        .map(|d| {
            (
                day_label(&d.date),
                d.metrics.average_first_response_time.unwrap_or(0) as f64,
            )
        })
        .collect();
    let csat: Vec<(String, f64)> = a
        .rating_distribution
        .iter()
        .enumerate()
        .map(|(i, n)| (format!("{}★", i + 1), *n as f64))
        .collect();
    let hours: Vec<(String, f64)> = a
        .busiest_hours
        .iter()
        .enumerate()
        .map(|(h, n)| (format!("{h:02}"), *n as f64))
        .collect();
    vec![
        bar_chart("chart-volume", "Chats per day", &volume, "chats", every),
        bar_chart(
            "chart-response",
            "Average first response per day (seconds)",
            &response,
            "s",
            every,
        ),
        bar_chart("chart-csat", "Ratings", &csat, "ratings", 1),
        bar_chart(
            "chart-hours",
            "Busiest hours (UTC, user messages)",
            &hours,
            "messages",
            3,
        ),
    ]
}

fn retention_policy(days: Option<u32>) -> String {
    match days {
        Some(1) => "Chats are deleted a day after they end (RETENTION_DAYS=1), with their \
                    messages, files, notes and ratings. The figures of past days stay."
            .into(),
        Some(n) => format!(
            "Chats are deleted {n} days after they end (RETENTION_DAYS={n}), with their \
             messages, files, notes and ratings. The figures of past days stay."
        ),
        None => "Every chat is kept: no retention period is set (RETENTION_DAYS).".into(),
    }
}

pub async fn page(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
    Query(q): Query<RangeQuery>,
) -> PageResult<AnalyticsPage> {
    let range = DateRange::parse(q.from.as_deref(), q.to.as_deref(), analytics::today(&ctx))?;
    let labels = LabelView::choices(
        &labels::list(&ctx, &session.agent).await?,
        q.label.as_deref(),
    );
    // The figures are those of the label the select shows: an unknown one (deleted since the
    // link was made) limits nothing, on the page and in its downloads.
    let label = LabelView::selected_id(&labels).map(str::to_string);
    let data = analytics::analytics(&ctx, &session.agent, range, label.clone()).await?;
    let (cards, live) = cards(&data);
    Ok(AnalyticsPage {
        retention: retention_policy(ctx.settings.retention_days),
        label_query: label.map(|id| format!("&label={id}")).unwrap_or_default(),
        labels,
        layout: Layout::new(&session, Url::Analytics),
        from: range.from.to_string(),
        to: range.to.to_string(),
        cards,
        live,
        charts: charts(&data),
    })
}

/// The report table as a CSV download (same content as the admin API's CSV).
pub async fn csv(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
    Query(q): Query<RangeQuery>,
) -> PageResult<Response> {
    let range = DateRange::parse(q.from.as_deref(), q.to.as_deref(), analytics::today(&ctx))?;
    let table = ReportTable::parse(q.table.as_deref())?;
    let report = analytics::report(&ctx, &session.agent, range, q.label()).await?;
    let body = analytics::report_csv(&report, table)?;
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    let name = format!(
        "attachment; filename=\"frontdesk-{}-{}-to-{}.csv\"",
        table.name(),
        range.from,
        range.to
    );
    if let Ok(value) = HeaderValue::from_str(&name) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}
