//! The `personas` table. Deleting hides a persona from new chats; old chats keep its name.

use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

use super::db;
use crate::domain::Timestamp;
use crate::domain::persona::{Persona, PersonaFields};
use crate::error::Result;

const COLUMNS: &str = "id, name, bio, avatar_url, deleted, created_at, updated_at";

fn from_row(r: &Row) -> Result<Persona> {
    Ok(Persona {
        id: r.try_get(0)?,
        name: r.try_get(1)?,
        bio: r.try_get(2)?,
        avatar_url: r.try_get(3)?,
        deleted: r.try_get(4)?,
        created_at: r.try_get(5)?,
        updated_at: r.try_get(6)?,
    })
}

pub(crate) async fn insert(
    c: &impl GenericClient,
    id: &str,
    p: &PersonaFields,
    at: Timestamp,
) -> Result<()> {
    db::exec(
        c,
        "INSERT INTO personas (id, name, bio, avatar_url, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $5)",
        &[&id, &p.name, &p.bio, &p.avatar_url, &at],
    )
    .await?;
    Ok(())
}

/// A persona by id, deleted or not (history shows deleted personas' names).
pub(crate) async fn get(c: &impl GenericClient, id: &str) -> Result<Option<Persona>> {
    db::row_opt(
        c,
        &format!("SELECT {COLUMNS} FROM personas WHERE id = $1"),
        &[&id],
    )
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// Personas that can be chosen, by name (then id), as bytes like the SQLite engine orders
/// them whatever the database's collation.
pub(crate) async fn list(c: &impl GenericClient) -> Result<Vec<Persona>> {
    db::rows(
        c,
        &format!(
            "SELECT {COLUMNS} FROM personas WHERE NOT deleted
             ORDER BY name COLLATE \"C\", id COLLATE \"C\""
        ),
        &[],
    )
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// Updates a persona that is not deleted; false when there is none.
pub(crate) async fn update(
    c: &impl GenericClient,
    id: &str,
    p: &PersonaFields,
    at: Timestamp,
) -> Result<bool> {
    Ok(db::exec(
        c,
        "UPDATE personas SET name = $2, bio = $3, avatar_url = $4, updated_at = $5
         WHERE id = $1 AND NOT deleted",
        &[&id, &p.name, &p.bio, &p.avatar_url, &at],
    )
    .await?
        == 1)
}

pub(crate) async fn soft_delete(c: &impl GenericClient, id: &str, at: Timestamp) -> Result<bool> {
    Ok(db::exec(
        c,
        "UPDATE personas SET deleted = TRUE, updated_at = $2 WHERE id = $1 AND NOT deleted",
        &[&id, &at],
    )
    .await?
        == 1)
}
