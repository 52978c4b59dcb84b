//! Session lifecycle states.

use serde::Serialize;

/// Where a chat is in its life. Only `Active` accepts messages; the others are final.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
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

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
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
