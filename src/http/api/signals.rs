//! The user's live signals: typing and read receipts.

use axum::extract::State;
use serde::Deserialize;

use super::answers::{Nothing, PushTokenAnswer, ReadAnswer};
use crate::domain::{MessageId, SessionId};
use crate::error::Error;
use crate::http::envelope::{ApiOk, ApiResult};
use crate::http::extract::{ApiJson, AppState, UserAuth, required};
use crate::service::{receipts, typing};

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
) -> ApiResult<Nothing> {
    let session_id = SessionId::parse(&required("sessionId", body.session_id)?)?;
    let is_typing = required("isTyping", body.is_typing)?;
    typing::user_typing(&ctx, &user, &session_id, is_typing).await?;
    Ok(ApiOk::new("Typing state updated", Nothing {}))
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
) -> ApiResult<ReadAnswer> {
    let session_id = SessionId::parse(&required("sessionId", body.session_id)?)?;
    let up_to = MessageId::parse(&required("upTo", body.up_to)?)
        .map_err(|_| Error::validation("upTo", "upTo must be a message id"))?;
    let read_count = receipts::user_read(&ctx, &user, session_id, up_to).await?;
    Ok(ApiOk::new(
        "Messages marked as read",
        ReadAnswer { read_count },
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PushTokenBody {
    token: Option<String>,
    platform: Option<String>,
}

/// `POST /api/chat/push-token`: registers the caller's device for notifications.
pub async fn push_token(
    State(ctx): State<AppState>,
    UserAuth(user): UserAuth,
    ApiJson(body): ApiJson<PushTokenBody>,
) -> ApiResult<PushTokenAnswer> {
    let token = required("token", body.token)?;
    let platform = required("platform", body.platform)?;
    let enabled = crate::service::push::register_device(&ctx, &user, &token, &platform).await?;
    Ok(ApiOk::new(
        "Device registered",
        PushTokenAnswer {
            registered: true,
            push_enabled: enabled,
        },
    ))
}
