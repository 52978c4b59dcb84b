//! Internal notes on a chat: for agents only, never shown to users.

use super::Timestamp;

#[derive(Clone, Debug)]
pub struct Note {
    pub id: String,
    pub session_id: String,
    pub agent_id: String,
    /// The author's name, when the author still exists.
    pub agent_name: Option<String>,
    pub body: String,
    pub created_at: Timestamp,
}
