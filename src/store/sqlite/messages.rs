//! The `messages` table. `session_seq` orders a session's messages; `(session_id, id)` is unique, which is what
//! makes retried sends idempotent.

use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::domain::{MessageKind, SendAs, Sender, Timestamp};
use crate::error::Result;

use crate::domain::message::Message;

const COLUMNS: &str = "session_seq, id, session_id, sender, agent_id, sent_as, display_name, department, body, kind, \
    created_at, client_timestamp, delivered_at, read_at, attachments";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Message> {
    Ok(Message {
        seq: r.get(0)?,
        id: r.get(1)?,
        session_id: r.get(2)?,
        sender: r.get(3)?,
        agent_id: r.get(4)?,
        sent_as: r.get(5)?,
        display_name: r.get(6)?,
        department: r.get(7)?,
        body: r.get(8)?,
        kind: r.get(9)?,
        created_at: r.get(10)?,
        client_timestamp: r.get(11)?,
        delivered_at: r.get(12)?,
        read_at: r.get(13)?,
        attachments: super::attachments::decode_list(
            r.get_ref(2)?.as_str()?,
            r.get_ref(14)?.as_str_or_null()?,
        )?,
    })
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
pub fn insert(conn: &Connection, m: &NewMessage<'_>) -> rusqlite::Result<Message> {
    conn.prepare_cached(
        "INSERT INTO messages (id, session_id, sender, agent_id, sent_as, display_name, department, body,
             kind, created_at, client_timestamp, session_seq, attachments)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?
    .execute(params![
        m.id,
        m.session_id,
        m.sender,
        m.agent_id,
        m.sent_as,
        m.display_name,
        m.department,
        m.body,
        m.kind,
        m.created_at,
        m.client_timestamp,
        m.seq,
        super::attachments::encode_list(m.attachments)
    ])?;
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

pub fn find(conn: &Connection, session_id: &str, id: &str) -> Result<Option<Message>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM messages WHERE session_id = ?1 AND id = ?2"
        ))?
        .query_row([session_id, id], from_row)
        .optional()?)
}

pub fn seq_of(conn: &Connection, session_id: &str, id: &str) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached("SELECT session_seq FROM messages WHERE session_id = ?1 AND id = ?2")?
        .query_row([session_id, id], |r| r.get(0))
        .optional()?)
}

/// Up to `limit` messages with a sequence above `after_seq`, in order.
pub fn after(
    conn: &Connection,
    session_id: &str,
    after_seq: i64,
    limit: i64,
) -> Result<Vec<Message>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM messages WHERE session_id = ?1 AND session_seq > ?2 ORDER BY session_seq LIMIT ?3"
    ))?;
    let rows = stmt
        .query_map(params![session_id, after_seq, limit], from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// One page of the transcript, oldest first.
pub fn page(conn: &Connection, session_id: &str, offset: i64, limit: i64) -> Result<Vec<Message>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM messages WHERE session_id = ?1 ORDER BY session_seq LIMIT ?2 OFFSET ?3"
    ))?;
    let rows = stmt
        .query_map(params![session_id, limit, offset], from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

pub fn count(conn: &Connection, session_id: &str) -> Result<i64> {
    Ok(conn
        .prepare_cached("SELECT COUNT(*) FROM messages WHERE session_id = ?1")?
        .query_row([session_id], |r| r.get(0))?)
}

pub fn last(conn: &Connection, session_id: &str) -> Result<Option<Message>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM messages WHERE session_id = ?1 ORDER BY session_seq DESC LIMIT 1"
        ))?
        .query_row([session_id], from_row)
        .optional()?)
}

/// The newest agent message (what the user last saw of support), for `adminInfo`.
pub fn last_from_agent(conn: &Connection, session_id: &str) -> Result<Option<Message>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM messages WHERE session_id = ?1 AND sender = 'admin' ORDER BY session_seq DESC LIMIT 1"
        ))?
        .query_row([session_id], from_row)
        .optional()?)
}

/// Marks agent messages up to `up_to_seq` delivered; returns how many changed.
pub fn mark_delivered(
    conn: &Connection,
    session_id: &str,
    up_to_seq: i64,
    at: Timestamp,
) -> Result<usize> {
    Ok(conn
        .prepare_cached(
            "UPDATE messages SET delivered_at = ?3
             WHERE session_id = ?1 AND session_seq <= ?2 AND sender = 'admin' AND delivered_at IS NULL",
        )?
        .execute(params![session_id, up_to_seq, at])?)
}

/// Marks the messages `author` sent up to `up_to_seq` read (and delivered, if they were not):
/// an agent's messages when the user reads, the user's when an agent does.
pub fn mark_read(
    conn: &Connection,
    session_id: &str,
    author: Sender,
    up_to_seq: i64,
    at: Timestamp,
) -> Result<usize> {
    Ok(conn
        .prepare_cached(
            "UPDATE messages SET read_at = ?3, delivered_at = COALESCE(delivered_at, ?3)
             WHERE session_id = ?1 AND session_seq <= ?2 AND sender = ?4 AND read_at IS NULL",
        )?
        .execute(params![session_id, up_to_seq, at, author])?)
}

/// The newest message's sequence and id.
pub fn latest(conn: &Connection, session_id: &str) -> Result<Option<(i64, String)>> {
    Ok(conn
        .prepare_cached(
            "SELECT session_seq, id FROM messages WHERE session_id = ?1 ORDER BY session_seq DESC LIMIT 1",
        )?
        .query_row([session_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

/// The id of the user's newest message at or below `seq`.
pub fn last_user_message_up_to(
    conn: &Connection,
    session_id: &str,
    seq: i64,
) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached(
            "SELECT id FROM messages WHERE session_id = ?1 AND session_seq <= ?2 AND sender = 'user'
             ORDER BY session_seq DESC LIMIT 1",
        )?
        .query_row(params![session_id, seq], |r| r.get(0))
        .optional()?)
}

/// Every message of a session, in order (the agent's transcript view).
pub fn all(conn: &Connection, session_id: &str) -> Result<Vec<Message>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM messages WHERE session_id = ?1 ORDER BY session_seq"
    ))?;
    let rows = stmt
        .query_map([session_id], from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
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
pub fn seqs_stamped_between(
    c: &Connection,
    from: Option<Timestamp>,
    until: Option<Timestamp>,
) -> Result<SeqRange> {
    let mut range = (i64::MIN, i64::MAX);
    if let Some(from) = from {
        let first: Option<i64> = c
            .prepare_cached(
                "SELECT seq FROM messages WHERE created_at >= ?1 ORDER BY created_at, seq LIMIT 1",
            )?
            .query_row([from.0.saturating_sub(CLOCK_STEP_MS)], |r| r.get(0))
            .optional()?;
        range.0 = first.unwrap_or(i64::MAX);
    }
    if let Some(until) = until {
        let last: Option<i64> = c
            .prepare_cached(
                "SELECT seq FROM messages WHERE created_at < ?1
                 ORDER BY created_at DESC, seq DESC LIMIT 1",
            )?
            .query_row([until.0.saturating_add(CLOCK_STEP_MS)], |r| r.get(0))
            .optional()?;
        range.1 = last.unwrap_or(i64::MIN);
    }
    Ok(range)
}
