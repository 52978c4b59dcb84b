//! Working chats: the queue, a chat's detail, replies, assignment, notes, priority, end.

use axum::extract::State;
use serde::Deserialize;

use super::answers::{
    ActiveSessions, AgentSendAnswer, AssignmentAnswer, NoteAnswer, PriorityAnswer,
    QueueEntryAnswer, SessionDetailAnswer,
};
use crate::domain::attachment::parse_message_attachments;
use crate::domain::{MessageId, MessageText, Priority, SendAs, SessionId};
use crate::error::Error;
use crate::http::api::answers::{EndAnswer, Nothing};
use crate::http::envelope::{ApiOk, ApiResult};
use crate::http::extract::{
    AgentAuth, ApiJson, ApiPath, AppState, present, required, session_path,
};
use crate::service::{assignment, notes, queue, replies, transcript, typing};

fn session_field(raw: Option<String>) -> Result<SessionId, Error> {
    SessionId::parse(&required("sessionId", raw)?)
}

pub async fn active_sessions(
    State(ctx): State<AppState>,
    AgentAuth(agent): AgentAuth,
) -> ApiResult<ActiveSessions> {
    let entries = queue::active_sessions(&ctx, &agent).await?;
    let sessions: Vec<_> = entries.iter().map(QueueEntryAnswer::from).collect();
    Ok(ApiOk::new(
        "Active sessions retrieved successfully",
        ActiveSessions {
            total: sessions.len(),
            sessions,
        },
    ))
}

pub async fn session_detail(
    State(ctx): State<AppState>,
    AgentAuth(agent): AgentAuth,
    ApiPath(session_id): ApiPath<String>,
) -> ApiResult<SessionDetailAnswer> {
    let session_id = session_path(&session_id)?;
    let detail = transcript::detail(&ctx, &agent, session_id.as_str()).await?;
    Ok(ApiOk::new(
        "Session retrieved successfully",
        SessionDetailAnswer::of(&detail, &ctx.file_links),
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageBody {
    session_id: Option<String>,
    message: Option<String>,
    send_as: Option<String>,
    message_id: Option<String>,
    attachments: Option<Vec<String>>,
}

pub async fn send_message(
    State(ctx): State<AppState>,
    AgentAuth(agent): AgentAuth,
    ApiJson(body): ApiJson<MessageBody>,
) -> ApiResult<AgentSendAnswer> {
    let send_as = match body.send_as.as_deref() {
        None => SendAs::Agent,
        Some(raw) => SendAs::parse(raw).ok_or_else(|| {
            Error::validation("sendAs", "sendAs must be \"agent\" or \"persona\"")
        })?,
    };
    let sent = replies::send(
        &ctx,
        &agent,
        replies::AgentSend {
            session_id: session_field(body.session_id)?,
            message_id: body
                .message_id
                .as_deref()
                .map(MessageId::parse)
                .transpose()?,
            text: MessageText::parse_optional(
                body.message.as_deref(),
                ctx.settings.max_message_length,
            )?,
            attachments: parse_message_attachments(&body.attachments.unwrap_or_default())?,
            send_as,
            client_timestamp: None,
        },
    )
    .await?;
    Ok(ApiOk::new(
        "Message sent successfully",
        AgentSendAnswer::of(sent.message, sent.duplicate),
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TypingBody {
    session_id: Option<String>,
    is_typing: Option<bool>,
}

pub async fn typing(
    State(ctx): State<AppState>,
    AgentAuth(agent): AgentAuth,
    ApiJson(body): ApiJson<TypingBody>,
) -> ApiResult<Nothing> {
    let session_id = session_field(body.session_id)?;
    typing::agent_typing(
        &ctx,
        &agent,
        session_id.as_str(),
        required("isTyping", body.is_typing)?,
    )
    .await?;
    Ok(ApiOk::new("Typing state updated", Nothing {}))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssignBody {
    session_id: Option<String>,
    admin_id: Option<String>,
}

pub async fn assign(
    State(ctx): State<AppState>,
    AgentAuth(agent): AgentAuth,
    ApiJson(body): ApiJson<AssignBody>,
) -> ApiResult<AssignmentAnswer> {
    let session_id = session_field(body.session_id)?;
    let row = assignment::assign(&ctx, &agent, session_id.as_str(), body.admin_id).await?;
    Ok(ApiOk::new(
        "Chat assigned successfully",
        AssignmentAnswer::from(row),
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionBody {
    session_id: Option<String>,
}

pub async fn release(
    State(ctx): State<AppState>,
    AgentAuth(agent): AgentAuth,
    ApiJson(body): ApiJson<SessionBody>,
) -> ApiResult<AssignmentAnswer> {
    let session_id = session_field(body.session_id)?;
    let row = assignment::release(&ctx, &agent, session_id.as_str()).await?;
    Ok(ApiOk::new(
        "Chat released successfully",
        AssignmentAnswer::from(row),
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransferBody {
    session_id: Option<String>,
    to_admin_id: Option<String>,
    note: Option<String>,
}

pub async fn transfer(
    State(ctx): State<AppState>,
    AgentAuth(agent): AgentAuth,
    ApiJson(body): ApiJson<TransferBody>,
) -> ApiResult<AssignmentAnswer> {
    let session_id = session_field(body.session_id)?;
    let to = required("toAdminId", body.to_admin_id)?;
    let row =
        assignment::transfer(&ctx, &agent, session_id.as_str(), &to, body.note.as_deref()).await?;
    Ok(ApiOk::new(
        "Chat transferred successfully",
        AssignmentAnswer::from(row),
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EndBody {
    session_id: Option<String>,
    end_reason: Option<String>,
}

pub async fn end(
    State(ctx): State<AppState>,
    AgentAuth(agent): AgentAuth,
    ApiJson(body): ApiJson<EndBody>,
) -> ApiResult<EndAnswer> {
    let session_id = session_field(body.session_id)?;
    let row = assignment::end(
        &ctx,
        &agent,
        session_id.as_str(),
        body.end_reason.as_deref(),
    )
    .await?;
    let now = ctx.clock.now();
    Ok(ApiOk::new(
        "Chat session ended successfully",
        EndAnswer {
            duration: row.duration_seconds(now),
            ended_by: row.status.ended_by(),
            session_id: row.id,
            status: row.status,
            end_time: row.ended_at,
            message_count: row.message_count,
            end_reason: row.end_reason,
        },
    ))
}

#[derive(Deserialize)]
pub struct NoteBody {
    note: Option<String>,
}

pub async fn add_note(
    State(ctx): State<AppState>,
    AgentAuth(agent): AgentAuth,
    ApiPath(session_id): ApiPath<String>,
    ApiJson(body): ApiJson<NoteBody>,
) -> ApiResult<NoteAnswer> {
    let session_id = session_path(&session_id)?;
    let note = notes::add(
        &ctx,
        &agent,
        session_id.as_str(),
        &required("note", body.note)?,
    )
    .await?;
    Ok(ApiOk::new("Note added", NoteAnswer::from(&note)))
}

#[derive(Deserialize)]
pub struct PriorityBody {
    /// `null` clears the override; absent is an error.
    #[serde(default, deserialize_with = "present")]
    priority: Option<Option<String>>,
}

pub async fn set_priority(
    State(ctx): State<AppState>,
    AgentAuth(agent): AgentAuth,
    ApiPath(session_id): ApiPath<String>,
    ApiJson(body): ApiJson<PriorityBody>,
) -> ApiResult<PriorityAnswer> {
    let session_id = session_path(&session_id)?;
    let priority = match body.priority {
        None => {
            return Err(
                Error::validation("priority", "priority is required (null clears it)").into(),
            );
        }
        Some(None) => None,
        Some(Some(p)) => Some(Priority::parse(&p).ok_or_else(|| {
            Error::validation("priority", "priority must be low, medium, high or urgent")
        })?),
    };
    let row = assignment::set_priority(&ctx, &agent, session_id.as_str(), priority).await?;
    Ok(ApiOk::new(
        "Priority updated",
        PriorityAnswer {
            session_id: row.id,
            priority_override: row.priority_override,
        },
    ))
}
