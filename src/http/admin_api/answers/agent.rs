//! Agents as the admin API shows them, and the answers that carry one or many.

use serde::Serialize;

use crate::domain::{Role, Timestamp};
use crate::service::agents::AgentView;

/// An agent with their live state. Never carries the password hash or token version.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentAnswer {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub department: Option<String>,
    pub is_online: bool,
    pub active_chat_sessions: i64,
    pub max_concurrent_chats: i64,
    pub disabled: bool,
    pub last_seen_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

impl From<&AgentView> for AgentAnswer {
    fn from(v: &AgentView) -> Self {
        let a = &v.agent;
        AgentAnswer {
            id: a.id.clone(),
            email: a.email.clone(),
            name: a.name.clone(),
            role: a.role,
            department: a.department.clone(),
            is_online: v.online,
            active_chat_sessions: v.active_chats,
            max_concurrent_chats: a.max_concurrent_chats,
            disabled: a.disabled,
            last_seen_at: a.last_seen_at,
            created_at: a.created_at,
        }
    }
}

/// `GET /api/admin/agents`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AgentsAnswer {
    pub agents: Vec<AgentAnswer>,
}

/// One agent created, changed or read.
#[derive(Serialize, utoipa::ToSchema)]
pub struct OneAgent {
    pub agent: AgentAnswer,
}

/// The signed-in agent (`me`, `logout`, own profile changes).
#[derive(Serialize, utoipa::ToSchema)]
pub struct AdminAnswer {
    pub admin: AgentAnswer,
}

/// `POST /api/admin/login`.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LoginAnswer {
    pub access_token: String,
    /// Always `"Bearer"`.
    pub token_type: &'static str,
    pub admin: AgentAnswer,
}
