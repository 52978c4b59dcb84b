//! [`ExportStore`] on PostgreSQL. A range export reads messages by their global `seq` (the
//! order they were stored in, and the table's own key), one short read per batch, so it never
//! holds a snapshot open for the whole range. A `seq` is taken when a message is inserted and
//! becomes visible when its transaction commits, so with several writers a message can
//! appear behind one already exported: the export has passed its place, and it is not in it.

use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use tokio_postgres::{IsolationLevel, Row};

use super::chat::agent::chat_record;
use super::{PgStore, attachments, db, emails, messages, pushes, sessions};
use crate::domain::export::ExportRange;
use crate::error::Result;
use crate::store::ExportStore;
use crate::store::export::{Person, PersonChat, PersonRecord, RangeCursor, RangeMessage};

#[async_trait]
impl ExportStore for PgStore {
    async fn messages_in_range(
        &self,
        range: ExportRange,
        after: Option<RangeCursor>,
        limit: usize,
    ) -> Result<Vec<RangeMessage>> {
        let c = self.reader().await?;
        messages_in_range(&c, range, after, limit).await
    }

    async fn person_record(&self, person: Person) -> Result<PersonRecord> {
        let mut c = self.reader().await?;
        // One snapshot, so the chats, devices and emails are one point in time.
        let tx = c
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await?;
        let record = person_record(&tx, &person).await?;
        tx.commit().await?;
        Ok(record)
    }
}

async fn messages_in_range(
    c: &impl GenericClient,
    range: ExportRange,
    after: Option<RangeCursor>,
    limit: usize,
) -> Result<Vec<RangeMessage>> {
    let (first, last) =
        messages::seqs_stamped_between(c, Some(range.from), Some(range.until)).await?;
    // Past the cursor, inside the seq bounds; the stamps still decide exactly.
    let above = after.map_or(first.saturating_sub(1), |c| {
        c.0.max(first.saturating_sub(1))
    });
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = db::rows(
        c,
        "SELECT m.seq, m.session_id, s.user_id, s.channel, m.session_seq, m.id, m.sender,
                m.agent_id, a.name, m.display_name, m.body, m.created_at, m.attachments
         FROM messages m
         JOIN sessions s ON s.id = m.session_id
         LEFT JOIN agents a ON a.id = m.agent_id
         WHERE m.seq > $1 AND m.seq <= $2 AND m.created_at >= $3 AND m.created_at < $4
         ORDER BY m.seq LIMIT $5",
        &[&above, &last, &range.from, &range.until, &limit],
    )
    .await?;
    rows.iter().map(range_message).collect()
}

fn range_message(r: &Row) -> Result<RangeMessage> {
    let session_id: String = r.try_get(1)?;
    let files = attachments::decode_list(&session_id, r.try_get(12)?)?;
    Ok(RangeMessage {
        cursor: RangeCursor(r.try_get(0)?),
        user_id: r.try_get(2)?,
        channel: r.try_get(3)?,
        seq: r.try_get(4)?,
        message_id: r.try_get(5)?,
        sender: r.try_get(6)?,
        agent_id: r.try_get(7)?,
        agent_name: r.try_get(8)?,
        shown_as: r.try_get(9)?,
        body: r.try_get(10)?,
        created_at: r.try_get(11)?,
        attachment_names: files.into_iter().map(|f| f.name).collect(),
        session_id,
    })
}

/// Everything about `person`, read through `c` (one snapshot, given by the caller).
async fn person_record(c: &impl GenericClient, person: &Person) -> Result<PersonRecord> {
    let (user_id, is_guest) = match person {
        Person::Id(id) => (id.as_str(), None),
        Person::Owner(owner) => (&*owner.user_id, Some(owner.is_guest)),
    };
    let mut record = PersonRecord {
        push_devices: pushes::devices_of(c, user_id, is_guest).await?,
        ..PersonRecord::default()
    };
    for id in sessions::ids_of_user(c, user_id, is_guest).await? {
        let Some(chat) = chat_record(c, &id).await? else {
            continue;
        };
        record
            .push_notifications
            .extend(pushes::notices_about(c, &id).await?);
        record.emails.extend(emails::about(c, &id).await?);
        record.chats.push(PersonChat {
            record: chat,
            uploads: attachments::in_session(c, &id).await?,
        });
    }
    Ok(record)
}
