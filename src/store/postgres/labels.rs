//! The `labels` and `chat_labels` tables.

use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

use super::db;
use crate::domain::Timestamp;
use crate::domain::label::{Colour, Label, LabelFields, same_name};
use crate::error::Result;
use crate::store::labels::ChatLabel;

const COLUMNS: &str = "l.id, l.name, l.colour, l.created_at, l.updated_at";

/// The SQLite engine's order of labels: by name ignoring the case of ASCII letters (its
/// `NOCASE` collation: `lower` under the "C" collation folds only those), then by id, as
/// bytes whatever the database's collation.
const BY_NAME: &str = "lower(l.name COLLATE \"C\"), l.id COLLATE \"C\"";

/// The label in the five columns from `first` on.
fn label_at(r: &Row, first: usize) -> Result<Label> {
    Ok(Label {
        id: r.try_get(first)?,
        name: r.try_get(first + 1)?,
        colour: Colour::from_stored(r.try_get(first + 2)?),
        created_at: r.try_get(first + 3)?,
        updated_at: r.try_get(first + 4)?,
    })
}

fn from_row(r: &Row) -> Result<Label> {
    label_at(r, 0)
}

/// A taken name is a UNIQUE violation.
pub(crate) async fn insert(
    c: &impl GenericClient,
    id: &str,
    f: &LabelFields,
    at: Timestamp,
) -> Result<()> {
    db::exec(
        c,
        "INSERT INTO labels (id, name, colour, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)",
        &[&id, &f.name, &f.colour.as_str(), &at],
    )
    .await?;
    Ok(())
}

pub(crate) async fn get(c: &impl GenericClient, id: &str) -> Result<Option<Label>> {
    db::row_opt(
        c,
        &format!("SELECT {COLUMNS} FROM labels l WHERE l.id = $1"),
        &[&id],
    )
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}

pub(crate) async fn list(c: &impl GenericClient) -> Result<Vec<Label>> {
    db::rows(
        c,
        &format!("SELECT {COLUMNS} FROM labels l ORDER BY {BY_NAME}"),
        &[],
    )
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// Whether a label other than `except` has `name`, ignoring case in every script. The UNIQUE
/// index folds case only as the database's `lower` does; the SERIALIZABLE transaction keeps
/// this check and the write that follows it together (a concurrent label read here makes one
/// of two writers run again).
pub(crate) async fn name_taken(
    c: &impl GenericClient,
    name: &str,
    except: Option<&str>,
) -> Result<bool> {
    for r in db::rows(c, "SELECT id, name FROM labels", &[]).await? {
        let (id, other): (String, String) = (r.try_get(0)?, r.try_get(1)?);
        if except != Some(id.as_str()) && same_name(&other, name) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// False when there is no such label; a taken name is a UNIQUE violation.
pub(crate) async fn update(
    c: &impl GenericClient,
    id: &str,
    f: &LabelFields,
    at: Timestamp,
) -> Result<bool> {
    Ok(db::exec(
        c,
        "UPDATE labels SET name = $2, colour = $3, updated_at = $4 WHERE id = $1",
        &[&id, &f.name, &f.colour.as_str(), &at],
    )
    .await?
        == 1)
}

/// False when there is no such label; the foreign keys take it off every chat and a trigger
/// deletes its figures.
pub(crate) async fn delete(c: &impl GenericClient, id: &str) -> Result<bool> {
    Ok(db::exec(c, "DELETE FROM labels WHERE id = $1", &[&id]).await? == 1)
}

pub(crate) async fn of_chat(c: &impl GenericClient, session_id: &str) -> Result<Vec<Label>> {
    db::rows(
        c,
        &format!(
            "SELECT {COLUMNS} FROM chat_labels c JOIN labels l ON l.id = c.label_id
             WHERE c.session_id = $1 ORDER BY {BY_NAME}"
        ),
        &[&session_id],
    )
    .await?
    .iter()
    .map(from_row)
    .collect()
}

pub(crate) async fn of_active_chats(c: &impl GenericClient) -> Result<Vec<ChatLabel>> {
    db::rows(
        c,
        &format!(
            "SELECT s.id, {COLUMNS} FROM sessions s
             JOIN chat_labels c ON c.session_id = s.id JOIN labels l ON l.id = c.label_id
             WHERE s.status = 'active' ORDER BY s.id COLLATE \"C\", {BY_NAME}"
        ),
        &[],
    )
    .await?
    .iter()
    .map(|r| {
        Ok(ChatLabel {
            session_id: r.try_get(0)?,
            label: label_at(r, 1)?,
        })
    })
    .collect()
}

/// True when the label was not on the chat before.
pub(crate) async fn attach(
    c: &impl GenericClient,
    session_id: &str,
    label_id: &str,
    actor: &str,
    at: Timestamp,
) -> Result<bool> {
    Ok(db::exec(
        c,
        "INSERT INTO chat_labels (label_id, session_id, added_by, added_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT DO NOTHING",
        &[&label_id, &session_id, &actor, &at],
    )
    .await?
        == 1)
}

/// True when the label was on the chat.
pub(crate) async fn detach(
    c: &impl GenericClient,
    session_id: &str,
    label_id: &str,
) -> Result<bool> {
    Ok(db::exec(
        c,
        "DELETE FROM chat_labels WHERE label_id = $1 AND session_id = $2",
        &[&label_id, &session_id],
    )
    .await?
        == 1)
}
