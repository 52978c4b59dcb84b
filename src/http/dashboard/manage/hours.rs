//! The business hours page: every agent can read it, super admins edit it. One form (Post/
//! Redirect/Get); a refused save re-renders what was typed with the reason.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::form_error;
use crate::domain::Permission;
use crate::domain::hours::{
    DAY_KEYS, HoursDocument, IntervalDocument, MAX_AWAY_MESSAGE_CHARS, MAX_INTERVALS_PER_DAY,
    WeeklyDocument, time_zone_names,
};
use crate::error::{Error, Result};
use crate::http::dashboard::error::PageResult;
use crate::http::dashboard::form::Form;
use crate::http::dashboard::hypermedia::Url;
use crate::http::dashboard::session::{DashboardAuth, see_other};
use crate::http::dashboard::views::Layout;
use crate::http::extract::AppState;
use crate::service::dashboard_auth::DashboardSession;
use crate::service::hours;

const DAY_LABELS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

pub struct IntervalRow {
    pub open: String,
    pub close: String,
}

pub struct DayRow {
    pub key: &'static str,
    pub label: &'static str,
    /// At least one row, so a closed day still shows empty inputs to fill in.
    pub intervals: Vec<IntervalRow>,
}

#[derive(Template, WebTemplate)]
#[template(path = "dashboard/hours_page.html")]
pub struct HoursPage {
    layout: Layout,
    can_edit: bool,
    enabled: bool,
    time_zone: String,
    days: Vec<DayRow>,
    closed_dates: String,
    away_message: String,
    max_away_chars: usize,
    zones: Vec<&'static str>,
    error: Option<String>,
}

fn render(session: &DashboardSession, doc: HoursDocument, error: Option<String>) -> HoursPage {
    let days = doc
        .weekly
        .into_days()
        .into_iter()
        .enumerate()
        .map(|(i, list)| {
            let mut intervals: Vec<IntervalRow> = list
                .into_iter()
                .map(|iv| IntervalRow {
                    open: iv.open,
                    close: iv.close,
                })
                .collect();
            if intervals.is_empty() {
                intervals.push(IntervalRow {
                    open: String::new(),
                    close: String::new(),
                });
            }
            DayRow {
                key: DAY_KEYS[i],
                label: DAY_LABELS[i],
                intervals,
            }
        })
        .collect();
    HoursPage {
        layout: Layout::new(session, Url::Hours),
        can_edit: session.agent.role.can(Permission::ManageSettings),
        enabled: doc.enabled,
        time_zone: doc.time_zone,
        days,
        closed_dates: doc.closed_dates.join("\n"),
        away_message: doc.away_message,
        max_away_chars: MAX_AWAY_MESSAGE_CHARS,
        zones: time_zone_names().collect(),
        error,
    }
}

pub async fn page(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
) -> PageResult<HoursPage> {
    let saved = hours::get(&ctx, &session.agent).await?;
    Ok(render(&session, saved.to_document(), None))
}

/// The form as posted: field names repeat (one `mon_open`/`mon_close` pair per interval), so
/// it arrives as name/value pairs in order.
type Fields = Vec<(String, String)>;

fn field<'a>(fields: &'a Fields, name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn all<'a>(fields: &'a Fields, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    fields
        .iter()
        .filter(move |(k, _)| k == name)
        .map(|(_, v)| v.trim())
}

/// One day's intervals from its open/close pairs; a pair left empty is no interval.
fn day_from_form(fields: &Fields, day: &str) -> Result<Vec<IntervalDocument>> {
    let (open_key, close_key) = (format!("{day}_open"), format!("{day}_close"));
    let opens: Vec<&str> = all(fields, &open_key).collect();
    let closes: Vec<&str> = all(fields, &close_key).collect();
    if opens.len() != closes.len() || opens.len() > MAX_INTERVALS_PER_DAY {
        return Err(Error::validation(
            "weekly",
            format!("weekly.{day}: give up to {MAX_INTERVALS_PER_DAY} opening and closing times"),
        ));
    }
    let mut out = Vec::new();
    for (open, close) in opens.into_iter().zip(closes) {
        match (open.is_empty(), close.is_empty()) {
            (true, true) => {}
            (false, false) => out.push(IntervalDocument {
                open: open.to_string(),
                close: close.to_string(),
            }),
            _ => {
                return Err(Error::validation(
                    "weekly",
                    format!("weekly.{day}: give both an opening and a closing time"),
                ));
            }
        }
    }
    Ok(out)
}

/// The document the form asks for: every day readable, blank closed-date lines dropped.
fn document_from_form(fields: &Fields) -> Result<HoursDocument> {
    for day in DAY_KEYS {
        day_from_form(fields, day)?;
    }
    let mut doc = as_typed(fields);
    doc.closed_dates = doc
        .closed_dates
        .iter()
        .map(|line| line.trim())
        .filter(|line| !line.is_empty())
        .map(str::to_string)
        .collect();
    Ok(doc)
}

/// Shows the form again as typed; days that could not be read show empty.
fn as_typed(fields: &Fields) -> HoursDocument {
    let day = |i: usize| day_from_form(fields, DAY_KEYS[i]).unwrap_or_default();
    HoursDocument {
        enabled: field(fields, "enabled").is_some(),
        time_zone: field(fields, "time_zone").unwrap_or_default().to_string(),
        weekly: WeeklyDocument::from_days(day),
        closed_dates: field(fields, "closed_dates")
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect(),
        away_message: field(fields, "away_message")
            .unwrap_or_default()
            .to_string(),
    }
}

pub async fn save(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
    Form(fields): Form<Fields>,
) -> PageResult<Response> {
    let result = match document_from_form(&fields) {
        Ok(doc) => hours::put(&ctx, &session.agent, &doc).await.map(|_| ()),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(see_other(Url::Hours.as_str())),
        Err(e) => {
            let (status, message): (StatusCode, String) = form_error(e)?;
            Ok((status, render(&session, as_typed(&fields), Some(message))).into_response())
        }
    }
}
