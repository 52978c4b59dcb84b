//! How an agent is shown: the account, their load and whether they are online now.

use crate::domain::Timestamp;
use crate::domain::agent::{Agent, AgentLoad};

/// An agent with their current load, as lists and the login answer show them.
#[derive(Clone, Debug)]
pub struct AgentView {
    /// The agent's account.
    pub agent: Agent,
    pub active_chats: i64,
    /// Online by the rule in `domain::agent`, at the time the view was made.
    pub online: bool,
}

impl AgentView {
    /// The view of `load` as of `now`.
    pub fn at(load: AgentLoad, now: Timestamp) -> Self {
        AgentView {
            online: load.agent.online_at(now),
            agent: load.agent,
            active_chats: load.active_chats,
        }
    }
}
