//! The audit log: who did what to which session, when.

use super::Timestamp;

/// One recorded action.
#[derive(Clone, Debug, PartialEq)]
pub struct AuditEvent {
    /// Increases with every event recorded; newest first means highest first.
    pub seq: i64,
    pub at: Timestamp,
    pub agent_id: Option<String>,
    /// The acting agent's current name, when there is one.
    pub agent_name: Option<String>,
    pub action: String,
    pub session_id: Option<String>,
    pub detail: Option<serde_json::Value>,
}

/// An event to record.
#[derive(Clone, Debug, PartialEq)]
pub struct NewAuditEvent {
    pub at: Timestamp,
    pub agent_id: Option<String>,
    pub action: String,
    pub session_id: Option<String>,
    pub detail: Option<serde_json::Value>,
}

/// Which events to list; `None` matches everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub session_id: Option<String>,
    pub agent_id: Option<String>,
    pub action: Option<String>,
}
