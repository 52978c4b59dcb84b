//! Keeping the hub in step with the database: snapshots are built from the committed session
//! states the store answers (inside the writing unit of work, or by a read on a hub miss) and
//! published after commit.

use std::sync::Arc;

use super::Services;
use crate::auth::UserPrincipal;
use crate::domain::session::{IdleRule, SessionState};
use crate::domain::{Channel, SessionOwner, SessionStatus, Timestamp};
use crate::error::{Error, Result};
use crate::realtime::{SessionCell, SessionSnapshot};

/// The idle-expiry rule as configured.
pub fn idle_rule(ctx: &Services) -> IdleRule {
    IdleRule {
        timeout_ms: ctx.session_timeout_ms(),
    }
}

/// The status as of `now` under the configured idle rule.
pub fn effective_status(
    channel: Channel,
    status: SessionStatus,
    last_activity: Timestamp,
    now: Timestamp,
    timeout_ms: i64,
) -> SessionStatus {
    IdleRule { timeout_ms }.effective_status(channel, status, last_activity, now)
}

/// What we tell users about an expired session.
pub fn expiry_reason(timeout_ms: i64) -> String {
    IdleRule { timeout_ms }.reason()
}

/// A hub snapshot of a committed session state.
pub fn snapshot_of(state: &SessionState) -> SessionSnapshot {
    let row = &state.session;
    SessionSnapshot {
        session_id: Arc::from(row.id.as_str()),
        owner: SessionOwner::of(row),
        channel: row.channel,
        status: row.status,
        end_reason: row.end_reason.as_deref().map(Arc::from),
        last_seq: state.tip.as_ref().map_or(0, |t| t.seq),
        last_message_id: state.tip.as_ref().map(|t| Arc::from(t.id.as_str())),
        last_activity: row.last_activity_at,
        agent_read_seq: row.agent_read_seq,
    }
}

/// Publishes a committed session state to the hub, and tells the other replicas.
pub fn publish(ctx: &Services, state: &SessionState) -> Arc<SessionCell> {
    ctx.relay.session_changed(&state.session.id);
    ctx.hub.publish(snapshot_of(state))
}

/// The session's live cell if it is the user's; another user's session answers like a missing
/// one.
pub async fn owned_cell(
    ctx: &Services,
    user: &UserPrincipal,
    session_id: &str,
) -> Result<Arc<SessionCell>> {
    let cell = cell(ctx, session_id).await?.ok_or(Error::SessionNotFound)?;
    if !user.is(&cell.state().snapshot.owner) {
        return Err(Error::SessionNotFound);
    }
    Ok(cell)
}

/// The session's cell: from the hub, or loaded from the database on a miss. `None` when the
/// session does not exist.
pub async fn cell(ctx: &Services, session_id: &str) -> Result<Option<Arc<SessionCell>>> {
    if let Some(cell) = ctx.hub.get(session_id) {
        return Ok(Some(cell));
    }
    // A load is no change: this replica's hub only.
    let loaded = ctx.store.session_state(session_id.to_string()).await?;
    Ok(loaded.map(|state| ctx.hub.publish(snapshot_of(&state))))
}
