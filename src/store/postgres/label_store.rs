//! [`LabelStore`] on PostgreSQL.

use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use serde_json::json;

use super::{PgStore, audit, day_stats, is_unique_violation, labels, sessions, write_tx};
use crate::domain::Timestamp;
use crate::domain::label::{Label, LabelFields};
use crate::error::{Error, Result};
use crate::store::LabelStore;
use crate::store::labels::ChatLabel;

fn name_is_taken() -> Error {
    Error::Conflict("Another label already has this name".into())
}

fn name_conflict(e: Error) -> Error {
    if is_unique_violation(&e) {
        name_is_taken()
    } else {
        e
    }
}

/// Refuses a name another label than `except` has, ignoring case in any script.
async fn refuse_taken_name(c: &impl GenericClient, name: &str, except: Option<&str>) -> Result<()> {
    if labels::name_taken(c, name, except).await? {
        return Err(name_is_taken());
    }
    Ok(())
}

async fn record_label_change(
    c: &impl GenericClient,
    now: Timestamp,
    actor: &str,
    action: &str,
    session_id: Option<&str>,
    label_id: &str,
) -> Result<()> {
    audit::record(
        c,
        now,
        Some(actor),
        action,
        session_id,
        Some(&json!({ "labelId": label_id })),
    )
    .await
}

/// Both exist, or the error that says which does not.
async fn require_chat_and_label(
    c: &impl GenericClient,
    session_id: &str,
    label_id: &str,
) -> Result<()> {
    if sessions::get(c, session_id).await?.is_none() {
        return Err(Error::SessionNotFound);
    }
    if labels::get(c, label_id).await?.is_none() {
        return Err(Error::NotFound("Label"));
    }
    Ok(())
}

#[async_trait]
impl LabelStore for PgStore {
    async fn labels(&self) -> Result<Vec<Label>> {
        let c = self.reader().await?;
        labels::list(&c).await
    }

    async fn label(&self, id: &str) -> Result<Option<Label>> {
        let c = self.reader().await?;
        labels::get(&c, id).await
    }

    async fn create_label(
        &self,
        id: &str,
        fields: LabelFields,
        actor: &str,
        now: Timestamp,
    ) -> Result<Label> {
        write_tx!(self, |tx| {
            refuse_taken_name(&tx, &fields.name, None).await?;
            labels::insert(&tx, id, &fields, now)
                .await
                .map_err(name_conflict)?;
            record_label_change(&tx, now, actor, "label_create", None, id).await?;
            labels::get(&tx, id).await?.ok_or(Error::NotFound("Label"))
        })
    }

    async fn update_label(
        &self,
        id: &str,
        fields: LabelFields,
        actor: &str,
        now: Timestamp,
    ) -> Result<Label> {
        write_tx!(self, |tx| {
            if labels::get(&tx, id).await?.is_none() {
                return Err(Error::NotFound("Label"));
            }
            refuse_taken_name(&tx, &fields.name, Some(id)).await?;
            if !labels::update(&tx, id, &fields, now)
                .await
                .map_err(name_conflict)?
            {
                return Err(Error::NotFound("Label"));
            }
            record_label_change(&tx, now, actor, "label_update", None, id).await?;
            labels::get(&tx, id).await?.ok_or(Error::NotFound("Label"))
        })
    }

    async fn delete_label(&self, id: &str, actor: &str, now: Timestamp) -> Result<()> {
        write_tx!(self, |tx| {
            if !labels::delete(&tx, id).await? {
                return Err(Error::NotFound("Label"));
            }
            record_label_change(&tx, now, actor, "label_delete", None, id).await
        })
    }

    async fn chat_labels(&self, session_id: &str) -> Result<Vec<Label>> {
        let c = self.reader().await?;
        labels::of_chat(&c, session_id).await
    }

    async fn active_chat_labels(&self) -> Result<Vec<ChatLabel>> {
        let c = self.reader().await?;
        labels::of_active_chats(&c).await
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

impl PgStore {
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
        write_tx!(self, |tx| {
            require_chat_and_label(&tx, session_id, label_id).await?;
            let changed = if on {
                labels::attach(&tx, session_id, label_id, actor, now).await?
            } else {
                labels::detach(&tx, session_id, label_id).await?
            };
            if changed {
                day_stats::shift_chat(&tx, session_id, label_id, if on { 1 } else { -1 }).await?;
                let action = if on {
                    "chat_label_add"
                } else {
                    "chat_label_remove"
                };
                record_label_change(&tx, now, actor, action, Some(session_id), label_id).await?;
            }
            labels::of_chat(&tx, session_id).await
        })
    }
}
