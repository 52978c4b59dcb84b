//! The live queue page and the rows partial it refreshes on every queue event.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use serde::Deserialize;

use super::error::PageResult;
use super::hypermedia::{ChatUrl, LiveEvent, Url};
use super::session::DashboardAuth;
use super::views::{LabelView, Layout, priority_class, shorten, span, user_label};
use crate::http::extract::AppState;
use crate::service::labels;
use crate::service::queue::{self, QueueEntry};

pub struct QueueRow {
    pub id: String,
    pub user: String,
    pub persona: Option<String>,
    pub priority: &'static str,
    pub priority_class: &'static str,
    pub awaiting: bool,
    pub wait: String,
    pub agent: Option<String>,
    pub unread: i64,
    pub preview: String,
    pub typing: bool,
    /// Assigned to the agent viewing the queue (whose notifications cover its messages).
    pub mine: bool,
    /// When the user last wrote (ms, 0 before the first message): the page notifies when it grows.
    pub last_user_at: i64,
    /// "App", "Web" or "Offline".
    pub channel: &'static str,
    pub labels: Vec<LabelView>,
}

impl QueueRow {
    fn of(e: &QueueEntry, viewer: &str) -> Self {
        let s = &e.row.session;
        QueueRow {
            id: s.id.clone(),
            channel: s.channel.label(),
            user: user_label(s),
            persona: e.row.persona_name.clone(),
            priority: e.priority.as_str(),
            priority_class: priority_class(e.priority),
            awaiting: e.awaiting_reply,
            wait: span(e.waiting_seconds),
            agent: e.row.agent_name.clone(),
            unread: s.unread_by_agent,
            preview: e
                .row
                .last_message
                .as_deref()
                .map(|m| shorten(m, 90))
                .unwrap_or_default(),
            typing: e.user_typing,
            mine: s.assigned_agent_id.as_deref() == Some(viewer),
            last_user_at: s.last_user_message_at.map_or(0, |t| t.0),
            labels: e.labels.iter().map(LabelView::of).collect(),
        }
    }
}

/// One line above the list: how many chats, how many waiting, how many urgent.
fn summary(entries: &[QueueEntry]) -> String {
    let waiting = entries.iter().filter(|e| e.awaiting_reply).count();
    let unassigned = entries
        .iter()
        .filter(|e| e.row.session.assigned_agent_id.is_none())
        .count();
    format!(
        "{} active · {waiting} waiting for an answer · {unassigned} unassigned",
        entries.len()
    )
}

/// `?label=<id>`: the queue shows only the chats carrying that label.
#[derive(Deserialize)]
pub struct QueueQuery {
    label: Option<String>,
}

impl QueueQuery {
    fn label(&self) -> Option<&str> {
        self.label.as_deref().filter(|l| !l.trim().is_empty())
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "dashboard/queue_page.html")]
pub struct QueuePage {
    layout: Layout,
    rows: Vec<QueueRow>,
    summary: String,
    labels: Vec<LabelView>,
    /// The rows partial's address, with the page's label filter.
    rows_url: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "dashboard/queue_rows_partial.html")]
pub struct QueueRowsPartial {
    rows: Vec<QueueRow>,
    summary: String,
}

pub async fn page(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
    Query(q): Query<QueueQuery>,
) -> PageResult<QueuePage> {
    let labels = LabelView::choices(&labels::list(&ctx, &session.agent).await?, q.label());
    // The filter is the label the select shows: an unknown one (deleted since the link was
    // made) filters nothing, on the page and in the rows it refreshes.
    let label = LabelView::selected_id(&labels).map(str::to_string);
    let entries = queue::active_sessions(&ctx, &session.agent, label.as_deref()).await?;
    Ok(QueuePage {
        layout: Layout::new(&session, Url::Queue),
        summary: summary(&entries),
        rows: entries
            .iter()
            .map(|e| QueueRow::of(e, &session.agent.id))
            .collect(),
        rows_url: match label {
            Some(id) => format!("{}?label={id}", Url::QueueRows),
            None => Url::QueueRows.to_string(),
        },
        labels,
    })
}

pub async fn rows(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
    Query(q): Query<QueueQuery>,
) -> PageResult<QueueRowsPartial> {
    let entries = queue::active_sessions(&ctx, &session.agent, q.label()).await?;
    Ok(QueueRowsPartial {
        summary: summary(&entries),
        rows: entries
            .iter()
            .map(|e| QueueRow::of(e, &session.agent.id))
            .collect(),
    })
}
