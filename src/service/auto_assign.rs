//! Automatic assignment (AUTO_ASSIGN=true): waiting chats go round robin to online agents
//! who may take them, least recently assigned first. The worker listens on the event bus and
//! runs one hand-out on every `QueueChanged` (a new chat, a user message, a chat released or
//! ended) and `AgentsChanged` (an agent online or offline, disabled, capacity changed),
//! coalescing bursts. Also: chats whose agent has gone silent for REASSIGN_AFTER_MINUTES go
//! back to the queue.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::broadcast::error::RecvError;

use super::Services;
use super::live::idle_rule;
use crate::error::Result;
use crate::realtime::DashboardEvent;

/// State the worker keeps between runs.
#[derive(Default)]
pub struct AssignQueue {
    /// Chats just taken away from an agent for silence: do not hand them straight back.
    exclusions: Mutex<HashMap<String, String>>,
}

/// True for the events after which a waiting chat may find an agent.
fn wakes(event: &DashboardEvent) -> bool {
    matches!(
        event,
        DashboardEvent::QueueChanged | DashboardEvent::AgentsChanged
    )
}

/// Runs the hand-out worker until shutdown (only when AUTO_ASSIGN is on).
pub fn spawn_worker(ctx: Arc<Services>) {
    if !ctx.settings.auto_assign {
        return;
    }
    // Subscribed before the task starts, so no event published after start-up is missed.
    let mut events = ctx.bus.subscribe();
    tokio::spawn(async move {
        // Chats waiting from before a restart are handed out at once.
        let mut run = true;
        loop {
            if run && let Err(e) = hand_out(&ctx).await {
                tracing::warn!(error = %e, "auto-assignment failed");
            }
            let event = tokio::select! {
                _ = ctx.shutdown.cancelled() => return,
                event = events.recv() => event,
            };
            run = match event {
                Ok(event) => wakes(&event),
                // Missed some: one run covers whatever they were.
                Err(RecvError::Lagged(_)) => true,
                Err(RecvError::Closed) => return,
            };
            // Coalesce a burst into one run.
            loop {
                match events.try_recv() {
                    Ok(event) => run |= wakes(&event),
                    Err(tokio::sync::broadcast::error::TryRecvError::Lagged(_)) => run = true,
                    Err(_) => break,
                }
            }
        }
    });
}

/// Assigns waiting chats (longest waiting first) to available agents in round-robin order.
/// Returns how many chats were assigned.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn hand_out(ctx: &Services) -> Result<usize> {
    let excluded = ctx
        .assign_queue
        .exclusions
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    let assigned = ctx
        .store
        .auto_assign(ctx.clock.now(), excluded, idle_rule(ctx))
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
        drop(exclusions);
        ctx.bus.publish(DashboardEvent::QueueChanged);
    }
    Ok(assigned.len())
}

/// Returns to the queue every chat whose user has waited longer than REASSIGN_AFTER_MINUTES
/// for the assigned agent (counted from the later of the user's message and the assignment).
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn reassign_silent(ctx: &Services) -> Result<usize> {
    let Some(after) = ctx.settings.reassign_after else {
        return Ok(0);
    };
    let after_ms = i64::try_from(after.as_millis()).unwrap_or(i64::MAX);
    let released = ctx.store.release_silent(ctx.clock.now(), after_ms).await?;
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
        // The queue changed: the worker hands the chats to someone else.
        ctx.bus.publish(DashboardEvent::QueueChanged);
    }
    Ok(released.len())
}
