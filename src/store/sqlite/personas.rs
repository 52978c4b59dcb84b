//! The `personas` table. Deleting hides a persona from new chats; old chats keep its name.

use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::domain::Timestamp;
use crate::domain::persona::PersonaFields;
use crate::error::Result;

use crate::domain::persona::Persona;

const COLUMNS: &str = "id, name, bio, avatar_url, deleted, created_at, updated_at";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Persona> {
    Ok(Persona {
        id: r.get(0)?,
        name: r.get(1)?,
        bio: r.get(2)?,
        avatar_url: r.get(3)?,
        deleted: r.get(4)?,
        created_at: r.get(5)?,
        updated_at: r.get(6)?,
    })
}

pub fn insert(conn: &Connection, id: &str, p: &PersonaFields, at: Timestamp) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO personas (id, name, bio, avatar_url, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
    )?
    .execute(params![id, p.name, p.bio, p.avatar_url, at])?;
    Ok(())
}

/// A persona by id, deleted or not (history shows deleted personas' names).
pub fn get(conn: &Connection, id: &str) -> Result<Option<Persona>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM personas WHERE id = ?1"))?
        .query_row([id], from_row)
        .optional()?)
}

/// Personas that can be chosen, by name.
pub fn list(conn: &Connection) -> Result<Vec<Persona>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM personas WHERE deleted = 0 ORDER BY name, id"
    ))?;
    let rows = stmt
        .query_map([], from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Updates a persona that is not deleted; false when there is none.
pub fn update(conn: &Connection, id: &str, p: &PersonaFields, at: Timestamp) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "UPDATE personas SET name = ?2, bio = ?3, avatar_url = ?4, updated_at = ?5 WHERE id = ?1 AND deleted = 0",
        )?
        .execute(params![id, p.name, p.bio, p.avatar_url, at])?
        == 1)
}

pub fn soft_delete(conn: &Connection, id: &str, at: Timestamp) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "UPDATE personas SET deleted = 1, updated_at = ?2 WHERE id = ?1 AND deleted = 0",
        )?
        .execute(params![id, at])?
        == 1)
}
