//! The chat's details panel: status, assignment, priority, the user, notes, earlier chats and
//! the forms that act on them. Redrawn on `details` events and after every action.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};

use super::chat_id;
use crate::domain::visitor::VisitorContext;
use crate::domain::{Permission, Priority, SessionId};
use crate::http::dashboard::error::PageResult;
use crate::http::dashboard::hypermedia::{ChatUrl, LiveEvent};
use crate::http::dashboard::session::DashboardAuth;
use crate::http::dashboard::views::{LabelView, date_time, span, status_label};
use crate::http::extract::AppState;
use crate::service::dashboard_auth::DashboardSession;
use crate::service::transcript::{self, SessionDetail};
use crate::service::{agents, labels};

pub struct NoteView {
    pub author: String,
    pub time: String,
    pub body: String,
}

pub struct EarlierView {
    pub id: String,
    pub label: String,
}

pub struct AgentOption {
    pub id: String,
    pub label: String,
}

pub struct PriorityOption {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

/// The side panel.
/// Metadata keys the widget sends, shown as the visitor context rather than as raw metadata.
const VISITOR_KEYS: [&str; 4] = ["pageUrl", "referrer", "language", "userAgent"];

pub struct Details {
    pub id: String,
    pub status: String,
    pub active: bool,
    pub end_reason: Option<String>,
    pub started: String,
    pub duration: String,
    pub assigned: Option<String>,
    pub assigned_to_me: bool,
    pub priorities: Vec<PriorityOption>,
    pub user_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub user_id: String,
    pub guest: bool,
    pub persona: Option<String>,
    pub metadata: Vec<(String, String)>,
    /// "App", "Web" or "Offline".
    pub channel: &'static str,
    /// The page URL as a link (http and https only) or, for anything else, as text.
    pub page_link: Option<String>,
    pub page_text: Option<String>,
    pub visitor: VisitorContext,
    pub rating: Option<String>,
    pub notes: Vec<NoteView>,
    /// The chat's labels, and the ones it could still get (for those who may label).
    pub labels: Vec<LabelView>,
    pub other_labels: Vec<LabelView>,
    pub can_label: bool,
    pub earlier: Vec<EarlierView>,
    pub transfer_to: Vec<AgentOption>,
    pub can_manage: bool,
    pub can_note: bool,
    pub csrf: String,
}

pub(super) async fn details_of(
    ctx: &AppState,
    session: &DashboardSession,
    d: &SessionDetail,
) -> PageResult<Details> {
    let s = &d.session;
    let me = &session.agent;
    let can_manage = me.role.can(Permission::ManageChats);
    let transfer_to = if can_manage && s.status.is_active() {
        agents::list(ctx, me)
            .await?
            .into_iter()
            .filter(|a| !a.agent.disabled && a.agent.role.can(Permission::Reply))
            .filter(|a| s.assigned_agent_id.as_deref() != Some(a.agent.id.as_str()))
            .map(|a| AgentOption {
                label: format!(
                    "{} ({}/{} chats{})",
                    a.agent.name,
                    a.active_chats,
                    a.agent.max_concurrent_chats,
                    if a.online { ", online" } else { ", offline" }
                ),
                id: a.agent.id,
            })
            .collect()
    } else {
        Vec::new()
    };
    let metadata = s
        .metadata
        .as_deref()
        .and_then(|m| serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(m).ok())
        .map(|map| {
            map.into_iter()
                // The widget's keys are shown as the visitor context instead.
                .filter(|(k, _)| !VISITOR_KEYS.contains(&k.as_str()))
                .map(|(k, v)| (k, v.as_str().map_or_else(|| v.to_string(), str::to_string)))
                .collect()
        })
        .unwrap_or_default();
    let visitor = VisitorContext::from_metadata(s.metadata.as_deref());
    let page_link = visitor.page_link().map(str::to_string);
    let page_text = visitor.page_url.clone().filter(|_| page_link.is_none());
    let now = ctx.clock.now();
    let can_label = me.role.can(Permission::LabelChats);
    let other_labels = if can_label {
        labels::list(ctx, me)
            .await?
            .iter()
            .filter(|l| !d.labels.iter().any(|on| on.id == l.id))
            .map(LabelView::of)
            .collect()
    } else {
        Vec::new()
    };
    Ok(Details {
        labels: d.labels.iter().map(LabelView::of).collect(),
        other_labels,
        can_label,
        channel: s.channel.label(),
        page_link,
        page_text,
        visitor,
        id: s.id.clone(),
        status: status_label(s.status).to_string(),
        active: s.status.is_active(),
        end_reason: s.end_reason.clone(),
        started: date_time(s.created_at),
        duration: span(s.duration_seconds(now)),
        assigned: d.agent.as_ref().map(|a| a.name.clone()),
        assigned_to_me: s.assigned_agent_id.as_deref() == Some(me.id.as_str()),
        priorities: std::iter::once(PriorityOption {
            value: "",
            label: "By waiting time",
            selected: s.priority_override.is_none(),
        })
        .chain(Priority::ALL.into_iter().map(|p| PriorityOption {
            value: p.as_str(),
            label: match p {
                Priority::Low => "Low",
                Priority::Medium => "Medium",
                Priority::High => "High",
                Priority::Urgent => "Urgent",
            },
            selected: s.priority_override == Some(p),
        }))
        .collect(),
        user_name: s.user_name.clone(),
        email: s.user_email.clone(),
        phone: s.user_phone.clone(),
        user_id: s.user_id.clone(),
        guest: s.is_guest,
        persona: d.persona.as_ref().map(|p| p.name.clone()),
        metadata,
        rating: d.rating.as_ref().map(|r| match &r.feedback {
            Some(f) => format!("{}/5 — “{f}”", r.rating),
            None => format!("{}/5", r.rating),
        }),
        notes: d
            .notes
            .iter()
            .map(|n| NoteView {
                author: n.agent_name.clone().unwrap_or_else(|| "Someone".into()),
                time: date_time(n.created_at),
                body: n.body.clone(),
            })
            .collect(),
        earlier: d
            .earlier_sessions
            .iter()
            .map(|e| EarlierView {
                id: e.id.clone(),
                label: format!(
                    "{} · {} · {} messages",
                    date_time(e.created_at),
                    status_label(e.status),
                    e.message_count
                ),
            })
            .collect(),
        transfer_to,
        can_manage,
        can_note: me.role.can(Permission::WriteNotes),
        csrf: session.csrf_token.clone(),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "dashboard/details_partial.html")]
pub struct DetailsPartial {
    details: Details,
}

pub(super) async fn details_partial_for(
    ctx: &AppState,
    session: &DashboardSession,
    id: &SessionId,
) -> PageResult<DetailsPartial> {
    let d = transcript::detail(ctx, &session.agent, id.as_str()).await?;
    Ok(DetailsPartial {
        details: details_of(ctx, session, &d).await?,
    })
}

pub async fn details_partial(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
    Path(id): Path<String>,
) -> PageResult<DetailsPartial> {
    let id = chat_id(&id)?;
    details_partial_for(&ctx, &session, &id).await
}
