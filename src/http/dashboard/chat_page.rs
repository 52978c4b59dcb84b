//! The chat view: transcript (live), reply box with send-as switch and canned responses,
//! "user is typing", details with notes, and the assign / release / transfer / end / priority
//! actions. Actions answer htmx with the refreshed partial and plain forms with a redirect.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::error::{PageError, PageResult};
use super::form::Form;
use super::session::{DashboardAuth, is_htmx, see_other};
use super::views::{Layout, clock_time, date_time, span, user_label};
use crate::domain::{MessageText, Permission, Priority, SendAs, Sender, SessionId, SessionStatus};
use crate::http::extract::{AppState, session_path};
use crate::service::dashboard_auth::DashboardSession;
use crate::service::transcript::{self, SessionDetail};
use crate::service::{agents, assignment, canned, notes, replies, typing};

pub struct MessageView {
    /// The message id: the page script adds new messages by it instead of redrawing them all.
    pub key: String,
    /// `user`, `agent` or `system`: the bubble's side and colour.
    pub side: &'static str,
    pub from: String,
    /// The agent behind a persona reply (agents always see who wrote it).
    pub real_agent: Option<String>,
    pub time: String,
    pub iso: String,
    pub body: String,
    pub receipt: Option<&'static str>,
}

fn messages_of(d: &SessionDetail) -> Vec<MessageView> {
    let user = user_label(&d.session);
    d.messages
        .iter()
        .map(|m| {
            let agent_name = m
                .agent_id
                .as_deref()
                .and_then(|id| d.agent_name(id))
                .map(str::to_string);
            let (side, from, real_agent) = match m.sender {
                Sender::User => ("user", user.clone(), None),
                Sender::System => ("system", "Automatic message".to_string(), None),
                Sender::Admin => {
                    let shown = m.display_name.clone().unwrap_or_else(|| "Support".into());
                    let behind = (m.sent_as == Some(SendAs::Persona))
                        .then_some(agent_name)
                        .flatten();
                    ("agent", shown, behind)
                }
            };
            let receipt =
                (m.sender == Sender::Admin).then_some(match (m.read_at, m.delivered_at) {
                    (Some(_), _) => "Read",
                    (None, Some(_)) => "Delivered",
                    (None, None) => "Sent",
                });
            MessageView {
                key: m.id.clone(),
                side,
                from,
                real_agent,
                time: clock_time(m.created_at),
                iso: m.created_at.rfc3339(),
                body: m.body.clone(),
                receipt,
            }
        })
        .collect()
}

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
    pub rating: Option<String>,
    pub notes: Vec<NoteView>,
    pub earlier: Vec<EarlierView>,
    pub transfer_to: Vec<AgentOption>,
    pub can_manage: bool,
    pub can_note: bool,
    pub csrf: String,
}

fn status_label(s: SessionStatus) -> &'static str {
    match s {
        SessionStatus::Active => "Active",
        SessionStatus::EndedByUser => "Ended by the user",
        SessionStatus::EndedByAdmin => "Ended by support",
        SessionStatus::Expired => "Expired",
    }
}

async fn details_of(
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
            .filter(|a| !a.row.disabled && a.row.role.can(Permission::Reply))
            .filter(|a| s.assigned_agent_id.as_deref() != Some(a.row.id.as_str()))
            .map(|a| AgentOption {
                label: format!(
                    "{} ({}/{} chats{})",
                    a.row.name,
                    a.active_chats,
                    a.row.max_concurrent_chats,
                    if a.online { ", online" } else { ", offline" }
                ),
                id: a.row.id,
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
                .map(|(k, v)| (k, v.as_str().map_or_else(|| v.to_string(), str::to_string)))
                .collect()
        })
        .unwrap_or_default();
    let now = ctx.clock.now();
    Ok(Details {
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

pub struct CannedOption {
    pub shortcut: String,
    pub title: String,
    pub text: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "dashboard/chat_page.html")]
pub struct ChatPage {
    layout: Layout,
    id: String,
    user: String,
    subtitle: String,
    messages: Vec<MessageView>,
    user_typing: bool,
    active: bool,
    persona: Option<String>,
    canned: Vec<CannedOption>,
    max_length: usize,
    details: Details,
}

#[derive(Template, WebTemplate)]
#[template(path = "dashboard/transcript_partial.html")]
pub struct TranscriptPartial {
    messages: Vec<MessageView>,
}

#[derive(Template, WebTemplate)]
#[template(path = "dashboard/details_partial.html")]
pub struct DetailsPartial {
    details: Details,
}

#[derive(Template, WebTemplate)]
#[template(path = "dashboard/typing_partial.html")]
pub struct TypingPartial {
    user: String,
    user_typing: bool,
}

fn chat_id(raw: &str) -> PageResult<SessionId> {
    session_path(raw).map_err(PageError::from)
}

pub async fn page(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
    Path(id): Path<String>,
) -> PageResult<ChatPage> {
    let id = chat_id(&id)?;
    let d = transcript::detail(&ctx, &session.agent, id.as_str()).await?;
    let canned = canned::list(&ctx, &session.agent)
        .await?
        .into_iter()
        .map(|c| CannedOption {
            shortcut: c.shortcut,
            title: c.title,
            text: c.body,
        })
        .collect();
    let s = &d.session;
    let subtitle = match &d.persona {
        Some(p) => format!("Chatting with {}", p.name),
        None => "Direct chat with support".to_string(),
    };
    Ok(ChatPage {
        layout: Layout::new(&session, "queue"),
        id: s.id.clone(),
        user: user_label(s),
        subtitle,
        messages: messages_of(&d),
        user_typing: d.user_typing,
        active: s.status.is_active(),
        persona: d.persona.as_ref().map(|p| p.name.clone()),
        canned,
        max_length: ctx.settings.max_message_length,
        details: details_of(&ctx, &session, &d).await?,
    })
}

pub async fn transcript_partial(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
    Path(id): Path<String>,
) -> PageResult<TranscriptPartial> {
    let id = chat_id(&id)?;
    let d = transcript::detail(&ctx, &session.agent, id.as_str()).await?;
    Ok(TranscriptPartial {
        messages: messages_of(&d),
    })
}

async fn details_partial_for(
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

pub async fn typing_partial(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
    Path(id): Path<String>,
) -> PageResult<TypingPartial> {
    let id = chat_id(&id)?;
    let (user, user_typing) = typing::user_typing_now(&ctx, &session.agent, id.as_str()).await?;
    Ok(TypingPartial { user, user_typing })
}

/// After an action: htmx gets the refreshed details panel, a plain form goes back to the chat.
async fn after_action(
    ctx: &AppState,
    session: &DashboardSession,
    headers: &HeaderMap,
    id: &SessionId,
) -> PageResult<Response> {
    if is_htmx(headers) {
        Ok(details_partial_for(ctx, session, id).await?.into_response())
    } else {
        Ok(see_other(&format!("/admin/chats/{id}")))
    }
}

#[derive(Deserialize)]
pub struct ReplyForm {
    message: String,
    send_as: Option<String>,
}

pub async fn reply(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<ReplyForm>,
) -> PageResult<Response> {
    let id = chat_id(&id)?;
    let send_as = match form.send_as.as_deref() {
        None | Some("") | Some("agent") => SendAs::Agent,
        Some("persona") => SendAs::Persona,
        Some(_) => return Err(PageError::BadRequest("Choose whom to send as".into())),
    };
    replies::send(
        &ctx,
        &session.agent,
        replies::AgentSend {
            session_id: id.clone(),
            message_id: None,
            text: MessageText::parse(&form.message, ctx.settings.max_message_length)?,
            send_as,
            client_timestamp: None,
        },
    )
    .await?;
    if is_htmx(&headers) {
        let d = transcript::detail(&ctx, &session.agent, id.as_str()).await?;
        Ok(TranscriptPartial {
            messages: messages_of(&d),
        }
        .into_response())
    } else {
        Ok(see_other(&format!("/admin/chats/{id}")))
    }
}

pub async fn agent_typing(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
    Path(id): Path<String>,
) -> PageResult<Response> {
    let id = chat_id(&id)?;
    typing::agent_typing(&ctx, &session.agent, id.as_str(), true).await?;
    Ok(axum::http::StatusCode::NO_CONTENT.into_response())
}

pub async fn assign(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> PageResult<Response> {
    let id = chat_id(&id)?;
    assignment::assign(&ctx, &session.agent, id.as_str(), None).await?;
    after_action(&ctx, &session, &headers, &id).await
}

pub async fn release(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> PageResult<Response> {
    let id = chat_id(&id)?;
    assignment::release(&ctx, &session.agent, id.as_str()).await?;
    after_action(&ctx, &session, &headers, &id).await
}

#[derive(Deserialize)]
pub struct TransferForm {
    to: String,
    note: Option<String>,
}

pub async fn transfer(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<TransferForm>,
) -> PageResult<Response> {
    let id = chat_id(&id)?;
    assignment::transfer(
        &ctx,
        &session.agent,
        id.as_str(),
        &form.to,
        form.note.as_deref(),
    )
    .await?;
    after_action(&ctx, &session, &headers, &id).await
}

#[derive(Deserialize)]
pub struct EndForm {
    reason: Option<String>,
}

pub async fn end(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<EndForm>,
) -> PageResult<Response> {
    let id = chat_id(&id)?;
    assignment::end(&ctx, &session.agent, id.as_str(), form.reason.as_deref()).await?;
    after_action(&ctx, &session, &headers, &id).await
}

#[derive(Deserialize)]
pub struct PriorityForm {
    priority: String,
}

pub async fn priority(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<PriorityForm>,
) -> PageResult<Response> {
    let id = chat_id(&id)?;
    let priority = match form.priority.as_str() {
        "" => None,
        raw => Some(
            Priority::parse(raw).ok_or_else(|| PageError::BadRequest("Unknown priority".into()))?,
        ),
    };
    assignment::set_priority(&ctx, &session.agent, id.as_str(), priority).await?;
    after_action(&ctx, &session, &headers, &id).await
}

#[derive(Deserialize)]
pub struct NoteForm {
    note: String,
}

pub async fn add_note(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<NoteForm>,
) -> PageResult<Response> {
    let id = chat_id(&id)?;
    notes::add(&ctx, &session.agent, id.as_str(), &form.note).await?;
    after_action(&ctx, &session, &headers, &id).await
}
