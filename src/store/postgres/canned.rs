//! The `canned_responses` table: reusable replies with a unique shortcut.

use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

use super::db;
use crate::domain::Timestamp;
use crate::domain::canned::{CannedFields, CannedResponse};
use crate::error::Result;

const COLUMNS: &str = "id, title, shortcut, body, created_by, created_at, updated_at";

fn from_row(r: &Row) -> Result<CannedResponse> {
    Ok(CannedResponse {
        id: r.try_get(0)?,
        title: r.try_get(1)?,
        shortcut: r.try_get(2)?,
        body: r.try_get(3)?,
        created_by: r.try_get(4)?,
        created_at: r.try_get(5)?,
        updated_at: r.try_get(6)?,
    })
}

/// A duplicate shortcut (ignoring case) is a UNIQUE violation.
pub(crate) async fn insert(
    c: &impl GenericClient,
    id: &str,
    f: &CannedFields,
    created_by: &str,
    at: Timestamp,
) -> Result<()> {
    db::exec(
        c,
        "INSERT INTO canned_responses (id, title, shortcut, body, created_by, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6)",
        &[&id, &f.title, &f.shortcut, &f.body, &created_by, &at],
    )
    .await?;
    Ok(())
}

pub(crate) async fn get(c: &impl GenericClient, id: &str) -> Result<Option<CannedResponse>> {
    db::row_opt(
        c,
        &format!("SELECT {COLUMNS} FROM canned_responses WHERE id = $1"),
        &[&id],
    )
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// By shortcut, ignoring the case of ASCII letters as the SQLite engine's `NOCASE` column
/// does (`lower` under the "C" collation folds only those), whatever the database's collation.
pub(crate) async fn list(c: &impl GenericClient) -> Result<Vec<CannedResponse>> {
    db::rows(
        c,
        &format!("SELECT {COLUMNS} FROM canned_responses ORDER BY lower(shortcut COLLATE \"C\")"),
        &[],
    )
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// False when there is no such response; a duplicate shortcut is a UNIQUE violation.
pub(crate) async fn update(
    c: &impl GenericClient,
    id: &str,
    f: &CannedFields,
    at: Timestamp,
) -> Result<bool> {
    Ok(db::exec(
        c,
        "UPDATE canned_responses SET title = $2, shortcut = $3, body = $4, updated_at = $5
         WHERE id = $1",
        &[&id, &f.title, &f.shortcut, &f.body, &at],
    )
    .await?
        == 1)
}

pub(crate) async fn delete(c: &impl GenericClient, id: &str) -> Result<bool> {
    Ok(db::exec(c, "DELETE FROM canned_responses WHERE id = $1", &[&id]).await? == 1)
}
