//! Ending a chat and rating it.

use serde::Serialize;

use crate::domain::rating::Rating;
use crate::domain::{EndedBy, SessionStatus, Timestamp};

/// `POST /api/chat/session/end` (the admin API's end answers the same shape).
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EndAnswer {
    pub session_id: String,
    pub status: SessionStatus,
    pub end_time: Option<Timestamp>,
    pub duration: i64,
    pub message_count: i64,
    pub ended_by: Option<EndedBy>,
    pub end_reason: Option<String>,
}

/// `POST /api/chat/rating`.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RatingAnswer {
    pub rating_id: String,
    pub session_id: String,
    pub rating: i64,
    pub feedback: Option<String>,
    pub categories: Vec<String>,
    pub submitted_at: Timestamp,
}

impl From<Rating> for RatingAnswer {
    fn from(r: Rating) -> Self {
        RatingAnswer {
            rating_id: r.id,
            session_id: r.session_id,
            rating: r.rating,
            feedback: r.feedback,
            categories: r.categories,
            submitted_at: r.created_at,
        }
    }
}

/// `POST /api/chat/transcript`.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TranscriptAnswer {
    pub session_id: String,
    /// The email is queued; it is sent at least once, retried for a day.
    pub queued: bool,
}
