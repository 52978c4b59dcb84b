//! The labels use case: the list super admins keep, and which chats carry which label. Every
//! method is one atomic unit of work.

use async_trait::async_trait;

use crate::domain::Timestamp;
use crate::domain::label::{Label, LabelFields};
use crate::error::Result;

/// A label on a chat, by the chat's id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChatLabel {
    pub session_id: String,
    pub label: Label,
}

#[async_trait]
pub trait LabelStore: Send + Sync {
    /// Every label, by name.
    async fn labels(&self) -> Result<Vec<Label>>;

    /// The label with this id, if it exists.
    async fn label(&self, id: &str) -> Result<Option<Label>>;

    /// Inserts a label (audit `label_create`); a name already taken, ignoring case in any
    /// script ([`same_name`](crate::domain::label::same_name)), is `Error::Conflict` and
    /// stores nothing.
    async fn create_label(
        &self,
        id: &str,
        fields: LabelFields,
        actor: &str,
        now: Timestamp,
    ) -> Result<Label>;

    /// Replaces a label's name and colour (audit `label_update`); `Error::NotFound` when there
    /// is none, `Error::Conflict` when another label has the name.
    async fn update_label(
        &self,
        id: &str,
        fields: LabelFields,
        actor: &str,
        now: Timestamp,
    ) -> Result<Label>;

    /// Deletes a label and takes it off every chat (audit `label_delete`); `Error::NotFound`
    /// when there is none.
    async fn delete_label(&self, id: &str, actor: &str, now: Timestamp) -> Result<()>;

    /// The labels on one chat, by name.
    async fn chat_labels(&self, session_id: &str) -> Result<Vec<Label>>;

    /// The labels on every active chat.
    async fn active_chat_labels(&self) -> Result<Vec<ChatLabel>>;

    /// Puts a label on a chat (audit `chat_label_add`) and returns the chat's labels; adding
    /// one it already has changes nothing. `SessionNotFound` or `NotFound("Label")` when
    /// either is missing.
    async fn add_chat_label(
        &self,
        session_id: &str,
        label_id: &str,
        actor: &str,
        now: Timestamp,
    ) -> Result<Vec<Label>>;

    /// Takes a label off a chat (audit `chat_label_remove` when it was on) and returns the
    /// chat's labels; `SessionNotFound` or `NotFound("Label")` when either is missing.
    async fn remove_chat_label(
        &self,
        session_id: &str,
        label_id: &str,
        actor: &str,
        now: Timestamp,
    ) -> Result<Vec<Label>>;
}
