//! Deleting chats whole: what erasure and retention share. A chat's rows are found through
//! indexes on its id, in every table that holds its content (messages, notes, ratings,
//! uploads, labels, queued webhooks, emails and pushes, the search indexes through their
//! triggers); audit events keep that something happened to the chat, not what it said.

use rusqlite::{Connection, params};

use crate::error::Result;

/// What deleting chats removed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Removed {
    /// The chats deleted: those of the ids asked for that still existed.
    pub session_ids: Vec<String>,
    pub messages: u64,
    /// Hashes of stored files no remaining upload uses: their rows are gone, the caller
    /// removes the files at the end of the same unit of work.
    pub unused_files: Vec<String>,
}

/// Deletes the chats `ids` (a JSON array of session ids, so any number binds as one value)
/// with everything in them; ids of chats that are gone already (erased or deleted since the
/// caller looked) are passed over and not counted.
pub fn remove_chats(conn: &Connection, ids: &[String]) -> Result<Removed> {
    if ids.is_empty() {
        return Ok(Removed::default());
    }
    let ids = serde_json::to_string(ids).expect("a list of strings serializes");
    let session_ids: Vec<String> = conn
        .prepare_cached(
            "SELECT id FROM sessions WHERE id IN (SELECT value FROM json_each(?1)) ORDER BY id",
        )?
        .query_map([&ids], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    if session_ids.is_empty() {
        return Ok(Removed::default());
    }
    let run = |sql: &str| -> Result<u64> { Ok(conn.prepare_cached(sql)?.execute([&ids])? as u64) };
    const IN_IDS: &str = "(SELECT value FROM json_each(?1))";
    // An erased chat may still be going on: its agent's load must drop with it, as an end
    // would have done.
    run(&format!(
        "UPDATE agents SET active_chats = active_chats - (
             SELECT COUNT(*) FROM sessions s WHERE s.assigned_agent_id = agents.id
             AND s.status = 'active' AND s.id IN {IN_IDS})
         WHERE id IN (SELECT assigned_agent_id FROM sessions
                      WHERE status = 'active' AND id IN {IN_IDS})"
    ))?;
    let files = file_hashes(conn, &ids)?;
    let messages = run(&format!(
        "DELETE FROM messages WHERE session_id IN {IN_IDS}"
    ))?;
    for table in [
        "notes",
        "ratings",
        "attachments",
        "chat_labels",
        "outbox_events",
        "webhook_deliveries",
        "email_outbox",
        "push_outbox",
    ] {
        run(&format!("DELETE FROM {table} WHERE session_id IN {IN_IDS}"))?;
    }
    run(&format!(
        "UPDATE audit_events SET detail = NULL WHERE session_id IN {IN_IDS} AND detail IS NOT NULL"
    ))?;
    run(&format!("DELETE FROM sessions WHERE id IN {IN_IDS}"))?;
    Ok(Removed {
        session_ids,
        messages,
        unused_files: drop_unused_blobs(conn, &files)?,
    })
}

/// The files (and thumbnails) the chats' uploads point at, as a JSON array.
fn file_hashes(conn: &Connection, ids: &str) -> Result<String> {
    let hashes: Vec<String> = conn
        .prepare_cached(
            "SELECT blob_hash FROM attachments WHERE session_id IN (SELECT value FROM json_each(?1))
             UNION
             SELECT thumbnail_hash FROM attachments
             WHERE session_id IN (SELECT value FROM json_each(?1)) AND thumbnail_hash IS NOT NULL",
        )?
        .query_map([ids], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(serde_json::to_string(&hashes).expect("a list of strings serializes"))
}

/// Deletes the rows of the files in `hashes` that no upload uses any more; answers them.
fn drop_unused_blobs(conn: &Connection, hashes: &str) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "DELETE FROM blobs WHERE hash IN (SELECT value FROM json_each(?1))
           AND NOT EXISTS (SELECT 1 FROM attachments a WHERE a.blob_hash = blobs.hash)
           AND NOT EXISTS (SELECT 1 FROM attachments a WHERE a.thumbnail_hash = blobs.hash)
         RETURNING hash",
    )?;
    let gone = stmt
        .query_map(params![hashes], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(gone)
}
