//! Working chats: the queue, a chat's detail, replies, assignment, notes, priority, end.

use axum::extract::State;
use serde::Deserialize;

use super::answers::{
    ActiveSessions, AgentSendAnswer, AssignmentAnswer, BroadcastAnswer, NoteAnswer, PriorityAnswer,
    QueueEntryAnswer, SessionDetailAnswer,
};
use crate::domain::attachment::parse_message_attachments;
use crate::domain::{MessageId, MessageText, Priority, SendAs, SessionId};
use crate::error::Error;
use crate::http::api::answers::{EndAnswer, Nothing};
use crate::http::envelope::{ApiOk, ApiResult, Envelope, ErrorEnvelope};
use crate::http::extract::{
    AgentAuth, ApiJson, ApiPath, ApiQuery, AppState, present, required, session_path,
};
use crate::service::{assignment, broadcast, notes, queue, replies, transcript, typing};

fn session_field(raw: Option<String>) -> Result<SessionId, Error> {
    SessionId::parse(&required("sessionId", raw)?)
}

/// `GET /api/admin/chat/active-sessions`.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    /// Only the chats carrying this label (a label id; an unknown one matches no chat, an
    /// empty one is no filter).
    label: Option<String>,
}

/// The queue: every active chat, most urgent first
#[utoipa::path(
    get,
    path = "/api/admin/chat/active-sessions",
    tag = "admin: chats",
    params(QueueQuery),
    responses(
        (status = 200, description = "The active chats", body = Envelope<ActiveSessions>),
        (status = 403, description = "`FORBIDDEN`: the role may not do this", body = ErrorEnvelope),
    ),
    security(("agentToken" = [])),
)]
pub async fn active_sessions(
    State(ctx): State<AppState>,
    AgentAuth(agent): AgentAuth,
    ApiQuery(query): ApiQuery<QueueQuery>,
) -> ApiResult<ActiveSessions> {
    // Blank is no filter, as in search, analytics and reports.
    let label = query.label.as_deref().filter(|l| !l.trim().is_empty());
    let entries = queue::active_sessions(&ctx, &agent, label).await?;
    let sessions: Vec<_> = entries.iter().map(QueueEntryAnswer::from).collect();
    Ok(ApiOk::new(
        "Active sessions retrieved successfully",
        ActiveSessions {
            total: sessions.len(),
            sessions,
        },
    ))
}

/// A chat in full
///
/// The chat, every message with the real agent behind it, notes, the rating and the user's
/// earlier chats.
#[utoipa::path(
    get,
    path = "/api/admin/chat/session/{session_id}",
    tag = "admin: chats",
    params(
        ("session_id" = String, Path, description = "The chat's id"),
    ),
    responses(
        (status = 200, description = "The chat", body = Envelope<SessionDetailAnswer>),
        (status = 403, description = "`FORBIDDEN`: the role may not do this", body = ErrorEnvelope),
        (status = 404, description = "`SESSION_NOT_FOUND`", body = ErrorEnvelope),
    ),
    security(("agentToken" = [])),
)]
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

/// `POST /api/admin/chat/message`: text, files, or both.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageBody {
    #[schema(value_type = String, required = true, pattern = "^[A-Za-z0-9_.:-]{1,128}$")]
    session_id: Option<String>,
    /// The text; may be left out when `attachments` is not empty.
    message: Option<String>,
    /// `agent` (the default) or `persona`.
    #[schema(example = "agent")]
    send_as: Option<String>,
    #[schema(pattern = "^[A-Za-z0-9_.:-]{1,128}$")]
    message_id: Option<String>,
    /// Ids of files uploaded to this chat first (at most 10).
    #[schema(max_items = 10)]
    attachments: Option<Vec<String>>,
}

/// Reply to a chat
///
/// Sent as the agent or as the chat's persona. The chat is assigned to the sender if nobody has
/// it. The same `messageId` in the same chat stores nothing new.
#[utoipa::path(
    post,
    operation_id = "admin_send_message",
    path = "/api/admin/chat/message",
    tag = "admin: chats",
    request_body = MessageBody,
    responses(
        (status = 200, description = "The reply is stored", body = Envelope<AgentSendAnswer>),
        (status = 403, description = "`FORBIDDEN`: the role may not do this", body = ErrorEnvelope),
        (status = 404, description = "`SESSION_NOT_FOUND`, or `NOT_FOUND` for an attachment", body = ErrorEnvelope),
        (status = 409, description = "`SESSION_ENDED`, `DUPLICATE_MESSAGE_ID`, `AGENT_AT_CAPACITY` or `ALREADY_ASSIGNED`", body = ErrorEnvelope),
        (status = 410, description = "`SESSION_EXPIRED`", body = ErrorEnvelope),
    ),
    security(("agentToken" = [])),
)]
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

/// `POST /api/admin/chat/broadcast`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BroadcastBody {
    #[schema(value_type = String, required = true, example = "We close at 3 pm today.")]
    message: Option<String>,
    /// Makes a retry safe: a chat that has a message with this id gets nothing new.
    #[schema(pattern = "^[A-Za-z0-9_.:-]{1,128}$")]
    message_id: Option<String>,
}

/// Broadcast to every chat
///
/// A system message into every active chat (offline-form chats aside), shown to each user like
/// the welcome message. Super admins only; audited as `broadcast`.
#[utoipa::path(
    post,
    operation_id = "admin_broadcast",
    path = "/api/admin/chat/broadcast",
    tag = "admin: chats",
    request_body = BroadcastBody,
    responses(
        (status = 200, description = "The message is in every active chat", body = Envelope<BroadcastAnswer>),
        (status = 403, description = "`FORBIDDEN`: only super admins broadcast", body = ErrorEnvelope),
        (status = 409, description = "`DUPLICATE_MESSAGE_ID`: the id was used for other text", body = ErrorEnvelope),
    ),
    security(("agentToken" = [])),
)]
pub async fn broadcast(
    State(ctx): State<AppState>,
    AgentAuth(agent): AgentAuth,
    ApiJson(body): ApiJson<BroadcastBody>,
) -> ApiResult<BroadcastAnswer> {
    let text = MessageText::parse(
        &required("message", body.message)?,
        ctx.settings.max_message_length,
    )?;
    let message_id = body
        .message_id
        .as_deref()
        .map(MessageId::parse)
        .transpose()?;
    let summary = broadcast::send(&ctx, &agent, text, message_id).await?;
    Ok(ApiOk::new("Broadcast sent", BroadcastAnswer::of(summary)))
}

/// `POST /api/admin/chat/typing`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = AgentTypingBody)]
pub struct TypingBody {
    #[schema(value_type = String, required = true, pattern = "^[A-Za-z0-9_.:-]{1,128}$")]
    session_id: Option<String>,
    #[schema(value_type = bool, required = true)]
    is_typing: Option<bool>,
}

/// Whether the agent is typing
///
/// The user sees it in their next poll or on their stream.
#[utoipa::path(
    post,
    operation_id = "admin_typing",
    path = "/api/admin/chat/typing",
    tag = "admin: chats",
    request_body = TypingBody,
    responses(
        (status = 200, description = "Noted; `data` is `{}`", body = Envelope<Nothing>),
        (status = 403, description = "`FORBIDDEN`: the role may not do this", body = ErrorEnvelope),
        (status = 404, description = "`SESSION_NOT_FOUND`", body = ErrorEnvelope),
        (status = 409, description = "`SESSION_ENDED`", body = ErrorEnvelope),
    ),
    security(("agentToken" = [])),
)]
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

/// `POST /api/admin/chat/session/assign`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AssignBody {
    #[schema(value_type = String, required = true, pattern = "^[A-Za-z0-9_.:-]{1,128}$")]
    session_id: Option<String>,
    /// The agent to assign; the caller when left out.
    admin_id: Option<String>,
}

/// Assign a chat
///
/// To `adminId`, or to the caller. A chat another agent holds needs a transfer.
#[utoipa::path(
    post,
    operation_id = "assign_session",
    path = "/api/admin/chat/session/assign",
    tag = "admin: chats",
    request_body = AssignBody,
    responses(
        (status = 200, description = "Who holds the chat now", body = Envelope<AssignmentAnswer>),
        (status = 403, description = "`FORBIDDEN`: the role may not do this", body = ErrorEnvelope),
        (status = 404, description = "`SESSION_NOT_FOUND`, or `NOT_FOUND` for the agent", body = ErrorEnvelope),
        (status = 409, description = "`AGENT_AT_CAPACITY`, `ALREADY_ASSIGNED` (use a transfer) or `SESSION_ENDED`", body = ErrorEnvelope),
        (status = 410, description = "`SESSION_EXPIRED`", body = ErrorEnvelope),
    ),
    security(("agentToken" = [])),
)]
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

/// A chat by id.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionBody {
    #[schema(value_type = String, required = true, pattern = "^[A-Za-z0-9_.:-]{1,128}$")]
    session_id: Option<String>,
}

/// Put a chat back in the queue
///
/// Only its agent or a super admin; a chat nobody holds is answered as it is.
#[utoipa::path(
    post,
    operation_id = "release_session",
    path = "/api/admin/chat/session/release",
    tag = "admin: chats",
    request_body = SessionBody,
    responses(
        (status = 200, description = "Who holds the chat now (nobody)", body = Envelope<AssignmentAnswer>),
        (status = 403, description = "`FORBIDDEN`: the role may not do this", body = ErrorEnvelope),
        (status = 404, description = "`SESSION_NOT_FOUND`", body = ErrorEnvelope),
        (status = 409, description = "`ALREADY_ASSIGNED`: another agent took it meanwhile", body = ErrorEnvelope),
    ),
    security(("agentToken" = [])),
)]
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

/// `POST /api/admin/chat/session/transfer`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TransferBody {
    #[schema(value_type = String, required = true, pattern = "^[A-Za-z0-9_.:-]{1,128}$")]
    session_id: Option<String>,
    #[schema(value_type = String, required = true)]
    to_admin_id: Option<String>,
    /// An internal note left with the transfer.
    note: Option<String>,
}

/// Hand a chat to another agent
#[utoipa::path(
    post,
    operation_id = "transfer_session",
    path = "/api/admin/chat/session/transfer",
    tag = "admin: chats",
    request_body = TransferBody,
    responses(
        (status = 200, description = "Who holds the chat now", body = Envelope<AssignmentAnswer>),
        (status = 403, description = "`FORBIDDEN`: the role may not do this", body = ErrorEnvelope),
        (status = 404, description = "`SESSION_NOT_FOUND`, or `NOT_FOUND` for the agent", body = ErrorEnvelope),
        (status = 409, description = "`AGENT_AT_CAPACITY`, `ALREADY_ASSIGNED` (it changed hands meanwhile) or `SESSION_ENDED`", body = ErrorEnvelope),
        (status = 410, description = "`SESSION_EXPIRED`", body = ErrorEnvelope),
    ),
    security(("agentToken" = [])),
)]
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

/// `POST /api/admin/chat/session/end`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = AgentEndBody)]
pub struct EndBody {
    #[schema(value_type = String, required = true, pattern = "^[A-Za-z0-9_.:-]{1,128}$")]
    session_id: Option<String>,
    end_reason: Option<String>,
}

/// End a chat
///
/// Its status becomes `ended_by_admin`; the user's next poll says so.
#[utoipa::path(
    post,
    operation_id = "admin_end_session",
    path = "/api/admin/chat/session/end",
    tag = "admin: chats",
    request_body = EndBody,
    responses(
        (status = 200, description = "The chat has ended", body = Envelope<EndAnswer>),
        (status = 403, description = "`FORBIDDEN`: the role may not do this", body = ErrorEnvelope),
        (status = 404, description = "`SESSION_NOT_FOUND`", body = ErrorEnvelope),
    ),
    security(("agentToken" = [])),
)]
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

/// `POST /api/admin/chat/session/{sessionId}/notes`.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct NoteBody {
    #[schema(value_type = String, required = true)]
    note: Option<String>,
}

/// Add an internal note
///
/// Agents see notes; users never do.
#[utoipa::path(
    post,
    path = "/api/admin/chat/session/{session_id}/notes",
    tag = "admin: chats",
    params(
        ("session_id" = String, Path, description = "The chat's id"),
    ),
    request_body = NoteBody,
    responses(
        (status = 200, description = "The note", body = Envelope<NoteAnswer>),
        (status = 403, description = "`FORBIDDEN`: the role may not do this", body = ErrorEnvelope),
        (status = 404, description = "`SESSION_NOT_FOUND`", body = ErrorEnvelope),
    ),
    security(("agentToken" = [])),
)]
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

/// `PUT /api/admin/chat/session/{sessionId}/priority`.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct PriorityBody {
    /// `low`, `medium`, `high` or `urgent`; `null` clears the override; absent is an error.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Priority>, required = true)]
    priority: Option<Option<String>>,
}

/// Set or clear a chat's priority
///
/// `low`, `medium`, `high` or `urgent` overrides the priority that waiting gives; `null` clears
/// the override.
#[utoipa::path(
    put,
    path = "/api/admin/chat/session/{session_id}/priority",
    tag = "admin: chats",
    params(
        ("session_id" = String, Path, description = "The chat's id"),
    ),
    request_body = PriorityBody,
    responses(
        (status = 200, description = "The priority override", body = Envelope<PriorityAnswer>),
        (status = 403, description = "`FORBIDDEN`: the role may not do this", body = ErrorEnvelope),
        (status = 404, description = "`SESSION_NOT_FOUND`", body = ErrorEnvelope),
    ),
    security(("agentToken" = [])),
)]
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
