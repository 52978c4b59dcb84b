//! Who may take a chat, written once. Manual assignment, transfer, assign-on-reply and
//! auto-assignment all load an [`AgentLoad`] and ask it; the store's guarded update of the
//! agent's row (`disabled = 0 AND role <> 'support_admin' AND active_chats <
//! max_concurrent_chats`) mirrors [`AgentLoad::may_take`] so that two writers cannot both
//! squeeze past it, and the conformance suite pins that the two agree.

use super::{Permission, Role, Timestamp};
use crate::error::{Error, Result};

/// An agent counts as online when they said so and were seen within this window.
pub const ONLINE_WINDOW_MS: i64 = 120_000;

/// Online means: said so, not disabled, and seen within [`ONLINE_WINDOW_MS`] of `now`.
pub fn is_online(
    said_online: bool,
    disabled: bool,
    last_seen_at: Option<Timestamp>,
    now: Timestamp,
) -> bool {
    said_online && !disabled && last_seen_at.is_some_and(|seen| now.0 - seen.0 <= ONLINE_WINDOW_MS)
}

/// What the rule needs to know about an agent, with the load kept under the agent's row.
#[derive(Clone, Debug)]
pub struct AgentLoad {
    pub id: String,
    pub name: String,
    pub role: Role,
    pub disabled: bool,
    pub is_online: bool,
    pub last_seen_at: Option<Timestamp>,
    pub last_assigned_at: Option<Timestamp>,
    pub max_concurrent_chats: i64,
    /// Active chats assigned to the agent now.
    pub active_chats: i64,
}

impl AgentLoad {
    /// Online as of `now` (see [`is_online`]).
    pub fn online(&self, now: Timestamp) -> bool {
        is_online(self.is_online, self.disabled, self.last_seen_at, now)
    }

    /// May this agent take one more chat: enabled, allowed to reply, under capacity.
    pub fn may_take(&self) -> Result<()> {
        if self.disabled {
            return Err(Error::Conflict("That agent is disabled".into()));
        }
        if !self.role.can(Permission::Reply) {
            return Err(Error::validation(
                "adminId",
                "support admins cannot take chats",
            ));
        }
        if self.active_chats >= self.max_concurrent_chats {
            return Err(Error::AgentAtCapacity);
        }
        Ok(())
    }

    /// Auto-assignment also wants the agent online.
    pub fn available_for_auto(&self, now: Timestamp) -> bool {
        self.online(now) && self.may_take().is_ok()
    }
}

/// Orders candidates for round robin: never assigned first, then least recently assigned.
pub fn round_robin(candidates: &mut [AgentLoad]) {
    candidates.sort_by(|a, b| {
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

    fn agent(role: Role, active: i64, max: i64) -> AgentLoad {
        AgentLoad {
            id: "a".into(),
            name: "A".into(),
            role,
            disabled: false,
            is_online: true,
            last_seen_at: Some(Timestamp(1_000)),
            last_assigned_at: None,
            max_concurrent_chats: max,
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
        off.disabled = true;
        assert!(off.may_take().is_err());
        assert!(
            agent(Role::ChatAdmin, 0, 2).available_for_auto(Timestamp(1_000 + ONLINE_WINDOW_MS))
        );
        assert!(
            !agent(Role::ChatAdmin, 0, 2).available_for_auto(Timestamp(1_001 + ONLINE_WINDOW_MS))
        );
    }
}
