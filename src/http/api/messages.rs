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
use crate::http::envelope::{ApiOk, ApiResult};
use crate::http::extract::{
    ApiJson, ApiPath, ApiQuery, AppState, Caller, UserAuth, bounded_param, page_param, required,
    session_path,
};
use crate::service::chat::{self, UserSend};
use crate::service::poll::{self, PollRequest};
use crate::service::replies;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SendBody {
    session_id: Option<String>,
    message_id: Option<String>,
    message: Option<String>,
    sender: Option<String>,
    timestamp: Option<String>,
    message_type: Option<String>,
    send_as: Option<String>,
    attachments: Option<Vec<String>>,
}

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

#[derive(Deserialize)]
pub struct PollQuery {
    after: Option<String>,
    limit: Option<String>,
    wait: Option<String>,
}

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
