//! A user's rating of an ended chat.

use super::Timestamp;

/// One per session, 1..=5.
#[derive(Clone, Debug)]
pub struct Rating {
    pub id: String,
    pub session_id: String,
    pub rating: i64,
    pub feedback: Option<String>,
    pub categories: Vec<String>,
    pub client_timestamp: Option<String>,
    pub created_at: Timestamp,
}
