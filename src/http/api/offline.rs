//! `POST /api/chat/offline`: the website's offline form (name, email, message).

use axum::extract::State;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::domain::text::required_text;
use crate::domain::{Email, MessageText, Metadata, SessionId, SessionStatus, Timestamp};
use crate::error::Error;
use crate::http::envelope::{ApiOk, ApiResult, Envelope, ErrorEnvelope};
use crate::http::extract::{ApiJson, AppState, ClientAddr, MaybeUserAuth, required};
use crate::service::chat::MAX_NAME_CHARS;
use crate::service::offline::{self, OfflineMessage};

/// `POST /api/chat/offline`: the website's contact form.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OfflineBody {
    /// The client's own id for the chat; a retry with the same id is not stored twice.
    #[schema(pattern = "^[A-Za-z0-9_.:-]{1,128}$")]
    session_id: Option<String>,
    #[schema(value_type = String, required = true, max_length = 100)]
    name: Option<String>,
    #[schema(value_type = String, required = true, format = Email, max_length = 254)]
    email: Option<String>,
    #[schema(value_type = String, required = true)]
    message: Option<String>,
    /// A free-form JSON object of at most 4 KiB.
    #[schema(value_type = Option<Object>)]
    metadata: Option<Value>,
}

/// The answer: the chat made (or found again for a retry), and a new guest's token.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OfflineAnswer {
    pub session_id: String,
    pub status: SessionStatus,
    pub created_at: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_token: Option<String>,
}

impl OfflineBody {
    /// Validates every field once, here at the edge: name as `userInfo.name`, email required,
    /// the message as a chat message.
    fn parse(self, max_message_chars: usize) -> Result<OfflineMessage, Error> {
        let email = Email::parse_optional("email", self.email.as_deref())?
            .ok_or_else(|| Error::validation("email", "email is required"))?;
        Ok(OfflineMessage {
            session_id: self
                .session_id
                .as_deref()
                .map(SessionId::parse)
                .transpose()?,
            name: required_text("name", &required("name", self.name)?, MAX_NAME_CHARS)?,
            email,
            message: MessageText::parse(&required("message", self.message)?, max_message_chars)?,
            metadata: Metadata::parse_optional(self.metadata)?,
        })
    }
}

/// Leave a message while nobody can chat
///
/// Starts an offline chat that waits for an agent however long that takes. Without a token a
/// guest is made (even with guests off) and its `sessionToken` lets the visitor follow up.
#[utoipa::path(
    post,
    path = "/api/chat/offline",
    tag = "client",
    request_body = OfflineBody,
    responses(
        (status = 200, description = "The message is stored", body = Envelope<OfflineAnswer>),
        (status = 429, description = "`RATE_LIMITED` or `TOO_MANY_SESSIONS`", body = ErrorEnvelope),
    ),
    security((), ("bearerAuth" = [])),
)]
pub async fn leave_message(
    State(ctx): State<AppState>,
    MaybeUserAuth(user): MaybeUserAuth,
    ClientAddr(addr): ClientAddr,
    ApiJson(body): ApiJson<OfflineBody>,
) -> ApiResult<OfflineAnswer> {
    let message = body.parse(ctx.settings.max_message_length)?;
    let (started, token) = offline::leave_message(&ctx, user, addr, message).await?;
    let s = started.session;
    Ok(ApiOk::new(
        if started.existing {
            "Message already received"
        } else {
            "Message received; we will reply as soon as we can"
        },
        OfflineAnswer {
            session_id: s.id,
            status: s.status,
            created_at: s.created_at,
            session_token: token,
        },
    ))
}
