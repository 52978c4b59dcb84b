//! Who may take a chat, written once. Manual assignment, transfer, assign-on-reply,
//! auto-assignment and the analytics count of available agents all load an [`AgentLoad`] and
//! ask it; the store's guarded update of the
//! agent's row (`disabled = 0 AND role <> 'support_admin' AND active_chats <
//! max_concurrent_chats`) mirrors [`AgentLoad::may_take`] so that two writers cannot both
//! squeeze past it, and the conformance suite pins that the two agree.

use super::agent::AgentLoad;
use super::{Permission, Timestamp};
use crate::error::{Error, Result};

impl AgentLoad {
    /// Online as of `now` (see [`super::agent::is_online`]).
    pub fn online(&self, now: Timestamp) -> bool {
        self.agent.online_at(now)
    }

    /// May this agent take one more chat: enabled, allowed to reply, under capacity.
    pub fn may_take(&self) -> Result<()> {
        if self.agent.disabled {
            return Err(Error::Conflict("That agent is disabled".into()));
        }
        if !self.agent.role.can(Permission::Reply) {
            return Err(Error::validation(
                "adminId",
                "support admins cannot take chats",
            ));
        }
        if self.active_chats >= self.agent.max_concurrent_chats {
            return Err(Error::AgentAtCapacity);
        }
        Ok(())
    }

    /// Who may take a chat nobody chose for them (auto-assignment, the count of available
    /// agents): online, and [`AgentLoad::may_take`].
    pub fn available_for_auto(&self, now: Timestamp) -> bool {
        self.online(now) && self.may_take().is_ok()
    }
}

/// Orders candidates for round robin: never assigned first, then least recently assigned.
pub fn round_robin(candidates: &mut [AgentLoad]) {
    candidates.sort_by(|a, b| {
        let (a, b) = (&a.agent, &b.agent);
        (a.last_assigned_at.is_some(), a.last_assigned_at, &a.id).cmp(&(
            b.last_assigned_at.is_some(),
            b.last_assigned_at,
            &b.id,
        ))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Role;
    use crate::domain::agent::{Agent, ONLINE_WINDOW_MS};

    fn agent(role: Role, active: i64, max: i64) -> AgentLoad {
        AgentLoad {
            agent: Agent {
                id: "a".into(),
                email: "a@example.com".into(),
                name: "A".into(),
                department: None,
                role,
                max_concurrent_chats: max,
                is_online: true,
                last_seen_at: Some(Timestamp(1_000)),
                last_assigned_at: None,
                disabled: false,
                token_version: 0,
                created_at: Timestamp(0),
                updated_at: Timestamp(0),
            },
            active_chats: active,
        }
    }

    #[test]
    fn who_may_take_a_chat() {
        assert!(agent(Role::ChatAdmin, 1, 2).may_take().is_ok());
        assert!(matches!(
            agent(Role::ChatAdmin, 2, 2).may_take(),
            Err(Error::AgentAtCapacity)
        ));
        assert!(agent(Role::SupportAdmin, 0, 2).may_take().is_err());
        let mut off = agent(Role::SuperAdmin, 0, 2);
        off.agent.disabled = true;
        assert!(off.may_take().is_err());
        assert!(
            agent(Role::ChatAdmin, 0, 2).available_for_auto(Timestamp(1_000 + ONLINE_WINDOW_MS))
        );
        assert!(
            !agent(Role::ChatAdmin, 0, 2).available_for_auto(Timestamp(1_001 + ONLINE_WINDOW_MS))
        );
    }
}
