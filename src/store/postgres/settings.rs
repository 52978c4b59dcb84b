//! The `settings` table: run-time settings the business changes (business hours), one JSON
//! document per key.

use deadpool_postgres::GenericClient;

use super::db;
use crate::domain::Timestamp;
use crate::domain::hours::{BusinessHours, HoursDocument};
use crate::error::{Error, Result};

pub const BUSINESS_HOURS: &str = "business_hours";

async fn get(c: &impl GenericClient, key: &str) -> Result<Option<String>> {
    db::row_opt(c, "SELECT value FROM settings WHERE key = $1", &[&key])
        .await?
        .map(|r| Ok(r.try_get(0)?))
        .transpose()
}

async fn put(
    c: &impl GenericClient,
    key: &str,
    value: &str,
    actor: &str,
    at: Timestamp,
) -> Result<()> {
    db::exec(
        c,
        "INSERT INTO settings (key, value, updated_at, updated_by) VALUES ($1, $2, $3, $4)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value,
             updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        &[&key, &value, &at, &actor],
    )
    .await?;
    Ok(())
}

/// The stored business hours, `None` when never set.
pub(crate) async fn business_hours(c: &impl GenericClient) -> Result<Option<BusinessHours>> {
    let Some(raw) = get(c, BUSINESS_HOURS).await? else {
        return Ok(None);
    };
    let doc: HoursDocument = serde_json::from_str(&raw)
        .map_err(|e| Error::internal_from("stored business hours do not parse", e))?;
    BusinessHours::parse(&doc)
        .map(Some)
        .map_err(|e| Error::internal_from("stored business hours are not valid", e))
}

pub(crate) async fn set_business_hours(
    c: &impl GenericClient,
    hours: &BusinessHours,
    actor: &str,
    at: Timestamp,
) -> Result<()> {
    let value = serde_json::to_string(&hours.to_document())
        .map_err(|e| Error::internal_from("writing business hours", e))?;
    put(c, BUSINESS_HOURS, &value, actor, at).await
}
