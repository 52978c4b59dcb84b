//! The `settings` table: run-time settings the business changes (business hours), one JSON
//! document per key.

use rusqlite::{Connection, OptionalExtension, params};

use crate::domain::Timestamp;
use crate::domain::hours::{BusinessHours, HoursDocument};
use crate::error::{Error, Result};

pub const BUSINESS_HOURS: &str = "business_hours";

fn get(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT value FROM settings WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()?)
}

fn put(conn: &Connection, key: &str, value: &str, actor: &str, at: Timestamp) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO settings (key, value, updated_at, updated_by) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value,
             updated_at = excluded.updated_at, updated_by = excluded.updated_by",
    )?
    .execute(params![key, value, at, actor])?;
    Ok(())
}

/// The stored business hours, `None` when never set.
pub fn business_hours(conn: &Connection) -> Result<Option<BusinessHours>> {
    let Some(raw) = get(conn, BUSINESS_HOURS)? else {
        return Ok(None);
    };
    let doc: HoursDocument = serde_json::from_str(&raw)
        .map_err(|e| Error::internal_from("stored business hours do not parse", e))?;
    BusinessHours::parse(&doc)
        .map(Some)
        .map_err(|e| Error::internal_from("stored business hours are not valid", e))
}

pub fn set_business_hours(
    conn: &Connection,
    hours: &BusinessHours,
    actor: &str,
    at: Timestamp,
) -> Result<()> {
    let value = serde_json::to_string(&hours.to_document())
        .map_err(|e| Error::internal_from("writing business hours", e))?;
    put(conn, BUSINESS_HOURS, &value, actor, at)
}
