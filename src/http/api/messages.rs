//! Sending a message, polling for new ones, and paging through a chat's messages.

use std::time::Duration;

use axum::extract::State;
use serde::Deserialize;

use super::answers::message::client_messages;
use super::answers::{MessagesAnswer, MessagesPage, PollAnswer, SendAnswer};
use super::session::PageQuery;
use crate::domain::attachment::parse_message_attachments;
use crate::domain::{ClientTimestamp, MessageId, MessageText, SendAs, SessionId};
use crate::error::Error;
use crate::http::envelope::{ApiOk, ApiResult, Envelope, ErrorEnvelope};
use crate::http::extract::{
    ApiJson, ApiPath, ApiQuery, AppState, Caller, UserAuth, bounded_param, page_param, required,
    session_path,
};
use crate::service::chat::{self, UserSend};
use crate::service::poll::{self, PollRequest};
use crate::service::replies;

/// `POST /api/chat/message`: text, files, or both.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SendBody {
    #[schema(value_type = String, required = true, pattern = "^[A-Za-z0-9_.:-]{1,128}$", example = "chat_1733514600000_k3j9x")]
    session_id: Option<String>,
    /// The client's own id for the message; a retry with the same id stores nothing new.
    #[schema(
        pattern = "^[A-Za-z0-9_.:-]{1,128}$",
        example = "msg_1733514660000_a8f2"
    )]
    message_id: Option<String>,
    /// The text (trimmed; at most `MAX_MESSAGE_LENGTH` characters). May be left out when
    /// `attachments` is not empty.
    message: Option<String>,
    /// `user` (the default), or `admin` with an agent token.
    #[schema(example = "user")]
    sender: Option<String>,
    /// The client's clock when the message was written, kept for reference.
    timestamp: Option<String>,
    /// Only `text`.
    #[schema(example = "text")]
    message_type: Option<String>,
    /// With `sender: admin`: `agent` (the default) or `persona`.
    send_as: Option<String>,
    /// Ids of files uploaded to this chat first (at most 10).
    #[schema(max_items = 10)]
    attachments: Option<Vec<String>>,
}

/// Send a message
///
/// A user's message, or with an agent token and `sender: "admin"` an agent's reply. The same
/// `messageId` in the same chat returns the first result (`duplicate: true`) and stores
/// nothing new.
#[utoipa::path(
    post,
    path = "/api/chat/message",
    tag = "client",
    request_body = SendBody,
    responses(
        (status = 200, description = "The message is stored", body = Envelope<SendAnswer>),
        (status = 403, description = "`FORBIDDEN`: `sender` does not match the token", body = ErrorEnvelope),
        (status = 404, description = "`SESSION_NOT_FOUND`, or `NOT_FOUND` for an attachment", body = ErrorEnvelope),
        (status = 409, description = "`SESSION_ENDED`, `DUPLICATE_MESSAGE_ID` (same id, different text), `AGENT_AT_CAPACITY` or `ALREADY_ASSIGNED`", body = ErrorEnvelope),
        (status = 410, description = "`SESSION_EXPIRED`", body = ErrorEnvelope),
        (status = 429, description = "`RATE_LIMITED`, with `Retry-After`", body = ErrorEnvelope),
    ),
    security(("bearerAuth" = []), ("agentToken" = [])),
)]
pub async fn send_message(
    State(ctx): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<SendBody>,
) -> ApiResult<SendAnswer> {
    let session_id = SessionId::parse(&required("sessionId", body.session_id)?)?;
    let message_id = body
        .message_id
        .as_deref()
        .map(MessageId::parse)
        .transpose()?;
    let text =
        MessageText::parse_optional(body.message.as_deref(), ctx.settings.max_message_length)?;
    let attachments = parse_message_attachments(&body.attachments.unwrap_or_default())?;
    let client_timestamp = ClientTimestamp::parse_optional("timestamp", body.timestamp.as_deref())?;
    match body.message_type.as_deref() {
        None | Some("text") => {}
        Some(_) => {
            return Err(Error::validation("messageType", "messageType must be \"text\"").into());
        }
    }
    let sent = match (body.sender.as_deref().unwrap_or("user"), caller) {
        ("user", Caller::User(user)) => {
            chat::send_user_message(
                &ctx,
                &user,
                UserSend {
                    session_id,
                    message_id,
                    text,
                    attachments,
                    client_timestamp,
                },
            )
            .await?
        }
        ("admin", Caller::Agent(agent)) => {
            let send_as = match body.send_as.as_deref() {
                None => SendAs::Agent,
                Some(raw) => SendAs::parse(raw).ok_or_else(|| {
                    Error::validation("sendAs", "sendAs must be \"agent\" or \"persona\"")
                })?,
            };
            replies::send(
                &ctx,
                &agent,
                replies::AgentSend {
                    session_id,
                    message_id,
                    text,
                    attachments,
                    send_as,
                    client_timestamp,
                },
            )
            .await?
        }
        ("admin", Caller::User(_)) => {
            return Err(Error::Forbidden("Only agents may send as admin").into());
        }
        ("user", Caller::Agent(_)) => {
            return Err(
                Error::Forbidden("Agents send with sender \"admin\" or the admin API").into(),
            );
        }
        _ => {
            return Err(Error::validation("sender", "sender must be \"user\" or \"admin\"").into());
        }
    };
    Ok(ApiOk::new(
        "Message sent successfully",
        SendAnswer::of(sent.message, sent.duplicate),
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PollQuery {
    /// A `messageId`: only messages after it, in order.
    after: Option<String>,
    /// At most this many messages (default 50, capped at 100).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 2147483647)]
    limit: Option<String>,
    /// Hold an empty poll up to this many seconds until something changes (larger values
    /// count as 30).
    #[param(value_type = Option<i64>, minimum = 0, maximum = 2147483647)]
    wait: Option<String>,
}

/// New messages of a chat
///
/// Messages after `after` from both sides, whether the chat has ended, and whether an agent
/// is typing. Polling marks agent messages delivered. With `wait`, an empty poll is held until
/// a message arrives, the chat ends, typing changes or `wait` runs out.
#[utoipa::path(
    get,
    path = "/api/chat/poll/{session_id}",
    tag = "client",
    params(
        ("session_id" = String, Path, description = "The chat's id"),
        PollQuery,
    ),
    responses(
        (status = 200, description = "The new messages", body = Envelope<PollAnswer>),
        (status = 400, description = "`INVALID_CURSOR`: `after` is not a message of this chat; `VALIDATION_ERROR`", body = ErrorEnvelope),
        (status = 404, description = "`SESSION_NOT_FOUND`", body = ErrorEnvelope),
    ),
    security(("bearerAuth" = [])),
)]
pub async fn poll(
    State(ctx): State<AppState>,
    UserAuth(user): UserAuth,
    ApiPath(session_id): ApiPath<String>,
    ApiQuery(query): ApiQuery<PollQuery>,
) -> ApiResult<PollAnswer> {
    let session_id = session_path(&session_id)?;
    let limit = bounded_param(
        "limit",
        query.limit.as_deref(),
        poll::DEFAULT_LIMIT,
        poll::MAX_LIMIT,
    )?;
    let wait = match query.wait.as_deref().map(str::trim) {
        None | Some("") | Some("0") => Duration::ZERO,
        Some(raw) => {
            let seconds = bounded_param("wait", Some(raw), 0, poll::MAX_WAIT.as_secs() as i64)?;
            Duration::from_secs(seconds as u64)
        }
    };
    let after = query.after.filter(|a| !a.is_empty());
    let answer = poll::poll(
        &ctx,
        &user,
        PollRequest {
            session_id: session_id.into_string(),
            after,
            limit,
            wait,
        },
    )
    .await?;
    let ended = answer.session_ended();
    let message = if ended {
        "Session has been ended"
    } else {
        "Messages retrieved successfully"
    };
    Ok(ApiOk::new(
        message,
        PollAnswer {
            messages: client_messages(answer.messages, &ctx.file_links),
            session_ended: ended,
            session_status: answer.status,
            end_reason: answer.end_reason.as_deref().map(str::to_string),
            has_more_messages: answer.has_more,
            agent_typing: answer.agent_typing,
        },
    ))
}

/// A chat's messages, page by page
///
/// `limit` defaults to 50 and is capped at 100.
#[utoipa::path(
    get,
    path = "/api/chat/messages/{session_id}",
    tag = "client",
    params(
        ("session_id" = String, Path, description = "The chat's id"),
        PageQuery,
    ),
    responses(
        (status = 200, description = "One page of messages", body = Envelope<MessagesAnswer>),
        (status = 404, description = "`SESSION_NOT_FOUND`", body = ErrorEnvelope),
    ),
    security(("bearerAuth" = [])),
)]
pub async fn messages(
    State(ctx): State<AppState>,
    UserAuth(user): UserAuth,
    ApiPath(session_id): ApiPath<String>,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<MessagesAnswer> {
    let session_id = session_path(&session_id)?;
    let page = page_param(query.page.as_deref(), query.limit.as_deref(), 50, 100)?;
    let (rows, pages, total) = chat::list_messages(&ctx, &user, session_id, page).await?;
    Ok(ApiOk::new(
        "Messages retrieved successfully",
        MessagesAnswer {
            messages: client_messages(rows, &ctx.file_links),
            pagination: MessagesPage {
                pages,
                total_messages: total,
            },
        },
    ))
}
