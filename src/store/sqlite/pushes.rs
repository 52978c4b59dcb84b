//! The `push_tokens` and `push_outbox` tables.

use rusqlite::{Connection, params};

use crate::domain::{SessionOwner, Timestamp};
use crate::error::Result;
use crate::store::export::{PushDevice, PushNotice};
use crate::store::outbox::{AttemptResult, NewPush, QueuedPush};

pub fn register(
    conn: &Connection,
    owner: &SessionOwner,
    token: &str,
    platform: &str,
    max_per_user: usize,
    now: Timestamp,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO push_tokens (token, user_id, is_guest, platform, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5)
         ON CONFLICT (token) DO UPDATE SET user_id = ?2, is_guest = ?3, platform = ?4, updated_at = ?5",
    )?
    .execute(params![token, &*owner.user_id, owner.is_guest, platform, now])?;
    conn.prepare_cached(
        "DELETE FROM push_tokens WHERE user_id = ?1 AND is_guest = ?2 AND token NOT IN
             (SELECT token FROM push_tokens WHERE user_id = ?1 AND is_guest = ?2
              ORDER BY updated_at DESC, token LIMIT ?3)",
    )?
    .execute(params![
        &*owner.user_id,
        owner.is_guest,
        max_per_user as i64
    ])?;
    Ok(())
}

pub fn forget(conn: &Connection, token: &str) -> Result<()> {
    conn.prepare_cached("DELETE FROM push_tokens WHERE token = ?1")?
        .execute([token])?;
    conn.prepare_cached(
        "UPDATE push_outbox SET status = 'failed', last_error = 'the device is unregistered'
         WHERE token = ?1 AND status = 'pending'",
    )?
    .execute([token])?;
    Ok(())
}

/// One pending push per device of the push's user.
pub fn queue(conn: &Connection, p: &NewPush, now: Timestamp) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR IGNORE INTO push_outbox
             (token, session_id, message_id, title, body, next_attempt_at, created_at)
         SELECT token, ?3, ?4, ?5, ?6, ?7, ?7 FROM push_tokens WHERE user_id = ?1 AND is_guest = ?2",
    )?
    .execute(params![
        &*p.owner.user_id,
        p.owner.is_guest,
        p.session_id,
        p.message_id,
        p.title,
        p.body,
        now
    ])?;
    Ok(())
}

pub fn due(conn: &Connection, now: Timestamp, limit: usize) -> Result<Vec<QueuedPush>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, token, session_id, message_id, title, body, attempts, created_at
         FROM push_outbox WHERE status = 'pending' AND next_attempt_at <= ?1
         ORDER BY next_attempt_at, id LIMIT ?2",
    )?;
    let rows = stmt
        .query_map(params![now, limit as i64], |r| {
            Ok(QueuedPush {
                id: r.get(0)?,
                token: r.get(1)?,
                session_id: r.get(2)?,
                message_id: r.get(3)?,
                title: r.get(4)?,
                body: r.get(5)?,
                attempts: r.get(6)?,
                created_at: r.get(7)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

pub fn record_attempt(conn: &Connection, id: i64, r: &AttemptResult) -> Result<()> {
    let status = match (&r.error, r.retry_at) {
        (None, _) => "sent",
        (Some(_), Some(_)) => "pending",
        (Some(_), None) => "failed",
    };
    conn.prepare_cached(
        "UPDATE push_outbox SET status = ?2, attempts = attempts + 1,
             next_attempt_at = COALESCE(?3, next_attempt_at), last_error = ?4
         WHERE id = ?1 AND status = 'pending'",
    )?
    .execute(params![id, status, r.retry_at, r.error])?;
    Ok(())
}

/// The devices registered to `user_id` (in one namespace, or both when `is_guest` is `None`).
pub fn devices_of(
    conn: &Connection,
    user_id: &str,
    is_guest: Option<bool>,
) -> Result<Vec<PushDevice>> {
    let mut stmt = conn.prepare_cached(
        "SELECT token, platform, is_guest, created_at, updated_at FROM push_tokens
         WHERE user_id = ?1 AND (?2 IS NULL OR is_guest = ?2) ORDER BY created_at, token",
    )?;
    let rows = stmt
        .query_map(params![user_id, is_guest], |r| {
            Ok(PushDevice {
                token: r.get(0)?,
                platform: r.get(1)?,
                is_guest: r.get(2)?,
                created_at: r.get(3)?,
                updated_at: r.get(4)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// The pushes queued about session `session_id`, oldest first.
pub fn notices_about(conn: &Connection, session_id: &str) -> Result<Vec<PushNotice>> {
    let mut stmt = conn.prepare_cached(
        "SELECT session_id, message_id, title, body, status, created_at FROM push_outbox
         WHERE session_id = ?1 ORDER BY id",
    )?;
    let rows = stmt
        .query_map([session_id], |r| {
            Ok(PushNotice {
                session_id: r.get(0)?,
                message_id: r.get(1)?,
                title: r.get(2)?,
                body: r.get(3)?,
                status: r.get(4)?,
                created_at: r.get(5)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}
