//! Who handles a chat: assign, release, transfer, end, priority. Each runs as one write job,
//! and the writer applies jobs one at a time, so two agents grabbing the same chat at the same
//! moment cannot both win: the second sees the first's assignment and gets ALREADY_ASSIGNED.

use rusqlite::Connection;
use serde_json::json;

use super::live::{expire_if_idle, snapshot_in_tx};
use super::{AgentPrincipal, Services};
use crate::domain::text::optional_text;
use crate::domain::{EndedBy, Permission, Priority, Role, SessionStatus, Timestamp};
use crate::error::{Error, Result};
use crate::realtime::{DashboardEvent, SessionSnapshot};
use crate::store::agents::{self, AgentRow};
use crate::store::sessions::{self, EndSession, SessionRow};
use crate::store::{audit, notes};

pub const MAX_REASON_CHARS: usize = 500;
pub const MAX_TRANSFER_NOTE_CHARS: usize = 2000;

/// An active session by id, for agents (expired on the spot if it went idle).
pub(crate) fn active_session(
    conn: &Connection,
    session_id: &str,
    now: Timestamp,
    timeout_ms: i64,
) -> Result<SessionRow> {
    let mut row = sessions::get(conn, session_id)?.ok_or(Error::SessionNotFound)?;
    expire_if_idle(conn, &mut row, now, timeout_ms)?;
    super::chat::check_open(&row)?;
    Ok(row)
}

/// An agent who may take `row` now: exists, enabled, allowed to reply, under capacity.
pub(crate) fn check_can_take(conn: &Connection, agent_id: &str) -> Result<AgentRow> {
    let agent = agents::get(conn, agent_id)?.ok_or(Error::NotFound("Agent"))?;
    if agent.disabled {
        return Err(Error::Conflict("That agent is disabled".into()));
    }
    if !agent.role.can(Permission::Reply) {
        return Err(Error::validation(
            "adminId",
            "support admins cannot take chats",
        ));
    }
    if sessions::count_assigned(conn, agent_id)? >= agent.max_concurrent_chats {
        return Err(Error::AgentAtCapacity);
    }
    Ok(agent)
}

/// Assigns `row` to `agent_id` inside a transaction (capacity already checked).
pub(crate) fn assign_in_tx(
    conn: &Connection,
    row: &mut SessionRow,
    agent_id: &str,
    actor_id: Option<&str>,
    action: &str,
    now: Timestamp,
) -> Result<()> {
    sessions::set_assignment(conn, &row.id, Some(agent_id), now)?;
    agents::mark_assigned(conn, agent_id, now)?;
    audit::record(
        conn,
        now,
        actor_id,
        action,
        Some(&row.id),
        Some(&json!({"agentId": agent_id})),
    )?;
    row.assigned_agent_id = Some(agent_id.to_string());
    row.assigned_at = Some(now);
    Ok(())
}

fn announce(ctx: &Services, session_id: &str) {
    ctx.bus
        .publish(DashboardEvent::SessionDetails(session_id.into()));
    ctx.bus.publish(DashboardEvent::QueueChanged);
}

/// Assigns a chat to `target` (default: the caller). Refuses a chat someone else holds and an
/// agent at capacity.
pub async fn assign(
    ctx: &Services,
    actor: &AgentPrincipal,
    session_id: &str,
    target: Option<String>,
) -> Result<SessionRow> {
    actor.require(Permission::ManageChats)?;
    let target = target.unwrap_or_else(|| actor.id.clone());
    let (sid, actor_id, now, timeout_ms) = (
        session_id.to_string(),
        actor.id.clone(),
        ctx.clock.now(),
        ctx.session_timeout_ms(),
    );
    let row = ctx
        .store
        .write(move |conn| {
            let mut row = active_session(conn, &sid, now, timeout_ms)?;
            match row.assigned_agent_id.as_deref() {
                Some(current) if current == target => return Ok(row),
                Some(_) => return Err(Error::AlreadyAssigned),
                None => {}
            }
            check_can_take(conn, &target)?;
            assign_in_tx(conn, &mut row, &target, Some(&actor_id), "assign", now)?;
            Ok(row)
        })
        .await?;
    announce(ctx, session_id);
    Ok(row)
}

/// Puts a chat back in the queue. Only the agent holding it, or a super admin.
pub async fn release(
    ctx: &Services,
    actor: &AgentPrincipal,
    session_id: &str,
) -> Result<SessionRow> {
    actor.require(Permission::ManageChats)?;
    let (sid, actor_id, role, now) = (
        session_id.to_string(),
        actor.id.clone(),
        actor.role,
        ctx.clock.now(),
    );
    let row = ctx
        .store
        .write(move |conn| {
            let mut row = sessions::get(conn, &sid)?.ok_or(Error::SessionNotFound)?;
            let Some(holder) = row.assigned_agent_id.clone() else {
                return Ok(row);
            };
            if holder != actor_id && role != Role::SuperAdmin {
                return Err(Error::Forbidden(
                    "Only the agent handling this chat or a super admin can release it",
                ));
            }
            sessions::set_assignment(conn, &sid, None, now)?;
            audit::record(
                conn,
                now,
                Some(&actor_id),
                "release",
                Some(&sid),
                Some(&json!({"agentId": holder})),
            )?;
            row.assigned_agent_id = None;
            row.assigned_at = None;
            Ok(row)
        })
        .await?;
    announce(ctx, session_id);
    super::auto_assign::nudge_all(ctx);
    Ok(row)
}

/// Hands a chat to another agent, with an optional note kept as an internal note. The agent
/// holding it or a super admin may transfer; an unassigned chat may be transferred by anyone
/// who may assign.
pub async fn transfer(
    ctx: &Services,
    actor: &AgentPrincipal,
    session_id: &str,
    to_agent_id: &str,
    note: Option<&str>,
) -> Result<SessionRow> {
    actor.require(Permission::ManageChats)?;
    let note = optional_text("note", note, MAX_TRANSFER_NOTE_CHARS)?;
    let (sid, to, actor_id, role, now, timeout_ms) = (
        session_id.to_string(),
        to_agent_id.to_string(),
        actor.id.clone(),
        actor.role,
        ctx.clock.now(),
        ctx.session_timeout_ms(),
    );
    let row = ctx
        .store
        .write(move |conn| {
            let mut row = active_session(conn, &sid, now, timeout_ms)?;
            let from = row.assigned_agent_id.clone();
            if let Some(holder) = &from {
                if *holder == to {
                    return Ok(row);
                }
                if *holder != actor_id && role != Role::SuperAdmin {
                    return Err(Error::Forbidden(
                        "Only the agent handling this chat or a super admin can transfer it",
                    ));
                }
            }
            let target = check_can_take(conn, &to)?;
            sessions::set_assignment(conn, &sid, Some(&to), now)?;
            agents::mark_assigned(conn, &to, now)?;
            row.assigned_agent_id = Some(to.clone());
            row.assigned_at = Some(now);
            let text = match &note {
                Some(n) => format!("Transferred to {}: {n}", target.name),
                None => format!("Transferred to {}", target.name),
            };
            notes::insert(
                conn,
                &crate::domain::ids::generate("note", now.0),
                &sid,
                &actor_id,
                &text,
                now,
            )?;
            audit::record(
                conn,
                now,
                Some(&actor_id),
                "transfer",
                Some(&sid),
                Some(&json!({"from": from, "to": to, "note": note})),
            )?;
            Ok(row)
        })
        .await?;
    announce(ctx, session_id);
    Ok(row)
}

/// Ends a chat as `ended_by_admin` with a reason; the user's next poll says so. Ending an
/// ended chat answers its end data again.
pub async fn end(
    ctx: &Services,
    actor: &AgentPrincipal,
    session_id: &str,
    reason: Option<&str>,
) -> Result<SessionRow> {
    actor.require(Permission::ManageChats)?;
    let reason = optional_text("endReason", reason, MAX_REASON_CHARS)?;
    let (sid, actor_id, now, timeout_ms) = (
        session_id.to_string(),
        actor.id.clone(),
        ctx.clock.now(),
        ctx.session_timeout_ms(),
    );
    let (row, snapshot): (SessionRow, Option<SessionSnapshot>) = ctx
        .store
        .write(move |conn| {
            let mut row = sessions::get(conn, &sid)?.ok_or(Error::SessionNotFound)?;
            let expired = expire_if_idle(conn, &mut row, now, timeout_ms)?;
            if !row.status.is_active() {
                let snapshot = expired.then(|| snapshot_in_tx(conn, &row)).transpose()?;
                return Ok((row, snapshot));
            }
            sessions::end(
                conn,
                &sid,
                &EndSession {
                    status: SessionStatus::EndedByAdmin,
                    ended_by: EndedBy::Admin.as_str(),
                    agent_id: Some(&actor_id),
                    reason: reason.as_deref(),
                    at: now,
                },
            )?;
            audit::record(
                conn,
                now,
                Some(&actor_id),
                "end",
                Some(&sid),
                Some(&json!({"reason": reason})),
            )?;
            let row = sessions::get(conn, &sid)?.ok_or(Error::SessionNotFound)?;
            let snapshot = snapshot_in_tx(conn, &row)?;
            Ok((row, Some(snapshot)))
        })
        .await?;
    if let Some(snapshot) = snapshot {
        ctx.hub.publish(snapshot);
        announce(ctx, session_id);
        super::auto_assign::nudge_all(ctx);
    }
    Ok(row)
}

/// Sets (or with `None` clears) a manual priority.
pub async fn set_priority(
    ctx: &Services,
    actor: &AgentPrincipal,
    session_id: &str,
    priority: Option<Priority>,
) -> Result<SessionRow> {
    actor.require(Permission::ManageChats)?;
    let (sid, actor_id, now) = (session_id.to_string(), actor.id.clone(), ctx.clock.now());
    let row = ctx
        .store
        .write(move |conn| {
            let mut row = sessions::get(conn, &sid)?.ok_or(Error::SessionNotFound)?;
            sessions::set_priority(conn, &sid, priority)?;
            audit::record(
                conn,
                now,
                Some(&actor_id),
                "priority",
                Some(&sid),
                Some(&json!({"priority": priority.map(Priority::as_str)})),
            )?;
            row.priority_override = priority;
            Ok(row)
        })
        .await?;
    announce(ctx, session_id);
    Ok(row)
}
