//! Who is online: signing in marks an agent online, agents set their own status. Every change
//! is announced (after commit) so the queue redraws and auto-assignment looks again.

use super::principal::AgentPrincipal;
use super::view::AgentView;
use crate::domain::agent::Agent;
use crate::error::Result;
use crate::realtime::DashboardEvent;
use crate::service::Services;

/// Marks an agent online after signing in and records `how` in the audit log.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"), fields(agent_id = %agent.id))]
pub async fn mark_signed_in(ctx: &Services, agent: &Agent, how: &'static str) -> Result<AgentView> {
    let now = ctx.clock.now();
    let load = ctx
        .store
        .set_agent_online(&agent.id, true, how, now)
        .await?;
    announce(ctx);
    Ok(AgentView::at(load, now))
}

/// Sets the caller's own online flag.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"), fields(agent_id = %actor.id))]
pub async fn set_status(ctx: &Services, actor: &AgentPrincipal, online: bool) -> Result<AgentView> {
    let now = ctx.clock.now();
    let action = if online {
        "status_online"
    } else {
        "status_offline"
    };
    let load = ctx
        .store
        .set_agent_online(&actor.id, online, action, now)
        .await?;
    announce(ctx);
    Ok(AgentView::at(load, now))
}

/// Signs the caller out of the admin API: offline, and every bearer token of theirs issued
/// before (the one this request came with included) stops working on its next use, because
/// each request compares the token's version with the agent row it already loads.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"), fields(agent_id = %actor.id))]
pub async fn sign_out(ctx: &Services, actor: &AgentPrincipal) -> Result<AgentView> {
    let now = ctx.clock.now();
    let load = ctx.store.sign_out_agent(&actor.id, now).await?;
    announce(ctx);
    Ok(AgentView::at(load, now))
}

/// Tells the dashboard and auto-assignment that who is available may have changed.
pub fn announce(ctx: &Services) {
    ctx.bus.publish(DashboardEvent::QueueChanged);
    ctx.bus.publish(DashboardEvent::AgentsChanged);
}
