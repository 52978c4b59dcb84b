//! The `audit_events` table: who did what to which session, when. Written in the same
//! transaction as the action it records, so the log never disagrees with the data.

use rusqlite::{Connection, params};

use crate::domain::Timestamp;
use crate::domain::audit::NewAuditEvent;
use crate::error::Result;

use crate::domain::audit::AuditEvent;
use crate::domain::audit::AuditFilter;

pub fn record(
    conn: &Connection,
    at: Timestamp,
    agent_id: Option<&str>,
    action: &str,
    session_id: Option<&str>,
    detail: Option<&serde_json::Value>,
) -> Result<()> {
    let detail = detail.map(serde_json::Value::to_string);
    conn.prepare_cached(
        "INSERT INTO audit_events (at, agent_id, action, session_id, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![at, agent_id, action, session_id, detail])?;
    Ok(())
}

/// Records a prepared event.
pub fn record_event(conn: &Connection, e: &NewAuditEvent) -> Result<()> {
    record(
        conn,
        e.at,
        e.agent_id.as_deref(),
        &e.action,
        e.session_id.as_deref(),
        e.detail.as_ref(),
    )
}

/// Newest first.
pub fn list(
    conn: &Connection,
    filter: &AuditFilter,
    offset: i64,
    limit: i64,
) -> Result<Vec<AuditEvent>> {
    let mut stmt = conn.prepare_cached(
        "SELECT e.seq, e.at, e.agent_id, a.name, e.action, e.session_id, e.detail
         FROM audit_events e LEFT JOIN agents a ON a.id = e.agent_id
         WHERE (?1 IS NULL OR e.session_id = ?1) AND (?2 IS NULL OR e.agent_id = ?2)
           AND (?3 IS NULL OR e.action = ?3)
         ORDER BY e.seq DESC LIMIT ?4 OFFSET ?5",
    )?;
    let rows = stmt
        .query_map(
            params![
                filter.session_id,
                filter.agent_id,
                filter.action,
                limit,
                offset
            ],
            |r| {
                let detail: Option<String> = r.get(6)?;
                Ok(AuditEvent {
                    seq: r.get(0)?,
                    at: r.get(1)?,
                    agent_id: r.get(2)?,
                    agent_name: r.get(3)?,
                    action: r.get(4)?,
                    session_id: r.get(5)?,
                    detail: detail.and_then(|d| serde_json::from_str(&d).ok()),
                })
            },
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

pub fn count(conn: &Connection, filter: &AuditFilter) -> Result<i64> {
    Ok(conn
        .prepare_cached(
            "SELECT COUNT(*) FROM audit_events e
             WHERE (?1 IS NULL OR e.session_id = ?1) AND (?2 IS NULL OR e.agent_id = ?2)
               AND (?3 IS NULL OR e.action = ?3)",
        )?
        .query_row(
            params![filter.session_id, filter.agent_id, filter.action],
            |r| r.get(0),
        )?)
}
