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

/// How deleted text leaves the search indexes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SearchErasure {
    /// At once (FTS5 `secure-delete`): an erased person's words are nowhere in the file. It
    /// rewrites index pages for every word, about a millisecond per message on a
    /// 10,000,000-message index.
    AtOnce,
    /// When FTS5 next merges the index segments they sit in: what retention's bulk deletes
    /// use, so a batch of 200 chats holds the writer for tens of milliseconds, not seconds.
    AtNextMerge,
}

/// The search indexes whose `secure-delete` [`SearchErasure::AtNextMerge`] turns off for one
/// unit of work.
const SEARCH_INDEXES: [&str; 2] = ["message_search", "doc_search"];

fn set_secure_delete(conn: &Connection, on: bool) -> Result<()> {
    for index in SEARCH_INDEXES {
        conn.prepare_cached(&format!(
            "INSERT INTO {index} ({index}, rank) VALUES ('secure-delete', ?1)"
        ))?
        .execute([i64::from(on)])?;
    }
    Ok(())
}

/// Deletes the chats `ids` (a JSON array of session ids, so any number binds as one value)
/// with everything in them; ids of chats that are gone already (erased or deleted since the
/// caller looked) are passed over and not counted.
pub fn remove_chats(conn: &Connection, ids: &[String], search: SearchErasure) -> Result<Removed> {
    if search == SearchErasure::AtOnce {
        return remove_chat_rows(conn, ids);
    }
    // FTS5 applies a table's deletes when the next statement begins, so the deletes happen
    // with the setting off, and turning it back on (inside the same transaction, so a failure
    // rolls both back) leaves every later delete secure.
    set_secure_delete(conn, false)?;
    let removed = remove_chat_rows(conn, ids)?;
    set_secure_delete(conn, true)?;
    Ok(removed)
}

fn remove_chat_rows(conn: &Connection, ids: &[String]) -> Result<Removed> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn secure_delete(c: &Connection, index: &str) -> i64 {
        c.query_row(
            &format!("SELECT v FROM {index}_config WHERE k = 'secure-delete'"),
            [],
            |r| r.get(0),
        )
        .unwrap()
    }

    #[test]
    fn bulk_deletes_leave_the_indexes_secure_for_the_next_erasure() {
        let mut c = super::super::migrate::in_memory();
        c.execute_batch(
            "INSERT INTO sessions (id, user_id, user_name, created_at, last_activity_at)
                 VALUES ('s1', 'u1', 'Zoë', 1, 1), ('s2', 'u2', 'Ann', 1, 1);
             INSERT INTO messages (id, session_id, sender, body, created_at)
                 VALUES ('m1', 's1', 'user', 'old words', 2), ('m2', 's2', 'user', 'kept', 2);",
        )
        .unwrap();
        assert_eq!(
            super::super::search_index::index_waiting(&c, 10).unwrap(),
            2
        );
        let tx = c.transaction().unwrap();
        let removed = remove_chats(&tx, &["s1".into()], SearchErasure::AtNextMerge).unwrap();
        tx.commit().unwrap();
        assert_eq!((removed.session_ids.len(), removed.messages), (1, 1));
        for index in SEARCH_INDEXES {
            assert_eq!(secure_delete(&c, index), 1, "{index} is secure again");
        }
        let found: i64 = c
            .query_row(
                "SELECT COUNT(*) FROM message_search WHERE message_search MATCH 'words'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(found, 0, "the deleted message is not found");
    }
}
