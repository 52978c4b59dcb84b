//! Agents: signing in and knowing who is calling (`login`), saying who is online (`presence`),
//! and managing accounts (`manage`).

mod login;
mod manage;
mod presence;

pub use login::{
    authenticate_claims, authenticate_id, authenticate_token, login, verify_credentials,
};
pub use manage::{
    AgentPatch, NewAgentInput, create, disable, find_by_email, get, list, list_all,
    prepare_new_agent, set_password, update,
};
pub use presence::{announce as announce_presence, mark_signed_in, set_status};

/// Transitional: the online window now lives in `domain::agent`; kept here for callers not yet
/// moved.
pub use crate::domain::agent::ONLINE_WINDOW_MS;

use crate::domain::agent::{Agent, AgentLoad};
use crate::domain::{Permission, Role, Timestamp};
use crate::error::{Error, Result};

pub const MAX_EMAIL_CHARS: usize = 254;
pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_DEPARTMENT_CHARS: usize = 100;
pub const MAX_CAPACITY: i64 = 1000;
pub const DEFAULT_CAPACITY: i64 = 5;

/// The agent making a request.
#[derive(Clone, Debug)]
pub struct AgentPrincipal {
    pub id: String,
    pub email: String,
    pub name: String,
    pub department: Option<String>,
    pub role: Role,
}

impl AgentPrincipal {
    /// `Error::Forbidden` unless the agent's role grants `permission`.
    pub fn require(&self, permission: Permission) -> Result<()> {
        if self.role.can(permission) {
            Ok(())
        } else {
            Err(Error::Forbidden("Your role does not allow this"))
        }
    }

    fn of(agent: &Agent) -> Self {
        AgentPrincipal {
            id: agent.id.clone(),
            email: agent.email.clone(),
            name: agent.name.clone(),
            department: agent.department.clone(),
            role: agent.role,
        }
    }
}

/// An agent with their current load, as lists and the login answer show them.
#[derive(Clone, Debug)]
pub struct AgentView {
    /// The agent (the field keeps its name from when it was a table row).
    pub row: Agent,
    pub active_chats: i64,
    /// Online by the rule in `domain::agent`, at the time the view was made.
    pub online: bool,
}

impl AgentView {
    /// The view of `load` as of `now`.
    pub fn at(load: AgentLoad, now: Timestamp) -> Self {
        AgentView {
            online: load.agent.online_at(now),
            row: load.agent,
            active_chats: load.active_chats,
        }
    }
}
