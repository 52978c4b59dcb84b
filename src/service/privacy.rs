//! Privacy requests: erasing everything stored about one person, asked by a super admin (the
//! admin API), by the person themselves (their own token) or at the command line. Counts go
//! to the audit log; what was said does not.

use super::{AgentPrincipal, Services};
use crate::auth::UserPrincipal;
use crate::domain::{Permission, SessionOwner};
use crate::error::Result;
use crate::realtime::DashboardEvent;
use crate::store::lifecycle::{ErasureBy, Removal};

/// A super admin erases the person `owner`.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"), fields(agent_id = %actor.id))]
pub async fn erase_person(
    ctx: &Services,
    actor: &AgentPrincipal,
    owner: SessionOwner,
) -> Result<Removal> {
    actor.require(Permission::PrivacyRequests)?;
    erase(ctx, owner, ErasureBy::Agent(actor.id.clone())).await
}

/// A person erases themselves.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn erase_me(ctx: &Services, user: &UserPrincipal) -> Result<Removal> {
    erase(ctx, user.owner(), ErasureBy::Themselves).await
}

/// The command line erases the person `owner` (whoever runs it owns the server).
pub async fn erase_from_command_line(ctx: &Services, owner: SessionOwner) -> Result<Removal> {
    erase(ctx, owner, ErasureBy::CommandLine).await
}

async fn erase(ctx: &Services, owner: SessionOwner, by: ErasureBy) -> Result<Removal> {
    let removal = ctx.store.erase_person(owner, by, ctx.clock.now()).await?;
    forget_live(ctx, &removal.session_ids);
    Ok(removal)
}

/// Wakes whoever watches deleted chats (polls and streams see an end; an open chat view
/// reloads and finds nothing) and refreshes the queue.
pub(super) fn forget_live(ctx: &Services, session_ids: &[String]) {
    if session_ids.is_empty() {
        return;
    }
    for id in session_ids {
        ctx.hub.end_removed(id);
        ctx.relay.removed(id);
        ctx.bus
            .publish(DashboardEvent::SessionDetails(id.as_str().into()));
    }
    ctx.bus.publish(DashboardEvent::QueueChanged);
}
