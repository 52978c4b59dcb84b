//! Ending a chat (optionally rating it at the same time) and rating an ended chat.

use axum::extract::State;
use serde::Deserialize;
use serde_json::Value;

use super::answers::{EndAnswer, RatingAnswer, TranscriptAnswer};
use crate::domain::text::optional_text;
use crate::domain::{ClientTimestamp, RatingValue, SessionId};
use crate::error::Error;
use crate::http::envelope::{ApiOk, ApiResult};
use crate::http::extract::{ApiJson, AppState, UserAuth, required};
use crate::service::chat::{self, UserEnd};
use crate::service::ratings::{self, RatingInput};

/// Rating categories: a list of strings (each is bounded by `RatingInput`).
fn categories_of(value: Option<Value>) -> Result<Vec<String>, Error> {
    let wrong = || Error::validation("categories", "categories must be a list of strings");
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .into_iter()
            .map(|item| match item {
                Value::String(s) => Ok(s),
                _ => Err(wrong()),
            })
            .collect(),
        Some(_) => Err(wrong()),
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
    /// Accepted for the shipped client and ignored: the server's clock ends the chat.
    #[allow(dead_code)]
    end_time: Option<Value>,
}

impl EndBody {
    /// Validates every field once, here at the edge.
    fn parse(self) -> Result<UserEnd, Error> {
        let session_id = SessionId::parse(&required("sessionId", self.session_id)?)?;
        match self.status.as_deref() {
            None | Some("ended_by_user") => {}
            Some(_) => {
                return Err(Error::validation(
                    "status",
                    "users may only end a chat as \"ended_by_user\"",
                ));
            }
        }
        let reason = optional_text(
            "endReason",
            self.end_reason.as_deref(),
            chat::MAX_REASON_CHARS,
        )?;
        let rating = match self.rating {
            None | Some(Value::Null) => None,
            Some(value) => Some(RatingInput::new(
                RatingValue::parse(&value)?,
                self.feedback.as_deref(),
                Vec::new(),
                None,
            )?),
        };
        Ok(UserEnd {
            session_id,
            reason,
            rating,
        })
    }
}

pub async fn end_session(
    State(ctx): State<AppState>,
    UserAuth(user): UserAuth,
    ApiJson(body): ApiJson<EndBody>,
) -> ApiResult<EndAnswer> {
    let ended = chat::end_by_user(&ctx, &user, body.parse()?).await?;
    let ended_by = ended.ended_by();
    let s = ended.session;
    let now = ctx.clock.now();
    Ok(ApiOk::new(
        "Chat session ended successfully",
        EndAnswer {
            duration: s.duration_seconds(now),
            end_time: Some(s.ended_at.unwrap_or(now)),
            session_id: s.id,
            status: s.status,
            message_count: s.message_count,
            ended_by: Some(ended_by),
            end_reason: s.end_reason,
        },
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
) -> ApiResult<RatingAnswer> {
    let session_id = SessionId::parse(&required("sessionId", body.session_id)?)?;
    let input = RatingInput::new(
        RatingValue::parse(body.rating.as_ref().unwrap_or(&Value::Null))?,
        body.feedback.as_deref(),
        categories_of(body.categories)?,
        ClientTimestamp::parse_optional("timestamp", body.timestamp.as_deref())?,
    )?;
    let rating = ratings::rate(&ctx, &user, session_id, input).await?;
    Ok(ApiOk::new(
        "Rating submitted successfully",
        RatingAnswer::from(rating),
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TranscriptBody {
    session_id: Option<String>,
    /// Where to send it; the chat's own address when absent.
    email: Option<String>,
}

/// `POST /api/chat/transcript`: the chat's transcript by email (queued; sent at least once).
pub async fn email_transcript(
    State(ctx): State<AppState>,
    UserAuth(user): UserAuth,
    ApiJson(body): ApiJson<TranscriptBody>,
) -> ApiResult<TranscriptAnswer> {
    let session_id = SessionId::parse(&required("sessionId", body.session_id)?)?;
    let email = crate::domain::Email::parse_optional("email", body.email.as_deref())?;
    crate::service::email::request_transcript(&ctx, &user, &session_id, email).await?;
    Ok(ApiOk::new(
        "The transcript is on its way",
        TranscriptAnswer {
            session_id: session_id.into_string(),
            queued: true,
        },
    ))
}
