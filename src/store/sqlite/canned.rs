//! The `canned_responses` table: reusable replies with a unique shortcut.

use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::domain::Timestamp;
use crate::domain::canned::CannedFields;
use crate::error::Result;

use crate::domain::canned::CannedResponse;

const COLUMNS: &str = "id, title, shortcut, body, created_by, created_at, updated_at";

fn from_row(r: &Row<'_>) -> rusqlite::Result<CannedResponse> {
    Ok(CannedResponse {
        id: r.get(0)?,
        title: r.get(1)?,
        shortcut: r.get(2)?,
        body: r.get(3)?,
        created_by: r.get(4)?,
        created_at: r.get(5)?,
        updated_at: r.get(6)?,
    })
}

/// A duplicate shortcut is a UNIQUE violation.
pub fn insert(
    conn: &Connection,
    id: &str,
    f: &CannedFields,
    created_by: &str,
    at: Timestamp,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO canned_responses (id, title, shortcut, body, created_by, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
    )?
    .execute(params![id, f.title, f.shortcut, f.body, created_by, at])?;
    Ok(())
}

pub fn get(conn: &Connection, id: &str) -> Result<Option<CannedResponse>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM canned_responses WHERE id = ?1"
        ))?
        .query_row([id], from_row)
        .optional()?)
}

pub fn list(conn: &Connection) -> Result<Vec<CannedResponse>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM canned_responses ORDER BY shortcut"
    ))?;
    let rows = stmt
        .query_map([], from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// False when there is no such response; a duplicate shortcut is a UNIQUE violation.
pub fn update(
    conn: &Connection,
    id: &str,
    f: &CannedFields,
    at: Timestamp,
) -> rusqlite::Result<bool> {
    Ok(conn
        .prepare_cached("UPDATE canned_responses SET title = ?2, shortcut = ?3, body = ?4, updated_at = ?5 WHERE id = ?1")?
        .execute(params![id, f.title, f.shortcut, f.body, at])?
        == 1)
}

pub fn delete(conn: &Connection, id: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("DELETE FROM canned_responses WHERE id = ?1")?
        .execute([id])?
        == 1)
}
