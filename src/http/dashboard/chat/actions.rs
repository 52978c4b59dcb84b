//! What an agent does in a chat: reply, signal typing, assign, release, transfer, end, set the
//! priority and add notes. htmx callers get the refreshed partial, plain forms a redirect.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::chat_id;
use super::details::details_partial_for;
use super::transcript::{TranscriptPartial, messages_of};
use crate::domain::attachment::parse_message_attachments;
use crate::domain::{MessageText, Priority, SendAs, SessionId};
use crate::http::dashboard::error::{PageError, PageResult};
use crate::http::dashboard::form::Form;
use crate::http::dashboard::hypermedia::{ChatUrl, HxRequest};
use crate::http::dashboard::session::{DashboardAuth, see_other};
use crate::http::extract::AppState;
use crate::service::dashboard_auth::DashboardSession;
use crate::service::labels::{self, LabelChange};
use crate::service::{assignment, notes, replies, transcript, typing};

/// After an action: htmx gets the refreshed details panel, a plain form goes back to the chat.
async fn after_action(
    ctx: &AppState,
    session: &DashboardSession,
    HxRequest(htmx): HxRequest,
    id: &SessionId,
) -> PageResult<Response> {
    if htmx {
        Ok(details_partial_for(ctx, session, id).await?.into_response())
    } else {
        Ok(see_other(&ChatUrl::Page.of(id)))
    }
}

/// The reply form: its text, whom to send as, and an `attachments` field per uploaded file
/// (a repeated field, which a struct cannot take, hence the pairs).
#[derive(Default)]
struct ReplyForm {
    message: String,
    send_as: Option<String>,
    attachments: Vec<String>,
}

impl ReplyForm {
    fn read(fields: Vec<(String, String)>) -> Self {
        let mut form = ReplyForm::default();
        for (name, value) in fields {
            match name.as_str() {
                "message" => form.message = value,
                "send_as" => form.send_as = Some(value),
                "attachments" => form.attachments.push(value),
                _ => {}
            }
        }
        form
    }
}

pub async fn reply(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
    hx: HxRequest,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult<Response> {
    let id = chat_id(&id)?;
    let form = ReplyForm::read(fields);
    let send_as = match form.send_as.as_deref() {
        None | Some("") | Some("agent") => SendAs::Agent,
        Some("persona") => SendAs::Persona,
        Some(_) => return Err(PageError::BadRequest("Choose whom to send as".into())),
    };
    // Files alone need no text (the service asks for one or the other).
    let text = MessageText::parse_optional(Some(&form.message), ctx.settings.max_message_length)?;
    let attachments = parse_message_attachments(&form.attachments)?;
    replies::send(
        &ctx,
        &session.agent,
        replies::AgentSend {
            session_id: id.clone(),
            message_id: None,
            text,
            attachments,
            send_as,
            client_timestamp: None,
        },
    )
    .await?;
    if hx.0 {
        let d = transcript::detail(&ctx, &session.agent, id.as_str()).await?;
        Ok(TranscriptPartial {
            messages: messages_of(&d, &ctx.file_links),
        }
        .into_response())
    } else {
        Ok(see_other(&ChatUrl::Page.of(id)))
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
    hx: HxRequest,
    Path(id): Path<String>,
) -> PageResult<Response> {
    let id = chat_id(&id)?;
    assignment::assign(&ctx, &session.agent, id.as_str(), None).await?;
    after_action(&ctx, &session, hx, &id).await
}

pub async fn release(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
    hx: HxRequest,
    Path(id): Path<String>,
) -> PageResult<Response> {
    let id = chat_id(&id)?;
    assignment::release(&ctx, &session.agent, id.as_str()).await?;
    after_action(&ctx, &session, hx, &id).await
}

#[derive(Deserialize)]
pub struct TransferForm {
    to: String,
    note: Option<String>,
}

pub async fn transfer(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
    hx: HxRequest,
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
    after_action(&ctx, &session, hx, &id).await
}

#[derive(Deserialize)]
pub struct EndForm {
    reason: Option<String>,
}

pub async fn end(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
    hx: HxRequest,
    Path(id): Path<String>,
    Form(form): Form<EndForm>,
) -> PageResult<Response> {
    let id = chat_id(&id)?;
    assignment::end(&ctx, &session.agent, id.as_str(), form.reason.as_deref()).await?;
    after_action(&ctx, &session, hx, &id).await
}

#[derive(Deserialize)]
pub struct PriorityForm {
    priority: String,
}

pub async fn priority(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
    hx: HxRequest,
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
    after_action(&ctx, &session, hx, &id).await
}

#[derive(Deserialize)]
pub struct NoteForm {
    note: String,
}

pub async fn add_note(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
    hx: HxRequest,
    Path(id): Path<String>,
    Form(form): Form<NoteForm>,
) -> PageResult<Response> {
    let id = chat_id(&id)?;
    notes::add(&ctx, &session.agent, id.as_str(), &form.note).await?;
    after_action(&ctx, &session, hx, &id).await
}

#[derive(Deserialize)]
pub struct LabelForm {
    label_id: String,
    /// `add` or `remove`.
    change: String,
}

pub async fn change_label(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
    hx: HxRequest,
    Path(id): Path<String>,
    Form(form): Form<LabelForm>,
) -> PageResult<Response> {
    let id = chat_id(&id)?;
    let change = match form.change.as_str() {
        "add" => LabelChange::Add,
        "remove" => LabelChange::Remove,
        _ => return Err(PageError::BadRequest("Unknown label change".into())),
    };
    labels::change_on_chat(&ctx, &session.agent, id.as_str(), &form.label_id, change).await?;
    after_action(&ctx, &session, hx, &id).await
}
