//! Who handles a chat: assign, release, transfer, end, priority. The store makes each one unit
//! of work whose guarantee holds with concurrent writers: of any number of agents grabbing the
//! same chat at once exactly one wins (the rest get ALREADY_ASSIGNED), and no agent goes over
//! capacity.

use super::live::{self, idle_rule};
use super::{AgentPrincipal, Services};
use crate::domain::session::Session;
use crate::domain::text::optional_text;
use crate::domain::{Permission, Priority, Role};
use crate::error::Result;
use crate::realtime::DashboardEvent;
use crate::store::chats::{Actor, AssignRequest, TransferRequest};

pub const MAX_REASON_CHARS: usize = 500;
pub const MAX_TRANSFER_NOTE_CHARS: usize = 2000;

fn announce(ctx: &Services, session_id: &str) {
    ctx.bus
        .publish(DashboardEvent::SessionDetails(session_id.into()));
    ctx.bus.publish(DashboardEvent::QueueChanged);
}

fn actor_of(actor: &AgentPrincipal) -> Actor {
    Actor {
        id: actor.id.clone(),
        overrides: actor.role == Role::SuperAdmin,
    }
}

/// Assigns a chat to `target` (default: the caller). Refuses a chat someone else holds and an
/// agent at capacity.
#[tracing::instrument(level = "debug", 
    skip_all,
    err(level = "debug"),
    fields(agent_id = %actor.id, session_id = %session_id)
)]
pub async fn assign(
    ctx: &Services,
    actor: &AgentPrincipal,
    session_id: &str,
    target: Option<String>,
) -> Result<Session> {
    actor.require(Permission::ManageChats)?;
    let row = ctx
        .store
        .assign(AssignRequest {
            session_id: session_id.to_string(),
            agent_id: target.unwrap_or_else(|| actor.id.clone()),
            actor_id: Some(actor.id.clone()),
            now: ctx.clock.now(),
            idle: idle_rule(ctx),
        })
        .await?;
    announce(ctx, session_id);
    Ok(row)
}

/// Puts a chat back in the queue. Only the agent holding it, or a super admin.
#[tracing::instrument(level = "debug", 
    skip_all,
    err(level = "debug"),
    fields(agent_id = %actor.id, session_id = %session_id)
)]
pub async fn release(ctx: &Services, actor: &AgentPrincipal, session_id: &str) -> Result<Session> {
    actor.require(Permission::ManageChats)?;
    let row = ctx
        .store
        .release(session_id.to_string(), actor_of(actor), ctx.clock.now())
        .await?;
    announce(ctx, session_id);
    Ok(row)
}

/// Hands a chat to another agent, with an optional note kept as an internal note. The agent
/// holding it or a super admin may transfer; an unassigned chat may be transferred by anyone
/// who may assign.
#[tracing::instrument(level = "debug", 
    skip_all,
    err(level = "debug"),
    fields(agent_id = %actor.id, session_id = %session_id, to_agent_id = %to_agent_id)
)]
pub async fn transfer(
    ctx: &Services,
    actor: &AgentPrincipal,
    session_id: &str,
    to_agent_id: &str,
    note: Option<&str>,
) -> Result<Session> {
    actor.require(Permission::ManageChats)?;
    let note = optional_text("note", note, MAX_TRANSFER_NOTE_CHARS)?;
    let now = ctx.clock.now();
    let row = ctx
        .store
        .transfer(TransferRequest {
            session_id: session_id.to_string(),
            to_agent_id: to_agent_id.to_string(),
            actor: actor_of(actor),
            note,
            note_id: crate::domain::ids::generate("note", now.0),
            now,
            idle: idle_rule(ctx),
        })
        .await?;
    announce(ctx, session_id);
    Ok(row)
}

/// Ends a chat as `ended_by_admin` with a reason; the user's next poll says so. Ending an
/// ended chat answers its end data again.
#[tracing::instrument(level = "debug", 
    skip_all,
    err(level = "debug"),
    fields(agent_id = %actor.id, session_id = %session_id)
)]
pub async fn end(
    ctx: &Services,
    actor: &AgentPrincipal,
    session_id: &str,
    reason: Option<&str>,
) -> Result<Session> {
    actor.require(Permission::ManageChats)?;
    let reason = optional_text("endReason", reason, MAX_REASON_CHARS)?;
    let outcome = ctx
        .store
        .end_by_agent(
            session_id.to_string(),
            actor.id.clone(),
            reason,
            ctx.clock.now(),
            idle_rule(ctx),
        )
        .await?;
    if outcome.changed {
        live::publish(ctx, &outcome.state);
        announce(ctx, session_id);
    }
    Ok(outcome.state.session)
}

/// Sets (or with `None` clears) a manual priority.
#[tracing::instrument(level = "debug", 
    skip_all,
    err(level = "debug"),
    fields(agent_id = %actor.id, session_id = %session_id)
)]
pub async fn set_priority(
    ctx: &Services,
    actor: &AgentPrincipal,
    session_id: &str,
    priority: Option<Priority>,
) -> Result<Session> {
    actor.require(Permission::ManageChats)?;
    let row = ctx
        .store
        .set_priority(
            session_id.to_string(),
            actor.id.clone(),
            priority,
            ctx.clock.now(),
        )
        .await?;
    announce(ctx, session_id);
    Ok(row)
}
