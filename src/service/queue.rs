//! The live queue: every active chat with how long its user has waited, its priority tier and
//! who has it, most urgent first; and the headline numbers agents watch.

use super::live::idle_rule;
use super::{AgentPrincipal, Services};
use crate::domain::label::Label;
use crate::domain::session::ActiveSession;
use crate::domain::{Permission, Priority, Timestamp};
use crate::error::Result;
use crate::realtime::LiveState;

/// One chat in the live queue.
#[derive(Clone, Debug)]
pub struct QueueEntry {
    pub row: ActiveSession,
    /// The user is waiting for an answer (their newest messages are unanswered).
    pub awaiting_reply: bool,
    /// Seconds since the oldest unanswered user message (0 when nobody waits).
    pub waiting_seconds: i64,
    /// The tier from the wait alone, before any manual override.
    pub wait_priority: Priority,
    /// What the queue sorts by: the manual override, else the wait tier.
    pub priority: Priority,
    pub seconds_since_activity: i64,
    /// The assigned agent is online.
    pub agent_active: bool,
    pub user_typing: bool,
    /// The chat's labels, by name.
    pub labels: Vec<Label>,
}

/// Active chats, most urgent first; within a tier, the longest waiting first. With
/// `label_id`, only the chats that carry that label.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"), fields(agent_id = %actor.id))]
pub async fn active_sessions(
    ctx: &Services,
    actor: &AgentPrincipal,
    label_id: Option<&str>,
) -> Result<Vec<QueueEntry>> {
    actor.require(Permission::ViewChats)?;
    let now = ctx.clock.now();
    let online_agents = online_agent_ids(ctx, now).await?;
    let rows = ctx.store.active_sessions().await?;
    let mut chat_labels = ctx.store.active_chat_labels().await?;
    let idle = idle_rule(ctx);
    let mut entries: Vec<QueueEntry> = rows
        .into_iter()
        .filter(|r| {
            !idle.is_expired(
                r.session.channel,
                r.session.status,
                r.session.last_activity_at,
                now,
            )
        })
        .map(|row| {
            let labels = take_labels(&mut chat_labels, &row.session.id);
            let waiting_seconds = row
                .session
                .awaiting_since
                .map_or(0, |t| t.seconds_until(now));
            let wait_priority = ctx.settings.priority.from_wait(waiting_seconds);
            let user_typing = ctx
                .hub
                .get(&row.session.id)
                .is_some_and(|cell| LiveState::user_typing(&cell.state(), now));
            QueueEntry {
                awaiting_reply: row.session.awaiting_since.is_some(),
                waiting_seconds,
                wait_priority,
                priority: row.session.priority_override.unwrap_or(wait_priority),
                seconds_since_activity: row.session.last_activity_at.seconds_until(now),
                agent_active: row
                    .session
                    .assigned_agent_id
                    .as_ref()
                    .is_some_and(|id| online_agents.contains(id)),
                user_typing,
                labels,
                row,
            }
        })
        .filter(|e| label_id.is_none_or(|wanted| e.labels.iter().any(|l| l.id == wanted)))
        .collect();
    entries.sort_by(|a, b| {
        b.priority
            .cmp(&a.priority)
            .then(b.awaiting_reply.cmp(&a.awaiting_reply))
            .then(b.waiting_seconds.cmp(&a.waiting_seconds))
            .then(a.row.session.created_at.cmp(&b.row.session.created_at))
    });
    Ok(entries)
}

/// Takes this chat's labels out of `all` (which is by chat id).
fn take_labels(all: &mut Vec<crate::store::labels::ChatLabel>, session_id: &str) -> Vec<Label> {
    let start = all.partition_point(|c| c.session_id.as_str() < session_id);
    let end = start + all[start..].partition_point(|c| c.session_id == session_id);
    all.drain(start..end).map(|c| c.label).collect()
}

/// `GET /api/admin/stats`.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    pub total_active_sessions: i64,
    pub sessions_waiting_for_response: i64,
    /// High and urgent chats.
    pub high_priority_sessions: i64,
    pub online_admins: i64,
    /// Mean first response, in seconds, of chats first answered today (UTC); null if none.
    pub average_response_time: Option<i64>,
    /// Agent messages sent today (UTC).
    pub messages_handled_today: i64,
}

/// Figures of now, as [`stats`] defines them, for the metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LiveCounts {
    /// Active chats not silent past the session timeout.
    pub active: usize,
    /// Those whose user waits for an answer.
    pub waiting: usize,
    pub agents_online: usize,
}

/// The live counts; no actor, as a metrics scrape is authorised by its own token.
pub async fn live_counts(ctx: &Services) -> Result<LiveCounts> {
    let now = ctx.clock.now();
    let idle = idle_rule(ctx);
    let rows = ctx.store.active_sessions().await?;
    let mut counts = LiveCounts {
        agents_online: online_agent_ids(ctx, now).await?.len(),
        ..LiveCounts::default()
    };
    for row in rows.iter().filter(|r| {
        !idle.is_expired(
            r.session.channel,
            r.session.status,
            r.session.last_activity_at,
            now,
        )
    }) {
        counts.active += 1;
        if row.session.awaiting_since.is_some() {
            counts.waiting += 1;
        }
    }
    Ok(counts)
}

/// Ids of the agents online now.
async fn online_agent_ids(ctx: &Services, now: Timestamp) -> Result<Vec<String>> {
    Ok(ctx
        .store
        .agents()
        .await?
        .into_iter()
        .filter(|a| a.online(now))
        .map(|a| a.agent.id)
        .collect())
}

#[tracing::instrument(level = "debug", skip_all, err(level = "debug"), fields(agent_id = %actor.id))]
pub async fn stats(ctx: &Services, actor: &AgentPrincipal) -> Result<Stats> {
    let queue = active_sessions(ctx, actor, None).await?;
    let now = ctx.clock.now();
    let day_start = Timestamp(now.0 - now.0.rem_euclid(86_400_000));
    let online = online_agent_ids(ctx, now).await?.len() as i64;
    let figures = ctx.store.day_figures(day_start, now).await?;
    Ok(Stats {
        total_active_sessions: queue.len() as i64,
        sessions_waiting_for_response: queue.iter().filter(|e| e.awaiting_reply).count() as i64,
        high_priority_sessions: queue
            .iter()
            .filter(|e| e.priority >= Priority::High)
            .count() as i64,
        online_admins: online,
        average_response_time: figures.average_first_response,
        messages_handled_today: figures.agent_messages,
    })
}
