//! Agents (support staff) as the rest of the program sees them, and the online rule that both
//! presence and assignment use.

use super::{Role, Timestamp};

/// An agent not seen for this long counts as offline, whatever their status says.
pub const ONLINE_WINDOW_MS: i64 = 120_000;

/// The online rule, written once: the agent said so, is not disabled, and was seen within
/// [`ONLINE_WINDOW_MS`] of `now`.
pub fn is_online(
    said_online: bool,
    disabled: bool,
    last_seen_at: Option<Timestamp>,
    now: Timestamp,
) -> bool {
    said_online && !disabled && last_seen_at.is_some_and(|seen| now.0 - seen.0 <= ONLINE_WINDOW_MS)
}

/// An agent account. Disabling keeps it: history stays attributed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Agent {
    pub id: String,
    pub email: String,
    pub name: String,
    pub department: Option<String>,
    pub role: Role,
    pub max_concurrent_chats: i64,
    /// What the agent last said (signed in, set a status); see [`Agent::online_at`].
    pub is_online: bool,
    pub last_seen_at: Option<Timestamp>,
    pub last_assigned_at: Option<Timestamp>,
    pub disabled: bool,
    /// Bumped on disable and password change; tokens carrying an older one are refused.
    pub token_version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Agent {
    /// Online as of `now` (see [`is_online`]).
    pub fn online_at(&self, now: Timestamp) -> bool {
        is_online(self.is_online, self.disabled, self.last_seen_at, now)
    }

    /// An enabled super admin: the kind of account that must never run out.
    pub fn is_enabled_super_admin(&self) -> bool {
        self.role == Role::SuperAdmin && !self.disabled
    }
}

/// An agent with the number of active chats assigned to them: what "who may take a chat" asks
/// (the rule itself is in [`crate::domain::assignment`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentLoad {
    pub agent: Agent,
    pub active_chats: i64,
}

/// What a sign-in checks: the agent and their stored password hash.
#[derive(Clone, Debug)]
pub struct AgentCredentials {
    pub agent: Agent,
    pub password_hash: String,
}

/// A validated new agent (id chosen by the caller, password already hashed).
#[derive(Clone, Debug)]
pub struct NewAgent {
    pub id: String,
    pub email: String,
    pub name: String,
    pub department: Option<String>,
    pub role: Role,
    pub password_hash: String,
    pub max_concurrent_chats: i64,
}

/// Validated changes to an agent; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct AgentChange {
    pub name: Option<String>,
    /// `Some(None)` clears the department.
    pub department: Option<Option<String>>,
    pub role: Option<Role>,
    pub max_concurrent_chats: Option<i64>,
    /// A new password hash; setting it also ends every token and dashboard session.
    pub password_hash: Option<String>,
}

impl AgentChange {
    /// True when the change can alter who may take a chat (role or capacity).
    pub fn affects_assignment(&self) -> bool {
        self.role.is_some() || self.max_concurrent_chats.is_some()
    }
}

/// An agent just disabled, and the active chats that went back to the queue with it.
#[derive(Clone, Debug)]
pub struct DisabledAgent {
    pub agent: AgentLoad,
    pub released_sessions: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn online_needs_the_flag_a_recent_sighting_and_an_enabled_account() {
        let now = Timestamp(1_000_000);
        let recent = Some(Timestamp(now.0 - ONLINE_WINDOW_MS));
        let stale = Some(Timestamp(now.0 - ONLINE_WINDOW_MS - 1));
        assert!(is_online(true, false, recent, now));
        assert!(!is_online(true, false, stale, now));
        assert!(!is_online(true, true, recent, now));
        assert!(!is_online(false, false, recent, now));
        assert!(!is_online(true, false, None, now));
    }
}
