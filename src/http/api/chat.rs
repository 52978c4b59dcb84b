//! Client API handlers: parse, call one service function, shape the answer.

use std::time::Duration;

use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Value, json};

use super::views::{ClientMessage, client_messages, pagination};
use crate::domain::text::optional_text;
use crate::domain::{MessageId, MessageText, SendAs, SessionId, SessionStatus, Timestamp};
use crate::error::Error;
use crate::http::envelope::{ApiError, ApiOk, ApiResult};
use crate::http::extract::{
    ApiJson, ApiQuery, AppState, Caller, MaybeUserAuth, UserAuth, bounded_param, page_param,
    required, session_path,
};
use crate::service::chat::{self, StartRequest, UserEnd, UserSend};
use crate::service::poll::{self, PollRequest};
use crate::service::ratings::{self, RatingInput};
use crate::service::{personas, receipts, replies, typing};

fn client_timestamp(raw: Option<String>) -> Result<Option<String>, Error> {
    match raw {
        None => Ok(None),
        Some(t)
            if t.len() <= chat::MAX_CLIENT_TIMESTAMP_CHARS
                && Timestamp::parse_rfc3339(&t).is_some() =>
        {
            Ok(Some(t))
        }
        Some(_) => Err(Error::validation(
            "timestamp",
            "timestamp must be an RFC 3339 date-time",
        )),
    }
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct UserInfoBody {
    name: Option<String>,
    email: Option<String>,
    phone: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartBody {
    session_id: Option<String>,
    user_info: Option<UserInfoBody>,
    persona_id: Option<String>,
    start_time: Option<String>,
    metadata: Option<Value>,
}

pub async fn start_session(
    State(ctx): State<AppState>,
    MaybeUserAuth(user): MaybeUserAuth,
    ApiJson(body): ApiJson<StartBody>,
) -> ApiResult<Value> {
    let (user, guest_token) = match user {
        Some(user) => (user, None),
        None if ctx.settings.allow_guests => {
            let (user, token) = ctx.user_tokens.issue_guest(ctx.clock.now().0)?;
            (user, Some(token))
        }
        None => return Err(Error::Unauthenticated("Missing Authorization: Bearer token").into()),
    };
    let info = body.user_info.unwrap_or_default();
    let metadata = match body.metadata {
        None | Some(Value::Null) => None,
        Some(value @ Value::Object(_)) => {
            let text = value.to_string();
            if text.len() > chat::MAX_METADATA_BYTES {
                return Err(Error::validation(
                    "metadata",
                    format!(
                        "metadata must be at most {} bytes of JSON",
                        chat::MAX_METADATA_BYTES
                    ),
                )
                .into());
            }
            Some(text)
        }
        Some(_) => {
            return Err(Error::validation("metadata", "metadata must be a JSON object").into());
        }
    };
    let start_time = match body.start_time {
        Some(t)
            if t.len() > chat::MAX_CLIENT_TIMESTAMP_CHARS
                || Timestamp::parse_rfc3339(&t).is_none() =>
        {
            return Err(
                Error::validation("startTime", "startTime must be an RFC 3339 date-time").into(),
            );
        }
        other => other,
    };
    let request = StartRequest {
        session_id: body
            .session_id
            .as_deref()
            .map(SessionId::parse)
            .transpose()?,
        user_name: optional_text("userInfo.name", info.name.as_deref(), chat::MAX_NAME_CHARS)?,
        user_email: optional_text(
            "userInfo.email",
            info.email.as_deref(),
            chat::MAX_EMAIL_CHARS,
        )?,
        user_phone: optional_text(
            "userInfo.phone",
            info.phone.as_deref(),
            chat::MAX_PHONE_CHARS,
        )?,
        persona_id: optional_text("personaId", body.persona_id.as_deref(), 128)?,
        client_start_time: start_time,
        metadata,
    };
    let started = chat::start_session(&ctx, &user, request).await?;
    let s = &started.session;
    let mut data = json!({
        "sessionId": s.id,
        "status": s.status,
        "createdAt": s.created_at,
        "estimatedWaitTime": started.estimated_wait_seconds,
        "queuePosition": started.queue_position,
        "pollIntervalSeconds": ctx.settings.poll_interval_seconds,
        "personaId": s.persona_id,
    });
    if started.resumed {
        data["resumed"] = json!(true);
    }
    if let Some(token) = guest_token {
        data["sessionToken"] = json!(token);
    }
    let message = if started.resumed {
        "Chat session resumed"
    } else if started.existing {
        "Chat session already exists"
    } else {
        "Chat session created successfully"
    };
    Ok(ApiOk::new(message, data))
}

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
}

pub async fn send_message(
    State(ctx): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<SendBody>,
) -> ApiResult<Value> {
    let session_id = SessionId::parse(&required("sessionId", body.session_id)?)?;
    let message_id = body
        .message_id
        .as_deref()
        .map(MessageId::parse)
        .transpose()?;
    let text = MessageText::parse(
        &required("message", body.message)?,
        ctx.settings.max_message_length,
    )?;
    let client_timestamp = client_timestamp(body.timestamp)?;
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
    let m = &sent.message;
    Ok(ApiOk::new(
        "Message sent successfully",
        json!({
            "messageId": m.id,
            "status": "sent",
            "timestamp": m.created_at,
            "deliveredAt": m.created_at,
            "duplicate": sent.duplicate,
        }),
    ))
}

#[derive(Deserialize)]
pub struct PollQuery {
    after: Option<String>,
    limit: Option<String>,
    wait: Option<String>,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PollData<'a> {
    messages: Vec<ClientMessage<'a>>,
    session_ended: bool,
    session_status: SessionStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_reason: Option<&'a str>,
    has_more_messages: bool,
    agent_typing: bool,
}

pub async fn poll(
    State(ctx): State<AppState>,
    UserAuth(user): UserAuth,
    Path(session_id): Path<String>,
    ApiQuery(query): ApiQuery<PollQuery>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
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
    let message = if answer.session_ended() {
        "Session has been ended"
    } else {
        "Messages retrieved successfully"
    };
    let data = PollData {
        messages: client_messages(&answer.messages),
        session_ended: answer.session_ended(),
        session_status: answer.status,
        end_reason: answer.end_reason.as_deref(),
        has_more_messages: answer.has_more,
        agent_typing: answer.agent_typing,
    };
    Ok(ApiOk::new(message, data).into_response())
}

#[derive(Deserialize)]
pub struct PageQuery {
    page: Option<String>,
    limit: Option<String>,
}

pub async fn messages(
    State(ctx): State<AppState>,
    UserAuth(user): UserAuth,
    Path(session_id): Path<String>,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Value> {
    let session_id = session_path(&session_id)?;
    let page = page_param(query.page.as_deref(), query.limit.as_deref(), 50, 100)?;
    let (rows, pages, total) = chat::list_messages(&ctx, &user, session_id, page).await?;
    Ok(ApiOk::new(
        "Messages retrieved successfully",
        json!({
            "messages": client_messages(&rows),
            "pagination": pagination(pages, "totalMessages", total),
        }),
    ))
}

/// A rating value from JSON: a whole number 1..=5, anything else is INVALID_RATING.
fn rating_value(value: &Value) -> Result<i64, Error> {
    match value.as_i64() {
        Some(r) if (1..=5).contains(&r) => Ok(r),
        _ => match value.as_f64() {
            Some(f) if f.fract() == 0.0 && (1.0..=5.0).contains(&f) => Ok(f as i64),
            _ => Err(Error::InvalidRating),
        },
    }
}

fn categories_of(value: Option<Value>) -> Result<Vec<String>, Error> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .into_iter()
            .map(|item| match item {
                Value::String(s) => Ok(s),
                _ => Err(Error::validation(
                    "categories",
                    "categories must be a list of strings",
                )),
            })
            .collect(),
        Some(_) => Err(Error::validation(
            "categories",
            "categories must be a list of strings",
        )),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EndBody {
    session_id: Option<String>,
    status: Option<String>,
    end_reason: Option<String>,
    rating: Option<Value>,
    feedback: Option<String>,
    #[allow(dead_code)]
    end_time: Option<Value>,
}

pub async fn end_session(
    State(ctx): State<AppState>,
    UserAuth(user): UserAuth,
    ApiJson(body): ApiJson<EndBody>,
) -> ApiResult<Value> {
    let session_id = SessionId::parse(&required("sessionId", body.session_id)?)?;
    match body.status.as_deref() {
        None | Some("ended_by_user") => {}
        Some(_) => {
            return Err(Error::validation(
                "status",
                "users may only end a chat as \"ended_by_user\"",
            )
            .into());
        }
    }
    let reason = optional_text(
        "endReason",
        body.end_reason.as_deref(),
        chat::MAX_REASON_CHARS,
    )?;
    let rating = match body.rating {
        None | Some(Value::Null) => None,
        Some(value) => Some(RatingInput::new(
            rating_value(&value)?,
            body.feedback.as_deref(),
            Vec::new(),
            None,
        )?),
    };
    let ended = chat::end_by_user(
        &ctx,
        &user,
        UserEnd {
            session_id,
            reason,
            rating,
        },
    )
    .await?;
    let s = &ended.session;
    let now = ctx.clock.now();
    Ok(ApiOk::new(
        "Chat session ended successfully",
        json!({
            "sessionId": s.id,
            "status": s.status,
            "endTime": s.ended_at.unwrap_or(now),
            "duration": s.duration_seconds(now),
            "messageCount": s.message_count,
            "endedBy": ended.ended_by(),
            "endReason": s.end_reason,
        }),
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RatingBody {
    session_id: Option<String>,
    rating: Option<Value>,
    feedback: Option<String>,
    categories: Option<Value>,
    timestamp: Option<String>,
}

pub async fn rate(
    State(ctx): State<AppState>,
    UserAuth(user): UserAuth,
    ApiJson(body): ApiJson<RatingBody>,
) -> ApiResult<Value> {
    let session_id = SessionId::parse(&required("sessionId", body.session_id)?)?;
    let rating = rating_value(body.rating.as_ref().unwrap_or(&Value::Null))?;
    let input = RatingInput::new(
        rating,
        body.feedback.as_deref(),
        categories_of(body.categories)?,
        client_timestamp(body.timestamp)?,
    )?;
    let r = ratings::rate(&ctx, &user, session_id, input).await?;
    Ok(ApiOk::new(
        "Rating submitted successfully",
        json!({
            "ratingId": r.id,
            "sessionId": r.session_id,
            "rating": r.rating,
            "feedback": r.feedback,
            "categories": r.categories,
            "submittedAt": r.created_at,
        }),
    ))
}

pub async fn history(
    State(ctx): State<AppState>,
    UserAuth(user): UserAuth,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Value> {
    let page = page_param(query.page.as_deref(), query.limit.as_deref(), 10, 50)?;
    let (entries, pages, total) = chat::history(&ctx, &user, page).await?;
    let now = ctx.clock.now();
    let sessions: Vec<Value> = entries
        .iter()
        .map(|e| {
            let s = &e.session;
            json!({
                "sessionId": s.id,
                "startTime": s.created_at,
                "endTime": s.ended_at,
                "status": s.status,
                "rating": e.rating.as_ref().map(|r| r.rating),
                "feedback": e.rating.as_ref().and_then(|r| r.feedback.clone()),
                "messageCount": s.message_count,
                "duration": s.duration_seconds(now),
                "adminInfo": e.last_agent_message.as_ref().map(|m| json!({
                    "name": m.display_name,
                    "department": m.department,
                })),
                "lastMessage": e.last_message.as_ref().map(|m| json!({
                    "message": m.body,
                    "sender": m.sender,
                    "timestamp": m.created_at,
                })),
            })
        })
        .collect();
    Ok(ApiOk::new(
        "Chat history retrieved successfully",
        json!({ "sessions": sessions, "pagination": pagination(pages, "totalSessions", total) }),
    ))
}

pub async fn personas(State(ctx): State<AppState>, UserAuth(_user): UserAuth) -> ApiResult<Value> {
    let list = personas::list_public(&ctx).await?;
    let personas: Vec<Value> = list
        .iter()
        .map(|p| json!({ "personaId": p.id, "name": p.name, "avatarUrl": p.avatar_url, "bio": p.bio }))
        .collect();
    Ok(ApiOk::new(
        "Personas retrieved successfully",
        json!({ "personas": personas }),
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
    UserAuth(user): UserAuth,
    ApiJson(body): ApiJson<TypingBody>,
) -> ApiResult<Value> {
    let session_id = SessionId::parse(&required("sessionId", body.session_id)?)?;
    let is_typing = required("isTyping", body.is_typing)?;
    typing::user_typing(&ctx, &user, &session_id, is_typing).await?;
    Ok(ApiOk::new("Typing state updated", json!({})))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadBody {
    session_id: Option<String>,
    up_to: Option<String>,
}

pub async fn read(
    State(ctx): State<AppState>,
    UserAuth(user): UserAuth,
    ApiJson(body): ApiJson<ReadBody>,
) -> ApiResult<Value> {
    let session_id = SessionId::parse(&required("sessionId", body.session_id)?)?;
    let up_to = MessageId::parse(&required("upTo", body.up_to)?)
        .map_err(|_| Error::validation("upTo", "upTo must be a message id"))?;
    let count = receipts::user_read(&ctx, &user, session_id, up_to).await?;
    Ok(ApiOk::new(
        "Messages marked as read",
        json!({ "readCount": count }),
    ))
}
