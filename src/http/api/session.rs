//! Starting (or resuming) a chat, the user's chat history, and the personas to pick from.

use axum::extract::State;
use serde::Deserialize;
use serde_json::Value;

use super::answers::session::{HistoryAgent, HistorySession, LastMessage, PublicPersona};
use super::answers::{HistoryAnswer, PersonasAnswer, SessionsPage, StartAnswer};
use crate::domain::text::optional_text;
use crate::domain::{Channel, ClientTimestamp, Email, Metadata, SessionId};
use crate::error::Error;
use crate::http::envelope::{ApiOk, ApiResult, Envelope, ErrorEnvelope};
use crate::http::extract::{
    ApiJson, ApiQuery, AppState, ClientAddr, MaybeUserAuth, UserAuth, page_param,
};
use crate::service::chat::{self, HistoryEntry, StartRequest};
use crate::service::personas;

/// What the user tells us about themselves; each field is optional.
#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserInfoBody {
    #[schema(max_length = 100)]
    name: Option<String>,
    #[schema(format = Email, max_length = 254)]
    email: Option<String>,
    #[schema(max_length = 32)]
    phone: Option<String>,
}

/// `POST /api/chat/session`: every field is optional.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StartBody {
    /// The client's own id for the chat (`chat_1733514600000_k3j9x`); the same id from the
    /// same user returns the existing chat.
    #[schema(example = "chat_1733514600000_k3j9x")]
    session_id: Option<String>,
    user_info: Option<UserInfoBody>,
    persona_id: Option<String>,
    /// The client's clock when it started the chat (RFC 3339), kept for reference.
    start_time: Option<String>,
    /// A free-form JSON object of at most 4 KiB (the widget sends the page, referrer and
    /// language).
    #[schema(value_type = Option<Object>)]
    metadata: Option<Value>,
    /// `app` (the default) or `web`.
    #[schema(example = "app")]
    channel: Option<String>,
}

impl StartBody {
    /// Validates every field once, here at the edge.
    fn parse(self) -> Result<StartRequest, Error> {
        let info = self.user_info.unwrap_or_default();
        Ok(StartRequest {
            session_id: self
                .session_id
                .as_deref()
                .map(SessionId::parse)
                .transpose()?,
            user_name: optional_text("userInfo.name", info.name.as_deref(), chat::MAX_NAME_CHARS)?,
            user_email: Email::parse_optional("userInfo.email", info.email.as_deref())?,
            user_phone: optional_text(
                "userInfo.phone",
                info.phone.as_deref(),
                chat::MAX_PHONE_CHARS,
            )?,
            persona_id: optional_text("personaId", self.persona_id.as_deref(), 128)?,
            client_start_time: ClientTimestamp::parse_optional(
                "startTime",
                self.start_time.as_deref(),
            )?,
            metadata: Metadata::parse_optional(self.metadata)?,
            channel: Channel::parse_live("channel", self.channel.as_deref())?,
            first_message: None,
        })
    }
}

/// Start a chat, or resume one
///
/// With `sessionId`, the same id from the same user returns the existing chat (an id another
/// user holds gets a fresh one instead). Without it, the
/// user's active chat with the same persona is resumed (`resumed: true`) if there is one. With
/// `ALLOW_GUESTS=true` a request without a token starts a guest chat and the answer carries a
/// `sessionToken` to send as the bearer token afterwards.
#[utoipa::path(
    post,
    path = "/api/chat/session",
    tag = "client",
    request_body = StartBody,
    responses(
        (status = 200, description = "The chat, new, existing or resumed", body = Envelope<StartAnswer>),
        (status = 401, description = "`AUTHENTICATION_FAILED`: a token that does not verify, or none when guests are not allowed", body = ErrorEnvelope),
        (status = 404, description = "`NOT_FOUND`: no such persona", body = ErrorEnvelope),
        (status = 429, description = "`TOO_MANY_SESSIONS` or `RATE_LIMITED`", body = ErrorEnvelope),
    ),
    security((), ("bearerAuth" = [])),
)]
pub async fn start_session(
    State(ctx): State<AppState>,
    MaybeUserAuth(user): MaybeUserAuth,
    ClientAddr(addr): ClientAddr,
    ApiJson(body): ApiJson<StartBody>,
) -> ApiResult<StartAnswer> {
    let request = body.parse()?;
    let (started, guest_token) = match user {
        Some(user) => (chat::start_session(&ctx, &user, addr, request).await?, None),
        None => {
            let (started, token) = chat::start_guest_session(&ctx, addr, request).await?;
            (started, Some(token))
        }
    };
    let message = if started.resumed {
        "Chat session resumed"
    } else if started.existing {
        "Chat session already exists"
    } else {
        "Chat session created successfully"
    };
    let s = started.session;
    Ok(ApiOk::new(
        message,
        StartAnswer {
            session_id: s.id,
            status: s.status,
            created_at: s.created_at,
            estimated_wait_time: started.estimated_wait_seconds,
            queue_position: started.queue_position,
            poll_interval_seconds: ctx.settings.poll_interval_seconds,
            persona_id: s.persona_id,
            resumed: started.resumed.then_some(true),
            session_token: guest_token,
        },
    ))
}

/// `?page=&limit=` of the paged client endpoints.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// The page, from 1.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 2147483647)]
    pub(super) page: Option<String>,
    /// Items per page (larger values are capped).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 2147483647)]
    pub(super) limit: Option<String>,
}

/// The user's chats, newest first
///
/// `limit` defaults to 10 and is capped at 50.
#[utoipa::path(
    get,
    path = "/api/chat/history",
    tag = "client",
    params(PageQuery),
    responses(
        (status = 200, description = "One page of the user's chats", body = Envelope<HistoryAnswer>),
    ),
    security(("bearerAuth" = [])),
)]
pub async fn history(
    State(ctx): State<AppState>,
    UserAuth(user): UserAuth,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<HistoryAnswer> {
    let page = page_param(query.page.as_deref(), query.limit.as_deref(), 10, 50)?;
    let (entries, pages, total) = chat::history(&ctx, &user, page).await?;
    let now = ctx.clock.now();
    Ok(ApiOk::new(
        "Chat history retrieved successfully",
        HistoryAnswer {
            sessions: entries
                .into_iter()
                .map(|e| history_session(e, now))
                .collect(),
            pagination: SessionsPage {
                pages,
                total_sessions: total,
            },
        },
    ))
}

fn history_session(e: HistoryEntry, now: crate::domain::Timestamp) -> HistorySession {
    let s = e.session;
    HistorySession {
        duration: s.duration_seconds(now),
        session_id: s.id,
        start_time: s.created_at,
        end_time: s.ended_at,
        status: s.status,
        channel: s.channel,
        rating: e.rating.as_ref().map(|r| r.rating),
        feedback: e.rating.and_then(|r| r.feedback),
        message_count: s.message_count,
        admin_info: e.last_agent_message.map(|m| HistoryAgent {
            name: m.display_name,
            department: m.department,
        }),
        last_message: e.last_message.map(|m| LastMessage {
            message: m.body,
            sender: m.sender,
            timestamp: m.created_at,
        }),
    }
}

/// The personas a user can pick
#[utoipa::path(
    get,
    path = "/api/chat/personas",
    tag = "client",
    responses(
        (status = 200, description = "Every active persona", body = Envelope<PersonasAnswer>),
    ),
    security(("bearerAuth" = [])),
)]
pub async fn personas(
    State(ctx): State<AppState>,
    UserAuth(_user): UserAuth,
) -> ApiResult<PersonasAnswer> {
    let list = personas::list_public(&ctx).await?;
    Ok(ApiOk::new(
        "Personas retrieved successfully",
        PersonasAnswer {
            personas: list.into_iter().map(PublicPersona::from).collect(),
        },
    ))
}
