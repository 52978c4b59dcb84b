//! The PostgreSQL side of [`crate::store::LabelStore`].

use crate::domain::Timestamp;
use crate::domain::label::{Label, LabelFields};
use crate::error::Result;
use crate::store::labels::*;
use crate::store::postgres::PgStore;
use async_trait::async_trait;

#[async_trait]
impl LabelStore for PgStore {
    async fn labels(&self) -> Result<Vec<Label>> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn label(&self, _id: &str) -> Result<Option<Label>> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn create_label(
        &self,
        _id: &str,
        _fields: LabelFields,
        _actor: &str,
        _now: Timestamp,
    ) -> Result<Label> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn update_label(
        &self,
        _id: &str,
        _fields: LabelFields,
        _actor: &str,
        _now: Timestamp,
    ) -> Result<Label> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn delete_label(&self, _id: &str, _actor: &str, _now: Timestamp) -> Result<()> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn chat_labels(&self, _session_id: &str) -> Result<Vec<Label>> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn active_chat_labels(&self) -> Result<Vec<ChatLabel>> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn add_chat_label(
        &self,
        _session_id: &str,
        _label_id: &str,
        _actor: &str,
        _now: Timestamp,
    ) -> Result<Vec<Label>> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn remove_chat_label(
        &self,
        _session_id: &str,
        _label_id: &str,
        _actor: &str,
        _now: Timestamp,
    ) -> Result<Vec<Label>> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }
}
