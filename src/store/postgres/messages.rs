//! The `messages` table. `session_seq` orders a session's messages; `(session_id, id)` is unique, which is what
//! makes retried sends idempotent.

use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

use super::db;
use crate::domain::message::Message;
use crate::domain::{MessageKind, SendAs, Sender, Timestamp};
use crate::error::Result;

const COLUMNS: &str = "session_seq, id, session_id, sender, agent_id, sent_as, display_name, department, body, kind, \
    created_at, client_timestamp, delivered_at, read_at, attachments";

fn from_row(r: &Row) -> Result<Message> {
    let session_id: String = r.try_get(2)?;
    let attachments = super::attachments::decode_list(&session_id, r.try_get(14)?)?;
    Ok(Message {
        seq: r.try_get(0)?,
        id: r.try_get(1)?,
        session_id,
        sender: r.try_get(3)?,
        agent_id: r.try_get(4)?,
        sent_as: r.try_get(5)?,
        display_name: r.try_get(6)?,
        department: r.try_get(7)?,
        body: r.try_get(8)?,
        kind: r.try_get(9)?,
        created_at: r.try_get(10)?,
        client_timestamp: r.try_get(11)?,
        delivered_at: r.try_get(12)?,
        read_at: r.try_get(13)?,
        attachments,
    })
}

/// Every row as a message.
fn messages_of(rows: &[Row]) -> Result<Vec<Message>> {
    rows.iter().map(from_row).collect()
}

pub struct NewMessage<'a> {
    /// The position taken with [`super::sessions::next_position`].
    pub seq: i64,
    pub id: &'a str,
    pub session_id: &'a str,
    pub sender: Sender,
    pub agent_id: Option<&'a str>,
    pub sent_as: Option<SendAs>,
    pub display_name: Option<&'a str>,
    pub department: Option<&'a str>,
    pub body: &'a str,
    pub kind: MessageKind,
    pub created_at: Timestamp,
    pub client_timestamp: Option<&'a str>,
    /// Uploads this message took (see [`super::attachments::take_for_message`]).
    pub attachments: &'a [crate::domain::attachment::Attachment],
}

/// Inserts and returns the row as stored. A duplicate id in the session is a UNIQUE violation
/// (see [`super::is_unique_violation`]).
pub(crate) async fn insert(c: &impl GenericClient, m: &NewMessage<'_>) -> Result<Message> {
    db::exec(
        c,
        "INSERT INTO messages (id, session_id, sender, agent_id, sent_as, display_name, department, body,
             kind, created_at, client_timestamp, session_seq, attachments)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        &[
            &m.id,
            &m.session_id,
            &m.sender,
            &m.agent_id,
            &m.sent_as,
            &m.display_name,
            &m.department,
            &m.body,
            &m.kind,
            &m.created_at,
            &m.client_timestamp,
            &m.seq,
            &super::attachments::encode_list(m.attachments),
        ],
    )
    .await?;
    Ok(Message {
        seq: m.seq,
        id: m.id.to_string(),
        session_id: m.session_id.to_string(),
        sender: m.sender,
        agent_id: m.agent_id.map(str::to_string),
        sent_as: m.sent_as,
        display_name: m.display_name.map(str::to_string),
        department: m.department.map(str::to_string),
        body: m.body.to_string(),
        kind: m.kind,
        created_at: m.created_at,
        client_timestamp: m.client_timestamp.map(str::to_string),
        delivered_at: None,
        read_at: None,
        attachments: m.attachments.to_vec(),
    })
}

pub(crate) async fn find(
    c: &impl GenericClient,
    session_id: &str,
    id: &str,
) -> Result<Option<Message>> {
    db::row_opt(
        c,
        &format!("SELECT {COLUMNS} FROM messages WHERE session_id = $1 AND id = $2"),
        &[&session_id, &id],
    )
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}

pub(crate) async fn seq_of(
    c: &impl GenericClient,
    session_id: &str,
    id: &str,
) -> Result<Option<i64>> {
    db::row_opt(
        c,
        "SELECT session_seq FROM messages WHERE session_id = $1 AND id = $2",
        &[&session_id, &id],
    )
    .await?
    .map(|r| r.try_get(0))
    .transpose()
    .map_err(Into::into)
}

/// Up to `limit` messages with a sequence above `after_seq`, in order.
pub(crate) async fn after(
    c: &impl GenericClient,
    session_id: &str,
    after_seq: i64,
    limit: i64,
) -> Result<Vec<Message>> {
    let rows = db::rows(
        c,
        &format!(
            "SELECT {COLUMNS} FROM messages WHERE session_id = $1 AND session_seq > $2
             ORDER BY session_seq LIMIT $3"
        ),
        &[&session_id, &after_seq, &limit],
    )
    .await?;
    messages_of(&rows)
}

/// One page of the transcript, oldest first.
pub(crate) async fn page(
    c: &impl GenericClient,
    session_id: &str,
    offset: i64,
    limit: i64,
) -> Result<Vec<Message>> {
    let rows = db::rows(
        c,
        &format!(
            "SELECT {COLUMNS} FROM messages WHERE session_id = $1 ORDER BY session_seq
             LIMIT $2 OFFSET $3"
        ),
        &[&session_id, &limit, &offset],
    )
    .await?;
    messages_of(&rows)
}

pub(crate) async fn count(c: &impl GenericClient, session_id: &str) -> Result<i64> {
    Ok(db::row(
        c,
        "SELECT COUNT(*) FROM messages WHERE session_id = $1",
        &[&session_id],
    )
    .await?
    .try_get(0)?)
}

pub(crate) async fn last(c: &impl GenericClient, session_id: &str) -> Result<Option<Message>> {
    db::row_opt(
        c,
        &format!(
            "SELECT {COLUMNS} FROM messages WHERE session_id = $1 ORDER BY session_seq DESC LIMIT 1"
        ),
        &[&session_id],
    )
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// The newest agent message (what the user last saw of support), for `adminInfo`.
pub(crate) async fn last_from_agent(
    c: &impl GenericClient,
    session_id: &str,
) -> Result<Option<Message>> {
    db::row_opt(
        c,
        &format!(
            "SELECT {COLUMNS} FROM messages WHERE session_id = $1 AND sender = 'admin'
             ORDER BY session_seq DESC LIMIT 1"
        ),
        &[&session_id],
    )
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// Marks agent messages up to `up_to_seq` delivered; returns how many changed.
pub(crate) async fn mark_delivered(
    c: &impl GenericClient,
    session_id: &str,
    up_to_seq: i64,
    at: Timestamp,
) -> Result<usize> {
    let changed = db::exec(
        c,
        "UPDATE messages SET delivered_at = $3
         WHERE session_id = $1 AND session_seq <= $2 AND sender = 'admin' AND delivered_at IS NULL",
        &[&session_id, &up_to_seq, &at],
    )
    .await?;
    Ok(usize::try_from(changed).unwrap_or(usize::MAX))
}

/// Marks the messages `author` sent up to `up_to_seq` read (and delivered, if they were not):
/// an agent's messages when the user reads, the user's when an agent does.
pub(crate) async fn mark_read(
    c: &impl GenericClient,
    session_id: &str,
    author: Sender,
    up_to_seq: i64,
    at: Timestamp,
) -> Result<usize> {
    let changed = db::exec(
        c,
        "UPDATE messages SET read_at = $3, delivered_at = COALESCE(delivered_at, $3)
         WHERE session_id = $1 AND session_seq <= $2 AND sender = $4 AND read_at IS NULL",
        &[&session_id, &up_to_seq, &at, &author],
    )
    .await?;
    Ok(usize::try_from(changed).unwrap_or(usize::MAX))
}

/// The newest message's sequence and id.
pub(crate) async fn latest(
    c: &impl GenericClient,
    session_id: &str,
) -> Result<Option<(i64, String)>> {
    db::row_opt(
        c,
        "SELECT session_seq, id FROM messages WHERE session_id = $1
         ORDER BY session_seq DESC LIMIT 1",
        &[&session_id],
    )
    .await?
    .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
    .transpose()
}

/// The id of the user's newest message at or below `seq`.
pub(crate) async fn last_user_message_up_to(
    c: &impl GenericClient,
    session_id: &str,
    seq: i64,
) -> Result<Option<String>> {
    db::row_opt(
        c,
        "SELECT id FROM messages WHERE session_id = $1 AND session_seq <= $2 AND sender = 'user'
         ORDER BY session_seq DESC LIMIT 1",
        &[&session_id, &seq],
    )
    .await?
    .map(|r| r.try_get(0))
    .transpose()
    .map_err(Into::into)
}

/// Every message of a session, in order (the agent's transcript view).
pub(crate) async fn all(c: &impl GenericClient, session_id: &str) -> Result<Vec<Message>> {
    let rows = db::rows(
        c,
        &format!("SELECT {COLUMNS} FROM messages WHERE session_id = $1 ORDER BY session_seq"),
        &[&session_id],
    )
    .await?;
    messages_of(&rows)
}

/// Global `seq` values from and to, inclusive.
pub type SeqRange = (i64, i64);

/// How far [`seqs_stamped_between`] widens the times before it looks up their `seq` bounds.
const CLOCK_STEP_MS: i64 = 24 * 60 * 60 * 1000;

/// The `seq` range holding the messages stamped in `[from, until)` (either end open when
/// `None`), from two index lookups: the first message stamped at or after a day before `from`,
/// the last one stamped before a day after `until`. Messages are stored in time order (`seq`
/// grows with the clock), so a reader can seek to this range instead of walking messages
/// outside it; the time filter must still apply exactly inside it. The day's margin covers
/// the server clock stepping back (an NTP correction); a message would be missed only if the
/// clock stepped back while it was stored and no message at all was stored in the margin's
/// day (see docs/decisions.md, "Search").
pub(crate) async fn seqs_stamped_between(
    c: &impl GenericClient,
    from: Option<Timestamp>,
    until: Option<Timestamp>,
) -> Result<SeqRange> {
    let mut range = (i64::MIN, i64::MAX);
    if let Some(from) = from {
        let first = db::row_opt(
            c,
            "SELECT seq FROM messages WHERE created_at >= $1 ORDER BY created_at, seq LIMIT 1",
            &[&from.0.saturating_sub(CLOCK_STEP_MS)],
        )
        .await?;
        range.0 = match first {
            Some(r) => r.try_get(0)?,
            None => i64::MAX,
        };
    }
    if let Some(until) = until {
        let last = db::row_opt(
            c,
            "SELECT seq FROM messages WHERE created_at < $1
             ORDER BY created_at DESC, seq DESC LIMIT 1",
            &[&until.0.saturating_add(CLOCK_STEP_MS)],
        )
        .await?;
        range.1 = match last {
            Some(r) => r.try_get(0)?,
            None => i64::MIN,
        };
    }
    Ok(range)
}
