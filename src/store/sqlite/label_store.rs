//! [`LabelStore`] on SQLite.

use async_trait::async_trait;
use serde_json::json;

use super::{SqliteStore, audit, day_stats, is_unique_violation, labels, sessions};
use crate::domain::Timestamp;
use crate::domain::label::{Label, LabelFields};
use crate::error::{Error, Result};
use crate::store::LabelStore;
use crate::store::labels::ChatLabel;

fn name_is_taken() -> Error {
    Error::Conflict("Another label already has this name".into())
}

fn name_conflict(e: rusqlite::Error) -> Error {
    if is_unique_violation(&e) {
        name_is_taken()
    } else {
        e.into()
    }
}

/// Refuses a name another label than `except` has, ignoring case in any script.
fn refuse_taken_name(conn: &rusqlite::Connection, name: &str, except: Option<&str>) -> Result<()> {
    if labels::name_taken(conn, name, except)? {
        return Err(name_is_taken());
    }
    Ok(())
}

fn record_label_change(
    conn: &rusqlite::Connection,
    now: Timestamp,
    actor: &str,
    action: &str,
    session_id: Option<&str>,
    label_id: &str,
) -> Result<()> {
    audit::record(
        conn,
        now,
        Some(actor),
        action,
        session_id,
        Some(&json!({ "labelId": label_id })),
    )
}

/// Both exist, or the error that says which does not.
fn require_chat_and_label(
    conn: &rusqlite::Connection,
    session_id: &str,
    label_id: &str,
) -> Result<()> {
    if sessions::get(conn, session_id)?.is_none() {
        return Err(Error::SessionNotFound);
    }
    if labels::get(conn, label_id)?.is_none() {
        return Err(Error::NotFound("Label"));
    }
    Ok(())
}

#[async_trait]
impl LabelStore for SqliteStore {
    async fn labels(&self) -> Result<Vec<Label>> {
        self.read(labels::list).await
    }

    async fn label(&self, id: &str) -> Result<Option<Label>> {
        let id = id.to_string();
        self.read(move |conn| labels::get(conn, &id)).await
    }

    async fn create_label(
        &self,
        id: &str,
        fields: LabelFields,
        actor: &str,
        now: Timestamp,
    ) -> Result<Label> {
        let (id, actor) = (id.to_string(), actor.to_string());
        self.write(move |conn| {
            refuse_taken_name(conn, &fields.name, None)?;
            labels::insert(conn, &id, &fields, now).map_err(name_conflict)?;
            record_label_change(conn, now, &actor, "label_create", None, &id)?;
            labels::get(conn, &id)?.ok_or(Error::NotFound("Label"))
        })
        .await
    }

    async fn update_label(
        &self,
        id: &str,
        fields: LabelFields,
        actor: &str,
        now: Timestamp,
    ) -> Result<Label> {
        let (id, actor) = (id.to_string(), actor.to_string());
        self.write(move |conn| {
            if labels::get(conn, &id)?.is_none() {
                return Err(Error::NotFound("Label"));
            }
            refuse_taken_name(conn, &fields.name, Some(&id))?;
            if !labels::update(conn, &id, &fields, now).map_err(name_conflict)? {
                return Err(Error::NotFound("Label"));
            }
            record_label_change(conn, now, &actor, "label_update", None, &id)?;
            labels::get(conn, &id)?.ok_or(Error::NotFound("Label"))
        })
        .await
    }

    async fn delete_label(&self, id: &str, actor: &str, now: Timestamp) -> Result<()> {
        let (id, actor) = (id.to_string(), actor.to_string());
        self.write(move |conn| {
            if !labels::delete(conn, &id)? {
                return Err(Error::NotFound("Label"));
            }
            record_label_change(conn, now, &actor, "label_delete", None, &id)
        })
        .await
    }

    async fn chat_labels(&self, session_id: &str) -> Result<Vec<Label>> {
        let session_id = session_id.to_string();
        self.read(move |conn| labels::of_chat(conn, &session_id))
            .await
    }

    async fn active_chat_labels(&self) -> Result<Vec<ChatLabel>> {
        self.read(labels::of_active_chats).await
    }

    async fn add_chat_label(
        &self,
        session_id: &str,
        label_id: &str,
        actor: &str,
        now: Timestamp,
    ) -> Result<Vec<Label>> {
        self.change_chat_label(session_id, label_id, actor, now, true)
            .await
    }

    async fn remove_chat_label(
        &self,
        session_id: &str,
        label_id: &str,
        actor: &str,
        now: Timestamp,
    ) -> Result<Vec<Label>> {
        self.change_chat_label(session_id, label_id, actor, now, false)
            .await
    }
}

impl SqliteStore {
    /// Puts the label on the chat (`on`) or takes it off; a real change moves the chat's
    /// share of written days and is audited, in the same unit of work.
    async fn change_chat_label(
        &self,
        session_id: &str,
        label_id: &str,
        actor: &str,
        now: Timestamp,
        on: bool,
    ) -> Result<Vec<Label>> {
        let (session_id, label_id, actor) = (
            session_id.to_string(),
            label_id.to_string(),
            actor.to_string(),
        );
        self.write(move |conn| {
            require_chat_and_label(conn, &session_id, &label_id)?;
            let changed = if on {
                labels::attach(conn, &session_id, &label_id, &actor, now)?
            } else {
                labels::detach(conn, &session_id, &label_id)?
            };
            if changed {
                day_stats::shift_chat(conn, &session_id, &label_id, if on { 1 } else { -1 })?;
                let action = if on {
                    "chat_label_add"
                } else {
                    "chat_label_remove"
                };
                record_label_change(conn, now, &actor, action, Some(&session_id), &label_id)?;
            }
            labels::of_chat(conn, &session_id)
        })
        .await
    }
}
