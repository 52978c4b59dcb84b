//! Automatic assignment (AUTO_ASSIGN=true): waiting chats go round robin to online agents
//! under capacity, least recently assigned first. Nudges (a new chat, a user message, an agent
//! coming online, a chat released or ended) wake one background worker, which coalesces them
//! and runs one hand-out transaction. Also: chats whose agent has gone silent for
//! REASSIGN_AFTER_MINUTES go back to the queue.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::json;
use tokio::sync::Notify;
use tokio::sync::broadcast::error::RecvError;

use super::Services;
use super::assignment::assign_in_tx;
use crate::domain::Timestamp;
use crate::error::Result;
use crate::realtime::DashboardEvent;
use crate::store::{agents, audit, sessions};

/// Wakes the worker; cheap to call from any request.
#[derive(Default)]
pub struct AssignQueue {
    wake: Notify,
    /// Chats just taken away from an agent for silence: do not hand them straight back.
    exclusions: Mutex<HashMap<String, String>>,
}

pub fn nudge_all(ctx: &Services) {
    if ctx.settings.auto_assign {
        ctx.assign_queue.wake.notify_one();
    }
}

/// Runs the hand-out worker until shutdown (only when AUTO_ASSIGN is on).
pub fn spawn_worker(ctx: Arc<Services>) {
    if !ctx.settings.auto_assign {
        return;
    }
    tokio::spawn(async move {
        // Agents coming online, being disabled or changing capacity are announced on the bus.
        let mut events = ctx.bus.subscribe();
        // Chats waiting from before a restart are handed out at once.
        ctx.assign_queue.wake.notify_one();
        loop {
            tokio::select! {
                _ = ctx.shutdown.cancelled() => return,
                _ = ctx.assign_queue.wake.notified() => {}
                event = events.recv() => match event {
                    Ok(DashboardEvent::AgentsChanged) | Err(RecvError::Lagged(_)) => {}
                    Ok(_) => continue,
                    Err(RecvError::Closed) => return,
                },
            }
            if let Err(e) = hand_out(&ctx).await {
                tracing::warn!(error = %e, "auto-assignment failed");
            }
        }
    });
}

/// Assigns waiting chats (longest waiting first) to available agents in round-robin order.
/// Returns how many chats were assigned.
pub async fn hand_out(ctx: &Services) -> Result<usize> {
    let now = ctx.clock.now();
    let excluded = ctx
        .assign_queue
        .exclusions
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    let timeout_ms = ctx.session_timeout_ms();
    let assigned = ctx
        .store
        .write(move |conn| {
            let seen_after = Timestamp(now.0 - super::agents::ONLINE_WINDOW_MS);
            let mut waiting: Vec<_> = sessions::list_active(conn)?
                .into_iter()
                .filter(|s| s.assigned_agent_id.is_none())
                .filter(|s| {
                    !super::live::is_idle_expired(s.status, s.last_activity_at, now, timeout_ms)
                })
                .collect();
            waiting.sort_by_key(|s| (s.awaiting_since.is_none(), s.awaiting_since, s.created_at));
            let mut assigned = Vec::new();
            for mut session in waiting {
                // Re-read every time: each assignment changes loads and round-robin order.
                let candidates = agents::available_for_assignment(conn, seen_after)?;
                let pick = candidates
                    .iter()
                    .find(|a| excluded.get(&session.id) != Some(&a.id))
                    .map(|a| a.id.clone());
                let Some(agent_id) = pick else {
                    if candidates.is_empty() {
                        break;
                    }
                    continue;
                };
                assign_in_tx(conn, &mut session, &agent_id, None, "auto_assign", now)?;
                assigned.push(session.id);
            }
            Ok(assigned)
        })
        .await?;
    if !assigned.is_empty() {
        let mut exclusions = ctx
            .assign_queue
            .exclusions
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        for id in &assigned {
            exclusions.remove(id);
            ctx.bus
                .publish(DashboardEvent::SessionDetails(id.as_str().into()));
        }
        ctx.bus.publish(DashboardEvent::QueueChanged);
    }
    Ok(assigned.len())
}

/// Returns to the queue every chat whose user has waited longer than REASSIGN_AFTER_MINUTES
/// for the assigned agent (counted from the later of the user's message and the assignment).
pub async fn reassign_silent(ctx: &Services) -> Result<usize> {
    let Some(after) = ctx.settings.reassign_after else {
        return Ok(0);
    };
    let after_ms = i64::try_from(after.as_millis()).unwrap_or(i64::MAX);
    let now = ctx.clock.now();
    let released = ctx
        .store
        .write(move |conn| {
            let mut released = Vec::new();
            for session in sessions::list_active(conn)? {
                let (Some(agent), Some(waiting)) =
                    (&session.assigned_agent_id, session.awaiting_since)
                else {
                    continue;
                };
                let since = waiting.max(session.assigned_at.unwrap_or(waiting));
                if now.0 - since.0 < after_ms {
                    continue;
                }
                sessions::set_assignment(conn, &session.id, None, now)?;
                audit::record(
                    conn,
                    now,
                    None,
                    "auto_release",
                    Some(&session.id),
                    Some(&json!({"agentId": agent, "silentMinutes": (now.0 - since.0) / 60_000})),
                )?;
                released.push((session.id.clone(), agent.clone()));
            }
            Ok(released)
        })
        .await?;
    if !released.is_empty() {
        let mut exclusions = ctx
            .assign_queue
            .exclusions
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        for (session_id, agent_id) in &released {
            exclusions.insert(session_id.clone(), agent_id.clone());
            ctx.bus
                .publish(DashboardEvent::SessionDetails(session_id.as_str().into()));
        }
        drop(exclusions);
        ctx.bus.publish(DashboardEvent::QueueChanged);
        nudge_all(ctx);
    }
    Ok(released.len())
}
