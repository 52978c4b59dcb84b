//! The single writer: one thread owns the only read-write connection and applies write jobs in
//! batches. Whatever queued while the previous commit was syncing goes into the next
//! transaction (group commit), so one fsync acknowledges many writes. Each job runs inside its
//! own SAVEPOINT, so a job that fails leaves the others in the batch untouched. No job's caller
//! hears back before its transaction has committed and the WAL holding it has been flushed to
//! disk; that flush runs on a thread of its own (see [`Flusher`]), so the next batch is already
//! being applied while the previous one is waiting for the disk.

use std::fs::File;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use prometheus_client::metrics::histogram::Histogram;
use rusqlite::Connection;
use tokio::sync::oneshot;

use crate::error::{Error, Result};
use crate::metrics::WriterMetrics;

/// Most jobs in one transaction; bounds the latency a large batch adds to its first job.
const MAX_BATCH: usize = 512;

/// Prepared statements the writer's connection keeps.
const STATEMENT_CACHE: usize = 256;

/// Least time between two WAL checkpoints (see [`Checkpoints`]).
const CHECKPOINT_EVERY: Duration = Duration::from_millis(200);

/// The writer's page cache, in KiB: room for the pages every batch touches (the last leaf of
/// each index per busy session) so they are not read back from the WAL; SQLite's default is 2 MB.
const CACHE_KIB: i64 = 8192;

/// How long a quiet writer waits before running its upkeep anyway.
const QUIET: Duration = Duration::from_millis(250);

/// Work the writer does between batches, in transactions of its own that no caller waits for
/// (checkpoints, the search index). It runs after every batch and after a quiet spell, and
/// decides for itself whether anything is due.
pub trait Upkeep: Send {
    fn run(&mut self, conn: &Connection);
}

trait WriteJob: Send {
    /// Runs the job's statements; false when the job failed and its savepoint must roll back.
    fn run(&mut self, conn: &Connection) -> bool;
    /// Delivers the outcome once the transaction has committed (or failed to).
    fn finish(self: Box<Self>, commit: Result<(), String>);
}

struct Job<F, R> {
    work: Option<F>,
    outcome: Option<Result<R>>,
    reply: oneshot::Sender<Result<R>>,
}

impl<F, R> WriteJob for Job<F, R>
where
    F: FnOnce(&Connection) -> Result<R> + Send,
    R: Send,
{
    fn run(&mut self, conn: &Connection) -> bool {
        let work = self.work.take().expect("a job runs once");
        let outcome = catch_unwind(AssertUnwindSafe(|| work(conn)))
            .unwrap_or_else(|_| Err(Error::internal("write job panicked")));
        let ok = outcome.is_ok();
        self.outcome = Some(outcome);
        ok
    }

    fn finish(self: Box<Self>, commit: Result<(), String>) {
        let outcome = match commit {
            Ok(()) => self
                .outcome
                .unwrap_or_else(|| Err(Error::internal("job never ran"))),
            Err(e) => Err(Error::internal_from("commit failed", e)),
        };
        // The caller may have gone away (client disconnected); the write stands regardless.
        let _ = self.reply.send(outcome);
    }
}

pub struct Writer {
    queue: Mutex<Option<mpsc::Sender<Box<dyn WriteJob>>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Writer {
    /// Starts the writer on `conn`, a read-write connection in WAL mode to a database file;
    /// it reports its batches and flushes to `metrics`, and runs `upkeep` (after its own WAL
    /// checkpoints) between batches.
    pub fn start(
        conn: Connection,
        metrics: WriterMetrics,
        upkeep: Vec<Box<dyn Upkeep>>,
    ) -> Result<Writer> {
        // The file name SQLite itself adds `-wal` to.
        let path = match conn.path() {
            Some(path) if !path.is_empty() => PathBuf::from(path),
            _ => return Err(Error::internal("the writer needs a database file")),
        };
        // Every statement the write jobs use stays prepared; the default cache (16) is smaller
        // than the set a mixed load cycles through, and a miss parses the SQL again.
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        // The commit itself does not wait for the disk; the flusher does, before any reply.
        conn.execute_batch("PRAGMA synchronous = NORMAL;")?;
        let flusher = Flusher::start(&path, metrics.flush_seconds.clone())?;
        let (tx, rx) = mpsc::channel::<Box<dyn WriteJob>>();
        let thread = std::thread::Builder::new()
            .name("frontdesk-writer".into())
            .spawn(move || run_writer(conn, rx, flusher, &metrics, upkeep))
            .map_err(|e| Error::internal_from("cannot start writer thread", e))?;
        Ok(Writer {
            queue: Mutex::new(Some(tx)),
            thread: Mutex::new(Some(thread)),
        })
    }

    pub async fn submit<R, F>(&self, work: F) -> Result<R>
    where
        F: FnOnce(&Connection) -> Result<R> + Send + 'static,
        R: Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job = Box::new(Job {
            work: Some(work),
            outcome: None,
            reply,
        });
        {
            let queue = self.queue.lock().unwrap_or_else(|p| p.into_inner());
            let sender = queue
                .as_ref()
                .ok_or_else(|| Error::internal("the writer has shut down"))?;
            sender
                .send(job)
                .map_err(|_| Error::internal("the writer has stopped"))?;
        }
        answer
            .await
            .map_err(|_| Error::internal("the writer dropped a job"))?
    }
}

impl Drop for Writer {
    /// Closes the queue and waits for the jobs already queued to commit.
    fn drop(&mut self) {
        self.queue.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(thread) = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = thread.join();
        }
    }
}

fn run_writer(
    conn: Connection,
    rx: mpsc::Receiver<Box<dyn WriteJob>>,
    mut flusher: Flusher,
    metrics: &WriterMetrics,
    upkeep: Vec<Box<dyn Upkeep>>,
) {
    let mut upkeep: Vec<Box<dyn Upkeep>> = std::iter::once(Box::new(Checkpoints::new(&conn)) as _)
        .chain(upkeep)
        .collect();
    loop {
        let first = match rx.recv_timeout(QUIET) {
            Ok(job) => job,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                upkeep.iter_mut().for_each(|u| u.run(&conn));
                continue;
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        };
        let mut batch: Vec<Box<dyn WriteJob>> = Vec::with_capacity(MAX_BATCH);
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let started = Instant::now();
        let commit = run_batch(&conn, &mut batch);
        metrics
            .commit_seconds
            .observe(started.elapsed().as_secs_f64());
        metrics.batch_jobs.observe(batch.len() as f64);
        match commit {
            Ok(()) => flusher.deliver_after_flush(batch),
            Err(e) => {
                tracing::error!(error = %e, jobs = batch.len(), "write transaction failed");
                for job in batch {
                    job.finish(Err(e.clone()));
                }
            }
        }
        upkeep.iter_mut().for_each(|u| u.run(&conn));
    }
    flusher.stop();
}

/// Flushes the WAL to disk and only then lets the callers of committed jobs hear back.
///
/// With `synchronous = FULL` SQLite flushes inside COMMIT, and the writer thread sat idle for
/// the disk once per batch. Here COMMIT only writes the WAL (`synchronous = NORMAL`), and this
/// thread flushes the WAL file and delivers the replies, while the writer applies the next
/// batch. One flush covers every batch committed before it started, so under load several
/// batches share one. Power-loss safety is the same as FULL for anything acknowledged; the
/// difference is that other connections may read a commit a few milliseconds before it is on
/// disk (see docs/decisions.md).
struct Flusher {
    committed: Option<mpsc::Sender<Vec<Box<dyn WriteJob>>>>,
    thread: Option<JoinHandle<()>>,
}

impl Flusher {
    fn start(db: &Path, flush_seconds: Histogram) -> Result<Flusher> {
        // fsync applies to the file, whichever descriptor it is called on. The WAL stays (it is
        // reset in place, never replaced) while the writer's connection is open; if SQLite has
        // not made it yet, an empty file is what it would start from.
        let mut wal_path = db.as_os_str().to_owned();
        wal_path.push("-wal");
        let wal = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&wal_path)
            .map_err(|e| Error::internal_from("cannot open the WAL file for flushing", e))?;
        let (committed, batches) = mpsc::channel::<Vec<Box<dyn WriteJob>>>();
        let thread = std::thread::Builder::new()
            .name("frontdesk-flush".into())
            .spawn(move || run_flusher(&wal, &batches, &flush_seconds))
            .map_err(|e| Error::internal_from("cannot start flush thread", e))?;
        Ok(Flusher {
            committed: Some(committed),
            thread: Some(thread),
        })
    }

    fn deliver_after_flush(&self, batch: Vec<Box<dyn WriteJob>>) {
        let Some(committed) = &self.committed else {
            return deliver(batch, Err("the flush thread has stopped".into()));
        };
        // Only a panicked flush thread drops its end: nobody can vouch this batch is on disk.
        if let Err(unsent) = committed.send(batch) {
            tracing::error!("the flush thread has stopped");
            deliver(unsent.0, Err("the flush thread has stopped".into()));
        }
    }

    /// Waits for every committed batch to be flushed and answered.
    fn stop(&mut self) {
        self.committed.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn run_flusher(
    wal: &File,
    batches: &mpsc::Receiver<Vec<Box<dyn WriteJob>>>,
    flush_seconds: &Histogram,
) {
    while let Ok(first) = batches.recv() {
        let mut ready = vec![first];
        ready.extend(batches.try_iter());
        let started = Instant::now();
        let flushed = wal.sync_data().map_err(|e| {
            tracing::error!(error = %e, "flushing the WAL failed");
            format!("flushing the WAL failed: {e}")
        });
        flush_seconds.observe(started.elapsed().as_secs_f64());
        for batch in ready {
            deliver(batch, flushed.clone());
        }
    }
}

fn deliver(batch: Vec<Box<dyn WriteJob>>, outcome: Result<(), String>) {
    for job in batch {
        job.finish(outcome.clone());
    }
}

/// Checkpoints the WAL on the writer's own schedule. SQLite's automatic checkpoint runs inside
/// the COMMIT that crosses 1,000 WAL pages, which under load was every second or third batch:
/// its page copies and two extra fsyncs delayed every reply of that batch. Here it runs after
/// the batch's callers have their answers, and at most every [`CHECKPOINT_EVERY`], so a page
/// rewritten by many batches (an index's last leaf) is copied once. Durability is the
/// commit's fsync of the WAL either way.
struct Checkpoints {
    last: Instant,
}

impl Checkpoints {
    fn new(conn: &Connection) -> Checkpoints {
        if let Err(e) = conn.execute_batch(&format!(
            "PRAGMA wal_autocheckpoint = 0; PRAGMA cache_size = -{CACHE_KIB};"
        )) {
            tracing::warn!(error = %e, "cannot set the writer's checkpoint and cache pragmas");
        }
        Checkpoints {
            last: Instant::now(),
        }
    }
}

impl Upkeep for Checkpoints {
    fn run(&mut self, conn: &Connection) {
        if self.last.elapsed() < CHECKPOINT_EVERY {
            return;
        }
        // PASSIVE never waits for readers; pages a reader still needs wait for the next one.
        if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            tracing::warn!(error = %e, "WAL checkpoint failed");
        }
        self.last = Instant::now();
    }
}

fn run_batch(conn: &Connection, batch: &mut [Box<dyn WriteJob>]) -> Result<(), String> {
    exec(conn, "BEGIN IMMEDIATE").map_err(|e| e.to_string())?;
    for job in batch.iter_mut() {
        let step = exec(conn, "SAVEPOINT job").and_then(|()| {
            if job.run(conn) {
                exec(conn, "RELEASE job")
            } else {
                exec(conn, "ROLLBACK TO job").and_then(|()| exec(conn, "RELEASE job"))
            }
        });
        if let Err(e) = step {
            let _ = conn.execute_batch("ROLLBACK");
            return Err(e.to_string());
        }
    }
    exec(conn, "COMMIT").map_err(|e| {
        let _ = conn.execute_batch("ROLLBACK");
        e.to_string()
    })
}

/// Runs one of the writer's own statements from the statement cache: parsing `SAVEPOINT` and
/// `RELEASE` afresh for every job cost more than running them.
fn exec(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_sqlite_is_built_without_its_allocator_mutexes() {
        // `.cargo/config.toml` sets these for libsqlite3-sys (docs/decisions.md, "Speed").
        let conn = Connection::open_in_memory().unwrap();
        let options: Vec<String> = conn
            .prepare("PRAGMA compile_options")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert!(
            options.iter().any(|o| o == "DEFAULT_MEMSTATUS=0"),
            "{options:?}"
        );
        assert!(
            !options.iter().any(|o| o == "ENABLE_MEMORY_MANAGEMENT"),
            "{options:?}"
        );
    }

    fn writer() -> (Writer, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let conn = Connection::open(dir.path().join("w.db")).unwrap();
        conn.execute_batch("PRAGMA journal_mode=WAL; CREATE TABLE t (v INTEGER UNIQUE);")
            .unwrap();
        let writer = Writer::start(conn, WriterMetrics::default(), Vec::new()).unwrap();
        (writer, dir)
    }

    #[tokio::test]
    async fn a_failing_job_does_not_undo_its_batch_mates() {
        let (w, _dir) = writer();
        let ok = w.submit(|c| Ok(c.execute("INSERT INTO t VALUES (1)", [])?));
        let dup = w.submit(|c| {
            c.execute("INSERT INTO t VALUES (2)", [])?;
            Ok(c.execute("INSERT INTO t VALUES (1)", [])?)
        });
        let (ok, dup) = tokio::join!(ok, dup);
        assert_eq!(ok.unwrap(), 1);
        assert!(dup.is_err());
        let rows: Vec<i64> = w
            .submit(|c| {
                let mut s = c.prepare("SELECT v FROM t ORDER BY v")?;
                let rows = s
                    .query_map([], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()?;
                Ok(rows)
            })
            .await
            .unwrap();
        assert_eq!(
            rows,
            vec![1],
            "the failed job's first insert was rolled back too"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn every_job_of_many_concurrent_batches_is_answered_once_committed() {
        let (w, _dir) = writer();
        let w = std::sync::Arc::new(w);
        let tasks: Vec<_> = (0..500)
            .map(|v| {
                let w = w.clone();
                tokio::spawn(async move {
                    w.submit(move |c| Ok(c.execute("INSERT INTO t VALUES (?1)", [v])?))
                        .await
                })
            })
            .collect();
        for task in tasks {
            assert_eq!(task.await.unwrap().unwrap(), 1);
        }
        let count: i64 = w
            .submit(|c| Ok(c.query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))?))
            .await
            .unwrap();
        assert_eq!(count, 500);
    }

    #[tokio::test]
    async fn a_panicking_job_is_an_error_not_a_dead_writer() {
        let (w, _dir) = writer();
        let r: Result<()> = w.submit(|_| panic!("boom")).await;
        assert!(r.is_err());
        assert_eq!(
            w.submit(|c| Ok(c.execute("INSERT INTO t VALUES (9)", [])?))
                .await
                .unwrap(),
            1
        );
    }
}
