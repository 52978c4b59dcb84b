//! The user's live signals: typing and read receipts.

use axum::extract::State;
use serde::Deserialize;

use super::answers::{Nothing, PushTokenAnswer, ReadAnswer};
use crate::domain::{MessageId, SessionId};
use crate::error::Error;
use crate::http::envelope::{ApiOk, ApiResult, Envelope, ErrorEnvelope};
use crate::http::extract::{ApiJson, AppState, UserAuth, required};
use crate::service::{receipts, typing};

/// `POST /api/chat/typing`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TypingBody {
    #[schema(value_type = String, required = true, pattern = "^[A-Za-z0-9_.:-]{1,128}$")]
    session_id: Option<String>,
    #[schema(value_type = bool, required = true)]
    is_typing: Option<bool>,
}

/// Whether the user is typing
///
/// Shown live in the dashboard.
#[utoipa::path(
    post,
    path = "/api/chat/typing",
    tag = "client",
    request_body = TypingBody,
    responses(
        (status = 200, description = "Noted; `data` is `{}`", body = Envelope<Nothing>),
        (status = 404, description = "`SESSION_NOT_FOUND`", body = ErrorEnvelope),
        (status = 409, description = "`SESSION_ENDED`", body = ErrorEnvelope),
    ),
    security(("bearerAuth" = [])),
)]
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

/// `POST /api/chat/read`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReadBody {
    #[schema(value_type = String, required = true, pattern = "^[A-Za-z0-9_.:-]{1,128}$")]
    session_id: Option<String>,
    /// A `messageId`: every agent message up to it is read.
    #[schema(value_type = String, required = true, pattern = "^[A-Za-z0-9_.:-]{1,128}$")]
    up_to: Option<String>,
}

/// Mark agent messages read
#[utoipa::path(
    post,
    path = "/api/chat/read",
    tag = "client",
    request_body = ReadBody,
    responses(
        (status = 200, description = "How many messages became read", body = Envelope<ReadAnswer>),
        (status = 400, description = "`VALIDATION_ERROR`: a missing field, or `upTo` is not a message of this chat", body = ErrorEnvelope),
        (status = 404, description = "`SESSION_NOT_FOUND`", body = ErrorEnvelope),
    ),
    security(("bearerAuth" = [])),
)]
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

/// `POST /api/chat/push-token`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PushTokenBody {
    /// The device's FCM registration token.
    #[schema(value_type = String, required = true, min_length = 1, max_length = 4096)]
    token: Option<String>,
    #[schema(value_type = String, required = true, pattern = "^(android|ios|web)$")]
    platform: Option<String>,
}

/// Register the device for push notifications
///
/// An agent's reply to a user who is not watching the chat is pushed to the user's devices.
/// Accepted while push is off (`pushEnabled: false`), so turning it on reaches devices that
/// registered before. A token another user registered moves to the caller.
#[utoipa::path(
    post,
    path = "/api/chat/push-token",
    tag = "client",
    request_body = PushTokenBody,
    responses(
        (status = 200, description = "The device is registered", body = Envelope<PushTokenAnswer>),
        (status = 400, description = "`VALIDATION_ERROR`: a missing or malformed token, or a platform other than android, ios and web", body = ErrorEnvelope),
    ),
    security(("bearerAuth" = [])),
)]
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
