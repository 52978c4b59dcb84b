//! Starting (or resuming) a chat, the user's chat history, and the personas to pick from.

use axum::extract::State;
use serde::Deserialize;
use serde_json::Value;

use super::answers::session::{HistoryAgent, HistorySession, LastMessage, PublicPersona};
use super::answers::{HistoryAnswer, PersonasAnswer, SessionsPage, StartAnswer};
use crate::domain::text::optional_text;
use crate::domain::{Channel, ClientTimestamp, Email, Metadata, SessionId};
use crate::error::Error;
use crate::http::envelope::{ApiOk, ApiResult};
use crate::http::extract::{
    ApiJson, ApiQuery, AppState, ClientAddr, MaybeUserAuth, UserAuth, page_param,
};
use crate::service::chat::{self, HistoryEntry, StartRequest};
use crate::service::personas;

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
#[derive(Deserialize)]
pub struct PageQuery {
    pub(super) page: Option<String>,
    pub(super) limit: Option<String>,
}

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
