//! Exports as storage sees them: every message stored in a stretch of time, read in short
//! batches in the order it was stored, and everything stored about one person.

use async_trait::async_trait;

use super::chats::ChatRecord;
use crate::domain::attachment::Attachment;
use crate::domain::export::ExportRange;
use crate::domain::{Channel, Sender, SessionOwner, Timestamp};
use crate::error::Result;

/// Where a range export stands: the last message written, in storage order. Opaque outside
/// the engine that made it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RangeCursor(pub i64);

/// One message of a range export, with what it says about its chat.
#[derive(Clone, Debug)]
pub struct RangeMessage {
    /// The next batch starts after this.
    pub cursor: RangeCursor,
    pub session_id: String,
    pub user_id: String,
    pub channel: Channel,
    /// Its position in its chat.
    pub seq: i64,
    pub message_id: String,
    pub sender: Sender,
    /// The real agent behind an agent's message, even one shown under a persona.
    pub agent_id: Option<String>,
    pub agent_name: Option<String>,
    /// The name the user saw (the agent's or the persona's).
    pub shown_as: Option<String>,
    pub body: String,
    pub created_at: Timestamp,
    /// The names of the files sent with it, in the order sent.
    pub attachment_names: Vec<String>,
}

/// Whose data a privacy export gathers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Person {
    /// Everything stored under this id, as a user of the business's sign-in and as a guest
    /// (what an agent asks for by id).
    Id(String),
    /// One owner: the id in its own namespace (what a user asks for about themselves).
    Owner(SessionOwner),
}

/// Everything stored about one person; empty when nothing is.
#[derive(Clone, Debug, Default)]
pub struct PersonRecord {
    /// Their chats, oldest first.
    pub chats: Vec<PersonChat>,
    pub push_devices: Vec<PushDevice>,
    /// Notifications queued for their devices about their chats.
    pub push_notifications: Vec<PushNotice>,
    /// Emails about their chats: to them, or to the team about them.
    pub emails: Vec<EmailRecord>,
}

/// One chat of the person's: the agent's view of it and every upload made to it.
#[derive(Clone, Debug)]
pub struct PersonChat {
    pub record: ChatRecord,
    pub uploads: Vec<Upload>,
}

/// An upload to a chat, sent or not.
#[derive(Clone, Debug)]
pub struct Upload {
    pub attachment: Attachment,
    /// Uploaded by an agent (else by the chat's user).
    pub by_agent: bool,
    /// The message that took it; `None` while unsent.
    pub message_id: Option<String>,
    pub created_at: Timestamp,
}

/// A device registered for push.
#[derive(Clone, Debug)]
pub struct PushDevice {
    pub token: String,
    /// `android`, `ios` or `web`.
    pub platform: String,
    pub is_guest: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A push notification queued for one of the person's devices.
#[derive(Clone, Debug)]
pub struct PushNotice {
    pub session_id: String,
    pub message_id: String,
    pub title: String,
    pub body: String,
    /// `pending`, `sent` or `failed`.
    pub status: String,
    pub created_at: Timestamp,
}

/// An email queued about one of the person's chats.
#[derive(Clone, Debug)]
pub struct EmailRecord {
    pub session_id: String,
    /// `offline_message`, `offline_reply`, `transcript` or `waiting_alert`.
    pub kind: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    /// `pending`, `sent` or `failed`.
    pub status: String,
    pub created_at: Timestamp,
    pub sent_at: Option<Timestamp>,
}

#[async_trait]
pub trait ExportStore: Send + Sync {
    /// Up to `limit` messages stamped within `range`, in the order they were stored, after
    /// `after` (from the first when `None`). Each call is one short read: an export of any
    /// size holds one batch at a time, and writes go on meanwhile (a message stored during an
    /// export is in it if the export has not passed its place yet).
    async fn messages_in_range(
        &self,
        range: ExportRange,
        after: Option<RangeCursor>,
        limit: usize,
    ) -> Result<Vec<RangeMessage>>;

    /// Everything stored about `person`, read as one snapshot.
    async fn person_record(&self, person: Person) -> Result<PersonRecord>;
}
