//! The `labels` and `chat_labels` tables.

use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::domain::Timestamp;
use crate::domain::label::{Colour, Label, LabelFields, same_name};
use crate::error::Result;
use crate::store::labels::ChatLabel;

const COLUMNS: &str = "l.id, l.name, l.colour, l.created_at, l.updated_at";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Label> {
    Ok(Label {
        id: r.get(0)?,
        name: r.get(1)?,
        colour: Colour::from_stored(r.get(2)?),
        created_at: r.get(3)?,
        updated_at: r.get(4)?,
    })
}

/// A taken name is a UNIQUE violation.
pub fn insert(conn: &Connection, id: &str, f: &LabelFields, at: Timestamp) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO labels (id, name, colour, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)",
    )?
    .execute(params![id, f.name, f.colour.as_str(), at])?;
    Ok(())
}

pub fn get(conn: &Connection, id: &str) -> Result<Option<Label>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM labels l WHERE l.id = ?1"))?
        .query_row([id], from_row)
        .optional()?)
}

pub fn list(conn: &Connection) -> Result<Vec<Label>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM labels l ORDER BY l.name, l.id"
    ))?;
    let rows = stmt
        .query_map([], from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Whether a label other than `except` has `name`, ignoring case in every script. The UNIQUE
/// index folds only ASCII letters; the writer's transaction keeps this check and the write
/// that follows it together.
pub fn name_taken(conn: &Connection, name: &str, except: Option<&str>) -> Result<bool> {
    let mut stmt = conn.prepare_cached("SELECT id, name FROM labels")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let (id, other): (String, String) = (r.get(0)?, r.get(1)?);
        if except != Some(id.as_str()) && same_name(&other, name) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// False when there is no such label; a taken name is a UNIQUE violation.
pub fn update(
    conn: &Connection,
    id: &str,
    f: &LabelFields,
    at: Timestamp,
) -> rusqlite::Result<bool> {
    Ok(conn
        .prepare_cached("UPDATE labels SET name = ?2, colour = ?3, updated_at = ?4 WHERE id = ?1")?
        .execute(params![id, f.name, f.colour.as_str(), at])?
        == 1)
}

/// False when there is no such label; a trigger takes it off every chat.
pub fn delete(conn: &Connection, id: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("DELETE FROM labels WHERE id = ?1")?
        .execute([id])?
        == 1)
}

pub fn of_chat(conn: &Connection, session_id: &str) -> Result<Vec<Label>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM chat_labels c JOIN labels l ON l.id = c.label_id
         WHERE c.session_id = ?1 ORDER BY l.name, l.id"
    ))?;
    let rows = stmt
        .query_map([session_id], from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

pub fn of_active_chats(conn: &Connection) -> Result<Vec<ChatLabel>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT s.id, {COLUMNS} FROM sessions s INDEXED BY sessions_active
         JOIN chat_labels c ON c.session_id = s.id JOIN labels l ON l.id = c.label_id
         WHERE s.status = 'active' ORDER BY s.id, l.name, l.id"
    ))?;
    let rows = stmt
        .query_map([], |r| {
            Ok(ChatLabel {
                session_id: r.get(0)?,
                label: Label {
                    id: r.get(1)?,
                    name: r.get(2)?,
                    colour: Colour::from_stored(r.get(3)?),
                    created_at: r.get(4)?,
                    updated_at: r.get(5)?,
                },
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// True when the label was not on the chat before.
pub fn attach(
    conn: &Connection,
    session_id: &str,
    label_id: &str,
    actor: &str,
    at: Timestamp,
) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "INSERT INTO chat_labels (label_id, session_id, added_by, added_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT DO NOTHING",
        )?
        .execute(params![label_id, session_id, actor, at])?
        == 1)
}

/// True when the label was on the chat.
pub fn detach(conn: &Connection, session_id: &str, label_id: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("DELETE FROM chat_labels WHERE label_id = ?1 AND session_id = ?2")?
        .execute(params![label_id, session_id])?
        == 1)
}
