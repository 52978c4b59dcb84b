//! Keeping the hub in step with the database: snapshots are built from committed rows (inside
//! the writing transaction, or by a read on a hub miss) and published after commit.
//! Also the one rule for idle expiry, so every path agrees on when a session is over.

use std::sync::Arc;

use rusqlite::Connection;

use super::Services;
use crate::domain::{SessionStatus, Timestamp};
use crate::error::Result;
use crate::realtime::{SessionCell, SessionSnapshot};
use crate::store::messages;
use crate::store::sessions::{self, EndSession, SessionRow};

/// True when an active session has been silent for longer than the timeout.
pub fn is_idle_expired(
    status: SessionStatus,
    last_activity: Timestamp,
    now: Timestamp,
    timeout_ms: i64,
) -> bool {
    status.is_active() && now.0.saturating_sub(last_activity.0) > timeout_ms
}

/// The status as of `now`: an active session silent past the timeout reads as expired even
/// before the sweeper has written it down.
pub fn effective_status(
    status: SessionStatus,
    last_activity: Timestamp,
    now: Timestamp,
    timeout_ms: i64,
) -> SessionStatus {
    if is_idle_expired(status, last_activity, now, timeout_ms) {
        SessionStatus::Expired
    } else {
        status
    }
}

/// What we tell users about an expired session.
pub fn expiry_reason(timeout_ms: i64) -> String {
    format!(
        "Session expired after {} minutes without messages",
        timeout_ms / 60_000
    )
}

/// Inside a write job: if `row` is idle past the timeout, end it as expired (at the moment it
/// went quiet) and return the updated row.
pub fn expire_if_idle(
    conn: &Connection,
    row: &mut SessionRow,
    now: Timestamp,
    timeout_ms: i64,
) -> Result<bool> {
    if !is_idle_expired(row.status, row.last_activity_at, now, timeout_ms) {
        return Ok(false);
    }
    let at = row.last_activity_at.plus_millis(timeout_ms);
    let reason = expiry_reason(timeout_ms);
    sessions::end(
        conn,
        &row.id,
        &EndSession {
            status: SessionStatus::Expired,
            ended_by: "system",
            agent_id: None,
            reason: Some(&reason),
            at,
        },
    )?;
    row.status = SessionStatus::Expired;
    row.ended_at = Some(at);
    row.ended_by = Some("system".into());
    row.end_reason = Some(reason);
    row.awaiting_since = None;
    Ok(true)
}

/// A snapshot from a session row and its newest message.
pub fn snapshot_of(row: &SessionRow, latest: Option<(i64, &str)>) -> SessionSnapshot {
    SessionSnapshot {
        session_id: Arc::from(row.id.as_str()),
        owner: Arc::from(row.user_id.as_str()),
        status: row.status,
        end_reason: row.end_reason.as_deref().map(Arc::from),
        last_seq: latest.map_or(0, |(seq, _)| seq),
        last_message_id: latest.map(|(_, id)| Arc::from(id)),
        last_activity: row.last_activity_at,
        agent_read_seq: row.agent_read_seq,
    }
}

/// A snapshot of `row` with its newest message, read on the same connection (inside a write
/// job, so it is exactly what that transaction commits).
pub fn snapshot_in_tx(conn: &Connection, row: &SessionRow) -> Result<SessionSnapshot> {
    let latest = messages::latest(conn, &row.id)?;
    Ok(snapshot_of(
        row,
        latest.as_ref().map(|(s, id)| (*s, id.as_str())),
    ))
}

/// Reads a full snapshot by session id; `None` when there is no such session.
pub fn load_snapshot(conn: &Connection, session_id: &str) -> Result<Option<SessionSnapshot>> {
    sessions::get(conn, session_id)?
        .map(|row| snapshot_in_tx(conn, &row))
        .transpose()
}

/// The session's cell: from the hub, or loaded from the database on a miss. `None` when the
/// session does not exist.
pub async fn cell(ctx: &Services, session_id: &str) -> Result<Option<Arc<SessionCell>>> {
    if let Some(cell) = ctx.hub.get(session_id) {
        return Ok(Some(cell));
    }
    let id = session_id.to_string();
    let loaded = ctx.store.read(move |conn| load_snapshot(conn, &id)).await?;
    Ok(loaded.map(|snapshot| ctx.hub.publish(snapshot)))
}
