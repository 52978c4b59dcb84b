//! A signed-in dashboard browser as stored: only a hash of its cookie value is kept, so a copy
//! of the database signs nobody in.

use super::Timestamp;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DashboardSessionRecord {
    /// SHA-256 of the cookie value, URL-safe base64.
    pub token_hash: String,
    pub agent_id: String,
    pub csrf_token: String,
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
}
