//! The `notes` table: internal notes on a session, never shown to users.

use deadpool_postgres::GenericClient;

use super::db;
use crate::domain::Timestamp;
use crate::domain::note::Note;
use crate::error::Result;

pub(crate) async fn insert(
    c: &impl GenericClient,
    id: &str,
    session_id: &str,
    agent_id: &str,
    body: &str,
    at: Timestamp,
) -> Result<()> {
    db::exec(
        c,
        "INSERT INTO notes (id, session_id, agent_id, body, created_at) VALUES ($1, $2, $3, $4, $5)",
        &[&id, &session_id, &agent_id, &body, &at],
    )
    .await?;
    Ok(())
}

/// A session's notes, oldest first, with their authors' names. Notes written in the same
/// millisecond follow their ids (PostgreSQL rows have no insertion order to fall back on).
pub(crate) async fn for_session(c: &impl GenericClient, session_id: &str) -> Result<Vec<Note>> {
    db::rows(
        c,
        "SELECT n.id, n.session_id, n.agent_id, a.name, n.body, n.created_at
         FROM notes n LEFT JOIN agents a ON a.id = n.agent_id
         WHERE n.session_id = $1 ORDER BY n.created_at, n.id",
        &[&session_id],
    )
    .await?
    .iter()
    .map(|r| {
        Ok(Note {
            id: r.try_get(0)?,
            session_id: r.try_get(1)?,
            agent_id: r.try_get(2)?,
            agent_name: r.try_get(3)?,
            body: r.try_get(4)?,
            created_at: r.try_get(5)?,
        })
    })
    .collect()
}
