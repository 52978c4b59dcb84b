//! Key/value settings the server keeps for itself (its token-signing key, the first-run setup
//! token). Not user configuration: that lives in `config`.

use deadpool_postgres::GenericClient;

use super::db;
use crate::error::{Error, Result};

pub const SETUP_TOKEN: &str = "setup_token";

pub(crate) async fn get(c: &impl GenericClient, key: &str) -> Result<Option<String>> {
    db::row_opt(
        c,
        "SELECT value FROM server_settings WHERE key = $1",
        &[&key],
    )
    .await?
    .map(|r| Ok(r.try_get(0)?))
    .transpose()
}

pub(crate) async fn delete(c: &impl GenericClient, key: &str) -> Result<()> {
    db::exec(c, "DELETE FROM server_settings WHERE key = $1", &[&key]).await?;
    Ok(())
}

/// The stored value, or `init` stored and returned when there is none. The insert does
/// nothing when a value is already there, so the first value stored wins: a replica that
/// stored one in between makes this SERIALIZABLE transaction run again and read it.
pub(crate) async fn get_or_init(c: &impl GenericClient, key: &str, init: &str) -> Result<String> {
    if let Some(value) = get(c, key).await? {
        return Ok(value);
    }
    db::exec(
        c,
        "INSERT INTO server_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
        &[&key, &init],
    )
    .await?;
    get(c, key)
        .await?
        .ok_or_else(|| Error::internal(format!("server setting {key} vanished")))
}

/// Deletes `key` only while it holds `value`; true when this call deleted it.
pub(crate) async fn delete_if(c: &impl GenericClient, key: &str, value: &str) -> Result<bool> {
    Ok(db::exec(
        c,
        "DELETE FROM server_settings WHERE key = $1 AND value = $2",
        &[&key, &value],
    )
    .await?
        == 1)
}
