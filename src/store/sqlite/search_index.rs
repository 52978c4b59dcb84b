//! Keeps the message search index (FTS5, migrations 11 and 14) behind the messages table: a
//! send commits without the index's cost, and the writer adds what came since between its
//! batches, many messages to one transaction, where FTS5 writes one segment for all of them.
//! A search first indexes whatever still waits, so it finds every message sent before it.

use std::time::{Duration, Instant};

use rusqlite::{Connection, params};

use super::SqliteStore;
use super::writer::Upkeep;
use crate::error::Result;

/// Most messages indexed in one transaction: a few milliseconds of the writer's time, so a
/// batch of sends queued behind it waits no longer than that.
pub const ROWS_PER_RUN: i64 = 1000;

/// A backlog smaller than a full run waits at most this long for more to join it.
const MOST_LAG: Duration = Duration::from_millis(200);

/// Indexes up to `max` messages after the index's mark and moves the mark past them, in the
/// caller's transaction; answers how many were indexed.
pub fn index_waiting(conn: &Connection, max: i64) -> Result<usize> {
    let (mark, _) = progress(conn)?;
    let last: Option<i64> = conn
        .prepare_cached(
            "SELECT MAX(seq) FROM (SELECT seq FROM messages WHERE seq > ?1 ORDER BY seq LIMIT ?2)",
        )?
        .query_row(params![mark, max], |r| r.get(0))?;
    let Some(last) = last else {
        return Ok(0);
    };
    let indexed = conn
        .prepare_cached(
            "INSERT INTO message_search (rowid, body)
             SELECT seq, body FROM messages WHERE seq > ?1 AND seq <= ?2",
        )?
        .execute(params![mark, last])?;
    conn.prepare_cached("UPDATE search_progress SET indexed_seq = ?1")?
        .execute([last])?;
    Ok(indexed)
}

/// About how many messages wait to be indexed (seqs a rolled-back send skipped count too).
pub fn waiting(conn: &Connection) -> Result<i64> {
    let (mark, newest) = progress(conn)?;
    Ok((newest - mark).max(0))
}

/// The last message seq the index holds, and the newest message's seq, read in one statement.
fn progress(conn: &Connection) -> Result<(i64, i64)> {
    Ok(conn
        .prepare_cached(
            "SELECT indexed_seq, (SELECT COALESCE(MAX(seq), 0) FROM messages) FROM search_progress",
        )?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))?)
}

/// The writer's part: after a batch (or a quiet spell), index a full run's worth as soon as it
/// has gathered, or whatever waits once it has waited [`MOST_LAG`].
pub struct SearchIndexer {
    last_run: Instant,
}

impl SearchIndexer {
    pub fn new() -> SearchIndexer {
        SearchIndexer {
            last_run: Instant::now(),
        }
    }

    fn run_once(conn: &Connection) -> Result<()> {
        conn.execute_batch("BEGIN IMMEDIATE")?;
        let done =
            index_waiting(conn, ROWS_PER_RUN).and_then(|_| Ok(conn.execute_batch("COMMIT")?));
        if done.is_err() {
            // A transaction left open would refuse the writer's next batch.
            let _ = conn.execute_batch("ROLLBACK");
        }
        done
    }
}

impl Upkeep for SearchIndexer {
    fn run(&mut self, conn: &Connection) {
        let due = match waiting(conn) {
            Ok(n) => n >= ROWS_PER_RUN || (n > 0 && self.last_run.elapsed() >= MOST_LAG),
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the search index's backlog");
                false
            }
        };
        if !due {
            return;
        }
        // Nobody waits for this transaction: the next batch's flush makes it durable, and a
        // crash before that leaves the messages to be indexed again.
        if let Err(e) = SearchIndexer::run_once(conn) {
            tracing::warn!(error = %e, "indexing messages for search failed");
        }
        self.last_run = Instant::now();
    }
}

impl SqliteStore {
    /// Indexes every message stored before the call, a run at a time between other writes:
    /// what a search does first, and what a bulk load calls when it is done. Messages sent
    /// meanwhile are not waited for: under steady sends there would always be more.
    pub async fn catch_up_search_index(&self) -> Result<()> {
        // Opened read-only beside a server: that server's writer keeps the index.
        if self.writer.is_none() {
            return Ok(());
        }
        let (mut mark, newest) = self.read(progress).await?;
        while mark < newest {
            let (indexed, moved_to) = self
                .write(|c| Ok((index_waiting(c, ROWS_PER_RUN)?, progress(c)?.0)))
                .await?;
            // None left after the mark: the newest were deleted before they were indexed.
            if indexed == 0 {
                break;
            }
            mark = moved_to;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn database() -> Connection {
        let c = super::super::migrate::in_memory();
        c.execute_batch(
            "INSERT INTO sessions (id, user_id, created_at, last_activity_at)
                 VALUES ('s1', 'u1', 1, 1);",
        )
        .unwrap();
        c
    }

    fn send(c: &Connection, id: &str, body: &str) {
        c.execute(
            "INSERT INTO messages (id, session_id, sender, body, created_at, session_seq)
             VALUES (?1, 's1', 'user', ?2, 2,
                     (SELECT COALESCE(MAX(session_seq), 0) + 1 FROM messages))",
            params![id, body],
        )
        .unwrap();
    }

    /// [`send`] as a write job of `store`'s writer.
    async fn send_through(store: &SqliteStore, id: String, body: &'static str) {
        store
            .write(move |c| {
                send(c, &id, body);
                Ok(())
            })
            .await
            .unwrap();
    }

    fn found(c: &Connection, word: &str) -> Vec<String> {
        c.prepare(
            "SELECT m.id FROM message_search JOIN messages m ON m.seq = message_search.rowid
             WHERE message_search MATCH ?1 ORDER BY m.seq",
        )
        .unwrap()
        .query_map([word], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
    }

    fn integrity(c: &Connection) -> String {
        c.query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn messages_are_indexed_in_order_a_run_at_a_time() {
        let c = database();
        for i in 0..5 {
            send(&c, &format!("m{i}"), &format!("parcel number{i}"));
        }
        assert_eq!(waiting(&c).unwrap(), 5);
        assert!(found(&c, "parcel").is_empty(), "a send does not index");
        assert_eq!(index_waiting(&c, 3).unwrap(), 3);
        assert_eq!(found(&c, "parcel"), ["m0", "m1", "m2"]);
        assert_eq!(waiting(&c).unwrap(), 2);
        assert_eq!(index_waiting(&c, 3).unwrap(), 2);
        assert_eq!(index_waiting(&c, 3).unwrap(), 0, "nothing is indexed twice");
        assert_eq!(found(&c, "parcel").len(), 5);
        assert_eq!(waiting(&c).unwrap(), 0);
        assert_eq!(integrity(&c), "ok");
    }

    #[test]
    fn a_message_changed_or_deleted_before_it_is_indexed_leaves_the_index_whole() {
        let c = database();
        send(&c, "indexed", "kept words");
        assert_eq!(index_waiting(&c, 10).unwrap(), 1);
        send(&c, "edited", "first draft");
        send(&c, "gone", "secret words");
        c.execute_batch(
            "UPDATE messages SET body = 'second draft' WHERE id = 'edited';
             DELETE FROM messages WHERE id = 'gone';",
        )
        .unwrap();
        assert_eq!(integrity(&c), "ok", "nothing was deleted from the index");
        assert_eq!(index_waiting(&c, 10).unwrap(), 1);
        assert_eq!(found(&c, "draft"), ["edited"]);
        assert!(
            found(&c, "first").is_empty(),
            "the body as it is when indexed"
        );
        assert!(found(&c, "secret").is_empty());
        // Indexed messages leave the index when changed or deleted, as before.
        c.execute_batch(
            "UPDATE messages SET body = 'new words' WHERE id = 'indexed';
             DELETE FROM messages WHERE id = 'edited';",
        )
        .unwrap();
        assert!(found(&c, "kept").is_empty());
        assert_eq!(found(&c, "words"), ["indexed"]);
        assert!(found(&c, "draft").is_empty());
        assert_eq!(integrity(&c), "ok");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_catch_up_under_steady_sends_ends_once_the_earlier_messages_are_in() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("frontdesk.db")).unwrap();
        store
            .write(|c| {
                c.execute_batch(
                    "INSERT INTO sessions (id, user_id, created_at, last_activity_at)
                         VALUES ('s1', 'u1', 1, 1);",
                )?;
                Ok(())
            })
            .await
            .unwrap();
        for i in 0..50 {
            send_through(&store, format!("early{i}"), "early words").await;
        }
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (going, sends_go_on) = tokio::sync::oneshot::channel();
        let steady = tokio::spawn({
            let (store, stop) = (store.clone(), stop.clone());
            async move {
                let mut going = Some(going);
                let mut sent = 0;
                while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                    send_through(&store, format!("late{sent}"), "late words").await;
                    sent += 1;
                    if let Some(going) = going.take() {
                        going.send(()).unwrap();
                    }
                }
                sent
            }
        });
        sends_go_on.await.unwrap();
        // A guard against a hang, not a measure: the catch-up takes milliseconds.
        tokio::time::timeout(Duration::from_secs(120), store.catch_up_search_index())
            .await
            .expect("the catch-up ends while sends go on")
            .unwrap();
        let early = store.read(|c| Ok(found(c, "early").len())).await.unwrap();
        assert_eq!(early, 50, "everything sent before the catch-up is indexed");
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
        assert!(steady.await.unwrap() > 0);
    }

    #[test]
    fn the_upkeep_indexes_a_full_run_at_once_and_a_small_backlog_after_a_while() {
        let c = database();
        let mut indexer = SearchIndexer::new();
        send(&c, "m0", "early");
        indexer.run(&c);
        assert_eq!(waiting(&c).unwrap(), 1, "one message waits for company");
        indexer.last_run -= MOST_LAG;
        indexer.run(&c);
        assert_eq!(waiting(&c).unwrap(), 0, "but not for long");
        for i in 0..ROWS_PER_RUN + 5 {
            send(&c, &format!("n{i}"), "busy");
        }
        indexer.run(&c);
        assert_eq!(waiting(&c).unwrap(), 5, "a full run goes at once");
    }
}
