//! Key/value settings the server keeps for itself (its token-signing key, the first-run setup
//! token). Not user configuration: that lives in `config`.

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::{Error, Result};

pub const SETUP_TOKEN: &str = "setup_token";

pub fn get(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT value FROM server_settings WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()?)
}

pub fn delete(conn: &Connection, key: &str) -> Result<()> {
    conn.prepare_cached("DELETE FROM server_settings WHERE key = ?1")?
        .execute([key])?;
    Ok(())
}

/// The stored value, or `init()` stored and returned when there is none. The insert does
/// nothing when a value is already there, so the first value stored wins even if another
/// writer stored one in between.
pub fn get_or_init(conn: &Connection, key: &str, init: impl FnOnce() -> String) -> Result<String> {
    if let Some(value) = get(conn, key)? {
        return Ok(value);
    }
    conn.prepare_cached(
        "INSERT INTO server_settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO NOTHING",
    )?
    .execute(params![key, init()])?;
    get(conn, key)?.ok_or_else(|| Error::internal(format!("server setting {key} vanished")))
}

/// Deletes `key` only while it holds `value`; true when this call deleted it.
pub fn delete_if(conn: &Connection, key: &str, value: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("DELETE FROM server_settings WHERE key = ?1 AND value = ?2")?
        .execute(params![key, value])?
        == 1)
}
