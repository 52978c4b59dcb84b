//! Deleting chats whole: what erasure and retention share. A chat's rows are found through
//! indexes on its id, in every table that holds its content (messages, notes, ratings,
//! uploads, labels, queued webhooks, emails and pushes); audit events keep that something
//! happened to the chat, not what it said.
//!
//! Search needs nothing of its own here: the words are the `search_words` column of the very
//! rows deleted (`messages`, and the `search_docs` rows of the chat's customer and notes, which
//! the triggers delete with the session and the notes), so a committed deletion leaves no
//! query able to find them, for erasure and retention alike (SQLite's FTS5 needs its
//! `secure-delete` setting for that). Deleted rows and their index entries remain in the
//! table and index files as dead tuples until VACUUM (autovacuum, soon after a large delete)
//! reclaims the space; the bytes themselves can survive in freed pages, in the WAL and in
//! backups until those are overwritten or expire.

use deadpool_postgres::GenericClient;

use super::db;
use crate::error::Result;

/// What deleting chats removed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Removed {
    /// The chats deleted: those of the ids asked for that still existed.
    pub session_ids: Vec<String>,
    pub messages: u64,
    /// Hashes of stored files no remaining upload uses: their rows are gone, the caller
    /// removes the files once the unit of work has committed.
    pub unused_files: Vec<String>,
}

/// The tables whose rows of a chat go with it, besides its messages and the session itself.
const CHAT_TABLES: [&str; 8] = [
    "notes",
    "ratings",
    "attachments",
    "chat_labels",
    "outbox_events",
    "webhook_deliveries",
    "email_outbox",
    "push_outbox",
];

/// Deletes the chats `ids` with everything in them; ids of chats that are gone already
/// (erased or deleted since the caller looked) are passed over and not counted.
pub(crate) async fn remove_chats(c: &impl GenericClient, ids: &[String]) -> Result<Removed> {
    if ids.is_empty() {
        return Ok(Removed::default());
    }
    // Byte order, as SQLite sorts text, whatever the database's collation.
    let session_ids: Vec<String> = db::rows(
        c,
        r#"SELECT id FROM sessions WHERE id = ANY($1) ORDER BY id COLLATE "C""#,
        &[&ids],
    )
    .await?
    .iter()
    .map(|r| r.try_get(0))
    .collect::<Result<_, _>>()?;
    if session_ids.is_empty() {
        return Ok(Removed::default());
    }
    let ids = &session_ids;
    // An erased chat may still be going on: its agent's load must drop with it, as an end
    // would have done.
    db::exec(
        c,
        "UPDATE agents SET active_chats = active_chats - (
             SELECT COUNT(*) FROM sessions s WHERE s.assigned_agent_id = agents.id
             AND s.status = 'active' AND s.id = ANY($1))
         WHERE id IN (SELECT assigned_agent_id FROM sessions
                      WHERE status = 'active' AND id = ANY($1))",
        &[ids],
    )
    .await?;
    let files = file_hashes(c, ids).await?;
    let messages = db::exec(c, "DELETE FROM messages WHERE session_id = ANY($1)", &[ids]).await?;
    for table in CHAT_TABLES {
        let sql = format!("DELETE FROM {table} WHERE session_id = ANY($1)");
        db::exec(c, &sql, &[ids]).await?;
    }
    db::exec(
        c,
        "UPDATE audit_events SET detail = NULL WHERE session_id = ANY($1) AND detail IS NOT NULL",
        &[ids],
    )
    .await?;
    db::exec(c, "DELETE FROM sessions WHERE id = ANY($1)", &[ids]).await?;
    Ok(Removed {
        unused_files: drop_unused_blobs(c, &files).await?,
        session_ids,
        messages,
    })
}

/// The files (and thumbnails) the chats' uploads point at.
async fn file_hashes(c: &impl GenericClient, ids: &[String]) -> Result<Vec<String>> {
    Ok(db::rows(
        c,
        "SELECT blob_hash FROM attachments WHERE session_id = ANY($1)
         UNION
         SELECT thumbnail_hash FROM attachments
         WHERE session_id = ANY($1) AND thumbnail_hash IS NOT NULL",
        &[&ids],
    )
    .await?
    .iter()
    .map(|r| r.try_get(0))
    .collect::<Result<_, _>>()?)
}

/// Deletes the rows of the files in `hashes` that no upload uses any more; answers them.
async fn drop_unused_blobs(c: &impl GenericClient, hashes: &[String]) -> Result<Vec<String>> {
    if hashes.is_empty() {
        return Ok(Vec::new());
    }
    Ok(db::rows(
        c,
        "DELETE FROM blobs WHERE hash = ANY($1)
           AND NOT EXISTS (SELECT 1 FROM attachments a WHERE a.blob_hash = blobs.hash)
           AND NOT EXISTS (SELECT 1 FROM attachments a WHERE a.thumbnail_hash = blobs.hash)
         RETURNING hash",
        &[&hashes],
    )
    .await?
    .iter()
    .map(|r| r.try_get(0))
    .collect::<Result<_, _>>()?)
}
