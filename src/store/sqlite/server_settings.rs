//! Key/value settings the server keeps for itself (its token-signing key, the first-run setup
//! token). Not user configuration: that lives in `config`.

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::Result;

pub const AGENT_TOKEN_SECRET: &str = "agent_token_secret";
pub const SETUP_TOKEN: &str = "setup_token";

pub fn get(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT value FROM server_settings WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()?)
}

pub fn set(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO server_settings (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )?
    .execute(params![key, value])?;
    Ok(())
}

pub fn delete(conn: &Connection, key: &str) -> Result<()> {
    conn.prepare_cached("DELETE FROM server_settings WHERE key = ?1")?
        .execute([key])?;
    Ok(())
}

/// The stored value, or `init()` stored and returned when there is none.
pub fn get_or_init(conn: &Connection, key: &str, init: impl FnOnce() -> String) -> Result<String> {
    if let Some(value) = get(conn, key)? {
        return Ok(value);
    }
    let value = init();
    set(conn, key, &value)?;
    Ok(value)
}
