//! Session lifecycle states.

use serde::Serialize;

use super::{Channel, Priority, Timestamp};
use crate::error::{Error, Result};

/// Where a chat is in its life. Only `Active` accepts messages; the others are final.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    Active,
    EndedByUser,
    EndedByAdmin,
    Expired,
}

impl SessionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionStatus::Active => "active",
            SessionStatus::EndedByUser => "ended_by_user",
            SessionStatus::EndedByAdmin => "ended_by_admin",
            SessionStatus::Expired => "expired",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "active" => SessionStatus::Active,
            "ended_by_user" => SessionStatus::EndedByUser,
            "ended_by_admin" => SessionStatus::EndedByAdmin,
            "expired" => SessionStatus::Expired,
            _ => return None,
        })
    }

    pub fn is_active(self) -> bool {
        self == SessionStatus::Active
    }

    /// Who ended a session in this state (`endedBy` of the end answer).
    pub fn ended_by(self) -> Option<EndedBy> {
        match self {
            SessionStatus::Active => None,
            SessionStatus::EndedByUser => Some(EndedBy::User),
            SessionStatus::EndedByAdmin => Some(EndedBy::Admin),
            SessionStatus::Expired => Some(EndedBy::System),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EndedBy {
    User,
    Admin,
    System,
}

impl EndedBy {
    pub fn as_str(self) -> &'static str {
        match self {
            EndedBy::User => "user",
            EndedBy::Admin => "admin",
            EndedBy::System => "system",
        }
    }
}

/// A chat as stored: who, which state, who handles it, and the counters every message keeps
/// current.
#[derive(Clone, Debug)]
pub struct Session {
    pub id: String,
    pub user_id: String,
    pub user_name: Option<String>,
    pub user_email: Option<String>,
    pub user_phone: Option<String>,
    pub is_guest: bool,
    pub persona_id: Option<String>,
    pub status: SessionStatus,
    pub assigned_agent_id: Option<String>,
    pub assigned_at: Option<Timestamp>,
    pub priority_override: Option<Priority>,
    pub created_at: Timestamp,
    pub client_start_time: Option<String>,
    pub metadata: Option<String>,
    pub ended_at: Option<Timestamp>,
    pub ended_by: Option<String>,
    pub ended_by_agent_id: Option<String>,
    pub end_reason: Option<String>,
    pub message_count: i64,
    pub last_activity_at: Timestamp,
    pub last_user_message_at: Option<Timestamp>,
    pub last_agent_message_at: Option<Timestamp>,
    pub awaiting_since: Option<Timestamp>,
    pub first_user_message_at: Option<Timestamp>,
    pub first_response_at: Option<Timestamp>,
    pub unread_by_agent: i64,
    /// The user's messages up to this per-session position were seen by an agent.
    pub agent_read_seq: i64,
    /// Position of the newest message in this session (0 when there is none).
    pub last_seq: i64,
    /// Where the chat came in; offline-form chats never expire when idle.
    pub channel: Channel,
}

impl Session {
    /// Seconds from start to end (or to `now` while active).
    pub fn duration_seconds(&self, now: Timestamp) -> i64 {
        self.created_at.seconds_until(self.ended_at.unwrap_or(now))
    }

    /// Refuses a session that no longer takes messages.
    pub fn check_open(&self) -> Result<()> {
        match self.status {
            SessionStatus::Active => Ok(()),
            SessionStatus::Expired => Err(Error::SessionExpired),
            SessionStatus::EndedByUser | SessionStatus::EndedByAdmin => Err(Error::SessionEnded),
        }
    }
}

/// An active chat with the names the queue shows and its newest message.
#[derive(Clone, Debug)]
pub struct ActiveSession {
    pub session: Session,
    pub persona_name: Option<String>,
    pub agent_name: Option<String>,
    pub last_message: Option<String>,
}

/// The newest message of a session: its per-session position and id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tip {
    pub seq: i64,
    pub id: String,
}

/// A session together with its newest message, as committed: what the live hub is built from.
#[derive(Clone, Debug)]
pub struct SessionState {
    pub session: Session,
    pub tip: Option<Tip>,
}

/// The one rule for idle expiry, so every path agrees on when a session is over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IdleRule {
    /// Milliseconds of silence after which an active session is over.
    pub timeout_ms: i64,
}

impl IdleRule {
    /// True when an active session of a channel that expires has been silent for longer than
    /// the timeout.
    pub fn is_expired(
        self,
        channel: Channel,
        status: SessionStatus,
        last_activity: Timestamp,
        now: Timestamp,
    ) -> bool {
        channel.expires_when_idle()
            && status.is_active()
            && now.0.saturating_sub(last_activity.0) > self.timeout_ms
    }

    /// The status as of `now`: an active session silent past the timeout reads as expired even
    /// before the sweeper has written it down.
    pub fn effective_status(
        self,
        channel: Channel,
        status: SessionStatus,
        last_activity: Timestamp,
        now: Timestamp,
    ) -> SessionStatus {
        if self.is_expired(channel, status, last_activity, now) {
            SessionStatus::Expired
        } else {
            status
        }
    }

    /// When a session that went quiet at `last_activity` expired.
    pub fn expired_at(self, last_activity: Timestamp) -> Timestamp {
        last_activity.plus_millis(self.timeout_ms)
    }

    /// What users are told about an expired session.
    pub fn reason(self) -> String {
        format!(
            "Session expired after {} minutes without messages",
            self.timeout_ms / 60_000
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_rule_expires_only_active_sessions_past_the_timeout() {
        let rule = IdleRule { timeout_ms: 1_000 };
        let at = Timestamp(10_000);
        assert!(!rule.is_expired(Channel::App, SessionStatus::Active, at, Timestamp(11_000)));
        assert!(rule.is_expired(Channel::App, SessionStatus::Active, at, Timestamp(11_001)));
        assert!(!rule.is_expired(
            Channel::App,
            SessionStatus::EndedByUser,
            at,
            Timestamp(99_000)
        ));
        assert_eq!(rule.expired_at(at), Timestamp(11_000));
        assert!(!rule.is_expired(
            Channel::Offline,
            SessionStatus::Active,
            at,
            Timestamp(99_000)
        ));
    }
}
