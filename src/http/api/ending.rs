//! Ending a chat (optionally rating it at the same time) and rating an ended chat.

use axum::extract::State;
use serde::Deserialize;
use serde_json::Value;

use super::answers::{EndAnswer, RatingAnswer, TranscriptAnswer};
use crate::domain::text::optional_text;
use crate::domain::{ClientTimestamp, RatingValue, SessionId};
use crate::error::Error;
use crate::http::envelope::{ApiOk, ApiResult, Envelope, ErrorEnvelope};
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

/// `POST /api/chat/session/end`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EndBody {
    #[schema(value_type = String, required = true, pattern = "^[A-Za-z0-9_.:-]{1,128}$")]
    session_id: Option<String>,
    /// Only `ended_by_user`.
    #[schema(example = "ended_by_user")]
    status: Option<String>,
    #[schema(max_length = 500)]
    end_reason: Option<String>,
    /// A rating (1 to 5) to store with the end, as if sent to `/api/chat/rating`.
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 5)]
    rating: Option<Value>,
    feedback: Option<String>,
    /// Accepted for the shipped client and ignored, whatever it is: the server's clock ends the
    /// chat.
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

/// End a chat
///
/// Ending an ended chat answers its end data again. A `rating` sent along is stored as if
/// sent to `/api/chat/rating` (and ignored when the chat has a rating already).
#[utoipa::path(
    post,
    path = "/api/chat/session/end",
    tag = "client",
    request_body = EndBody,
    responses(
        (status = 200, description = "The chat has ended", body = Envelope<EndAnswer>),
        (status = 400, description = "`VALIDATION_ERROR` or `INVALID_RATING`", body = ErrorEnvelope),
        (status = 404, description = "`SESSION_NOT_FOUND`", body = ErrorEnvelope),
    ),
    security(("bearerAuth" = [])),
)]
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

/// `POST /api/chat/rating`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RatingBody {
    #[schema(value_type = String, required = true, pattern = "^[A-Za-z0-9_.:-]{1,128}$")]
    session_id: Option<String>,
    /// A whole number from 1 to 5.
    #[schema(value_type = i64, required = true, minimum = 1, maximum = 5)]
    rating: Option<Value>,
    feedback: Option<String>,
    #[schema(value_type = Option<Vec<String>>)]
    categories: Option<Value>,
    /// The client's clock when the rating was given, kept for reference.
    timestamp: Option<String>,
}

/// Rate an ended chat
///
/// Once per chat; a second rating is 409 `ALREADY_RATED` ("Rating already submitted for this
/// session").
#[utoipa::path(
    post,
    path = "/api/chat/rating",
    tag = "client",
    request_body = RatingBody,
    responses(
        (status = 200, description = "The rating is stored", body = Envelope<RatingAnswer>),
        (status = 400, description = "`INVALID_RATING` or `VALIDATION_ERROR`", body = ErrorEnvelope),
        (status = 404, description = "`SESSION_NOT_FOUND`", body = ErrorEnvelope),
        (status = 409, description = "`SESSION_ACTIVE` (not ended yet) or `ALREADY_RATED`", body = ErrorEnvelope),
    ),
    security(("bearerAuth" = [])),
)]
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

/// `POST /api/chat/transcript`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TranscriptBody {
    #[schema(value_type = String, required = true, pattern = "^[A-Za-z0-9_.:-]{1,128}$")]
    session_id: Option<String>,
    /// Where to send it; the chat's own address when absent.
    #[schema(format = "email")]
    email: Option<String>,
}

/// Email the chat's transcript
///
/// Queued and sent at least once (retried for a day). Without `SMTP_URL` the server sends no
/// email and answers 503 `NOT_AVAILABLE`.
#[utoipa::path(
    post,
    path = "/api/chat/transcript",
    tag = "client",
    request_body = TranscriptBody,
    responses(
        (status = 200, description = "The email is queued", body = Envelope<TranscriptAnswer>),
        (status = 400, description = "`VALIDATION_ERROR`: a missing field, a bad address, or no address given for a chat that has none", body = ErrorEnvelope),
        (status = 404, description = "`SESSION_NOT_FOUND`", body = ErrorEnvelope),
        (status = 503, description = "`NOT_AVAILABLE`: email is not set up on this server", body = ErrorEnvelope),
    ),
    security(("bearerAuth" = [])),
)]
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
