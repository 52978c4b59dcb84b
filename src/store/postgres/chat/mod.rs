//! The PostgreSQL side of [`crate::store::ChatStore`]: one plain function per method, run by
//! `chat_store.rs` in one write transaction or on one pooled read connection. Shared steps
//! live here.

pub(super) mod agent;
pub(super) mod broadcast;
pub(super) mod client;

use deadpool_postgres::GenericClient;

use super::{attachments, is_unique_violation, messages, sessions};
use crate::domain::attachment::AttachmentId;
use crate::domain::message::Message;
use crate::domain::session::{IdleRule, Session, SessionState, Tip};
use crate::domain::{MessageKind, SendAs, Sender, SessionOwner, Timestamp};
use crate::error::{Error, Result};
use crate::store::attachments::Uploader;

/// The session if it belongs to `owner`; otherwise the same error as a missing one.
pub(crate) async fn owned_session(
    c: &impl GenericClient,
    session_id: &str,
    owner: &SessionOwner,
) -> Result<Session> {
    owned(sessions::get(c, session_id).await?, owner)
}

/// As [`owned_session`], its row locked until the transaction ends (a READ COMMITTED unit's
/// first read).
pub(crate) async fn owned_session_for_update(
    c: &impl GenericClient,
    session_id: &str,
    owner: &SessionOwner,
) -> Result<Session> {
    owned(sessions::get_for_update(c, session_id).await?, owner)
}

fn owned(row: Option<Session>, owner: &SessionOwner) -> Result<Session> {
    match row {
        Some(row) if owner.owns(&row) => Ok(row),
        _ => Err(Error::SessionNotFound),
    }
}

/// `session` with its newest message, read on the same connection (inside a write
/// transaction it is exactly what that transaction commits).
pub(crate) async fn state_of(c: &impl GenericClient, session: Session) -> Result<SessionState> {
    let tip = messages::latest(c, &session.id)
        .await?
        .map(|(seq, id)| Tip { seq, id });
    Ok(SessionState { session, tip })
}

pub(crate) async fn load_state(
    c: &impl GenericClient,
    session_id: &str,
) -> Result<Option<SessionState>> {
    match sessions::get(c, session_id).await? {
        Some(row) => Ok(Some(state_of(c, row).await?)),
        None => Ok(None),
    }
}

/// If `row` went idle, ends it as expired at the moment it went quiet and refreshes `row`.
/// Conditional on the stored row still being active and idle, so a message another writer
/// committed meanwhile keeps the session alive.
pub(crate) async fn expire_if_idle(
    c: &impl GenericClient,
    row: &mut Session,
    now: Timestamp,
    idle: IdleRule,
) -> Result<bool> {
    if !idle.is_expired(row.channel, row.status, row.last_activity_at, now) {
        return Ok(false);
    }
    let cutoff = Timestamp(now.0 - idle.timeout_ms);
    if !sessions::expire_one(c, &row.id, cutoff, idle.timeout_ms, &idle.reason()).await? {
        return Ok(false);
    }
    *row = sessions::get(c, &row.id)
        .await?
        .ok_or(Error::SessionNotFound)?;
    Ok(true)
}

/// An earlier message with this id: the same text and files are a retry, anything else a
/// conflict.
pub(crate) async fn duplicate_of(
    c: &impl GenericClient,
    session_id: &str,
    id: &str,
    text: &str,
    files: &[AttachmentId],
) -> Result<Option<Message>> {
    match messages::find(c, session_id, id).await? {
        Some(existing)
            if existing.body == text
                && existing.attachments.iter().map(|a| &a.id).eq(files.iter()) =>
        {
            Ok(Some(existing))
        }
        Some(_) => Err(Error::DuplicateMessageId),
        None => Ok(None),
    }
}

/// A message to store, before it has a position.
pub(crate) struct Draft<'a> {
    pub id: &'a str,
    pub sender: Sender,
    pub agent_id: Option<&'a str>,
    pub sent_as: Option<SendAs>,
    pub display_name: Option<&'a str>,
    pub department: Option<&'a str>,
    pub body: &'a str,
    pub kind: MessageKind,
    pub created_at: Timestamp,
    pub client_timestamp: Option<&'a str>,
    /// Uploads the message takes, and whose they must be.
    pub files: &'a [AttachmentId],
    pub uploader: Option<&'a Uploader>,
}

impl<'a> Draft<'a> {
    /// A message from the business itself (a welcome, a broadcast): no agent, no files.
    pub fn system(id: &'a str, body: &'a str, created_at: Timestamp) -> Self {
        Draft {
            id,
            sender: Sender::System,
            agent_id: None,
            sent_as: None,
            display_name: None,
            department: None,
            body,
            kind: MessageKind::System,
            created_at,
            client_timestamp: None,
            files: &[],
            uploader: None,
        }
    }
}

/// Takes the session's next position and stores the message there; keeps `row` current. A
/// session that is no longer active refuses (`SessionEnded` / `SessionExpired`).
pub(crate) async fn insert_message(
    c: &impl GenericClient,
    row: &mut Session,
    d: &Draft<'_>,
) -> Result<Message> {
    let Some(seq) = sessions::next_position(c, &row.id, d.sender, d.agent_id, d.created_at).await?
    else {
        let current = sessions::get(c, &row.id)
            .await?
            .ok_or(Error::SessionNotFound)?;
        current.check_open()?;
        return Err(Error::internal("session refused a message while active"));
    };
    let taken = match (d.files, d.uploader) {
        ([], _) => Vec::new(),
        (files, Some(uploader)) => {
            attachments::take_for_message(c, &row.id, d.id, uploader, files).await?
        }
        (_, None) => return Err(Error::internal("files sent without an uploader")),
    };
    let message = messages::insert(
        c,
        &messages::NewMessage {
            seq,
            id: d.id,
            session_id: &row.id,
            sender: d.sender,
            agent_id: d.agent_id,
            sent_as: d.sent_as,
            display_name: d.display_name,
            department: d.department,
            body: d.body,
            kind: d.kind,
            created_at: d.created_at,
            client_timestamp: d.client_timestamp,
            attachments: &taken,
        },
    )
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            Error::DuplicateMessageId
        } else {
            e
        }
    })?;
    row.last_seq = seq;
    if d.sender != Sender::System {
        row.last_activity_at = d.created_at;
        row.message_count += 1;
    }
    Ok(message)
}

/// `row` as it stands after storing `message` (no extra read on the send path).
pub(crate) fn state_after(row: Session, message: &Message) -> SessionState {
    SessionState {
        session: row,
        tip: Some(Tip {
            seq: message.seq,
            id: message.id.clone(),
        }),
    }
}
