//! [`ExportStore`] on SQLite. A range export reads messages by their global `seq` (the order
//! they were stored in, and the table's own key), one short read per batch, so it never holds
//! a snapshot open for the whole range and never blocks the writer (WAL readers do not).

use async_trait::async_trait;
use rusqlite::{Connection, Row, params};

use super::chat::agent::chat_record;
use super::{SqliteStore, attachments, emails, messages, pushes, sessions};
use crate::domain::export::ExportRange;
use crate::error::Result;
use crate::store::ExportStore;
use crate::store::export::{Person, PersonChat, PersonRecord, RangeCursor, RangeMessage};

#[async_trait]
impl ExportStore for SqliteStore {
    async fn messages_in_range(
        &self,
        range: ExportRange,
        after: Option<RangeCursor>,
        limit: usize,
    ) -> Result<Vec<RangeMessage>> {
        self.read(move |c| messages_in_range(c, range, after, limit))
            .await
    }

    async fn person_record(&self, person: Person) -> Result<PersonRecord> {
        self.read(move |c| person_record(c, &person)).await
    }
}

fn messages_in_range(
    c: &Connection,
    range: ExportRange,
    after: Option<RangeCursor>,
    limit: usize,
) -> Result<Vec<RangeMessage>> {
    let (first, last) = messages::seqs_stamped_between(c, Some(range.from), Some(range.until))?;
    // Past the cursor, inside the seq bounds; the stamps still decide exactly.
    let above = after.map_or(first.saturating_sub(1), |c| {
        c.0.max(first.saturating_sub(1))
    });
    let mut stmt = c.prepare_cached(
        "SELECT m.seq, m.session_id, s.user_id, s.channel, m.session_seq, m.id, m.sender,
                m.agent_id, a.name, m.display_name, m.body, m.created_at, m.attachments
         FROM messages m
         JOIN sessions s ON s.id = m.session_id
         LEFT JOIN agents a ON a.id = m.agent_id
         WHERE m.seq > ?1 AND m.seq <= ?2 AND m.created_at >= ?3 AND m.created_at < ?4
         ORDER BY m.seq LIMIT ?5",
    )?;
    let rows = stmt
        .query_map(
            params![
                above,
                last,
                range.from,
                range.until,
                i64::try_from(limit).unwrap_or(i64::MAX)
            ],
            range_message,
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

fn range_message(r: &Row<'_>) -> rusqlite::Result<RangeMessage> {
    let session_id: String = r.get(1)?;
    let files = attachments::decode_list(&session_id, r.get_ref(12)?.as_str_or_null()?)?;
    Ok(RangeMessage {
        cursor: RangeCursor(r.get(0)?),
        user_id: r.get(2)?,
        channel: r.get(3)?,
        seq: r.get(4)?,
        message_id: r.get(5)?,
        sender: r.get(6)?,
        agent_id: r.get(7)?,
        agent_name: r.get(8)?,
        shown_as: r.get(9)?,
        body: r.get(10)?,
        created_at: r.get(11)?,
        attachment_names: files.into_iter().map(|f| f.name).collect(),
        session_id,
    })
}

/// One read transaction, so the chats, devices and emails are one point in time.
fn person_record(c: &Connection, person: &Person) -> Result<PersonRecord> {
    let tx = c.unchecked_transaction()?;
    let (user_id, is_guest) = match person {
        Person::Id(id) => (id.as_str(), None),
        Person::Owner(owner) => (&*owner.user_id, Some(owner.is_guest)),
    };
    let mut record = PersonRecord {
        push_devices: pushes::devices_of(&tx, user_id, is_guest)?,
        ..PersonRecord::default()
    };
    for id in sessions::ids_of_user(&tx, user_id, is_guest)? {
        let Some(chat) = chat_record(&tx, &id)? else {
            continue;
        };
        record
            .push_notifications
            .extend(pushes::notices_about(&tx, &id)?);
        record.emails.extend(emails::about(&tx, &id)?);
        record.chats.push(PersonChat {
            record: chat,
            uploads: attachments::in_session(&tx, &id)?,
        });
    }
    tx.finish()?;
    Ok(record)
}
