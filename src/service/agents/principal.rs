//! Who is calling: the agent behind a token or a dashboard session, and what they may do.

use crate::domain::agent::Agent;
use crate::domain::{Permission, Role};
use crate::error::{Error, Result};

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

    /// The principal for `agent`.
    pub fn of(agent: &Agent) -> Self {
        AgentPrincipal {
            id: agent.id.clone(),
            email: agent.email.clone(),
            name: agent.name.clone(),
            department: agent.department.clone(),
            role: agent.role,
        }
    }
}
