//! The `dashboard_sessions` table: signed-in dashboard browsers. Only a SHA-256 of the cookie
//! value is stored, so a copy of the database does not sign anyone in.

use rusqlite::{Connection, OptionalExtension, params};

use crate::domain::Timestamp;
use crate::error::Result;

use crate::domain::dashboard_session::DashboardSessionRecord;

pub fn insert(conn: &Connection, row: &DashboardSessionRecord) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO dashboard_sessions (token_hash, agent_id, csrf_token, created_at, last_seen_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![row.token_hash, row.agent_id, row.csrf_token, row.created_at, row.last_seen_at])?;
    Ok(())
}

pub fn get(conn: &Connection, token_hash: &str) -> Result<Option<DashboardSessionRecord>> {
    Ok(conn
        .prepare_cached(
            "SELECT token_hash, agent_id, csrf_token, created_at, last_seen_at FROM dashboard_sessions
             WHERE token_hash = ?1",
        )?
        .query_row([token_hash], |r| {
            Ok(DashboardSessionRecord {
                token_hash: r.get(0)?,
                agent_id: r.get(1)?,
                csrf_token: r.get(2)?,
                created_at: r.get(3)?,
                last_seen_at: r.get(4)?,
            })
        })
        .optional()?)
}

/// Moves `last_seen_at` forward; an older time is ignored.
pub fn touch(conn: &Connection, token_hash: &str, at: Timestamp) -> Result<()> {
    conn.prepare_cached(
        "UPDATE dashboard_sessions SET last_seen_at = ?2 WHERE token_hash = ?1 AND last_seen_at < ?2",
    )?
        .execute(params![token_hash, at])?;
    Ok(())
}

pub fn delete(conn: &Connection, token_hash: &str) -> Result<()> {
    conn.prepare_cached("DELETE FROM dashboard_sessions WHERE token_hash = ?1")?
        .execute([token_hash])?;
    Ok(())
}

pub fn delete_for_agent(conn: &Connection, agent_id: &str) -> Result<()> {
    conn.prepare_cached("DELETE FROM dashboard_sessions WHERE agent_id = ?1")?
        .execute([agent_id])?;
    Ok(())
}

/// Removes sessions idle since before `cutoff`; returns how many.
pub fn delete_idle(conn: &Connection, cutoff: Timestamp) -> Result<usize> {
    Ok(conn
        .prepare_cached("DELETE FROM dashboard_sessions WHERE last_seen_at < ?1")?
        .execute([cutoff])?)
}
