//! The `notes` table: internal notes on a session, never shown to users.

use rusqlite::{Connection, params};

use crate::domain::Timestamp;
use crate::error::Result;

use crate::domain::note::Note;

pub fn insert(
    conn: &Connection,
    id: &str,
    session_id: &str,
    agent_id: &str,
    body: &str,
    at: Timestamp,
) -> Result<()> {
    conn.prepare_cached("INSERT INTO notes (id, session_id, agent_id, body, created_at) VALUES (?1, ?2, ?3, ?4, ?5)")?
        .execute(params![id, session_id, agent_id, body, at])?;
    Ok(())
}

/// A session's notes, oldest first, with their authors' names.
pub fn for_session(conn: &Connection, session_id: &str) -> Result<Vec<Note>> {
    let mut stmt = conn.prepare_cached(
        "SELECT n.id, n.session_id, n.agent_id, a.name, n.body, n.created_at
         FROM notes n LEFT JOIN agents a ON a.id = n.agent_id
         WHERE n.session_id = ?1 ORDER BY n.created_at, n.rowid",
    )?;
    let rows = stmt
        .query_map([session_id], |r| {
            Ok(Note {
                id: r.get(0)?,
                session_id: r.get(1)?,
                agent_id: r.get(2)?,
                agent_name: r.get(3)?,
                body: r.get(4)?,
                created_at: r.get(5)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}
