//! The SQLite engine: the only code that knows SQLite's SQL. Reads run on a pool of read-only
//! connections off the async runtime; every write goes through the single group-commit writer
//! (see `writer.rs`).

mod attachment_store;
mod attachments;
mod chat;
mod chat_removal;
mod chat_store;
mod codec;
mod export_store;
mod label_store;
mod lifecycle_store;
mod migrate;
mod outbox_store;
mod search_index;
mod search_store;
mod team_store;
mod writer;

mod agents;
mod analytics;
mod audit;
mod canned;
mod dashboard_sessions;
mod day_figures;
mod day_stats;
mod emails;
mod labels;
mod messages;
mod notes;
mod personas;
mod pushes;
mod ratings;
mod server_settings;
mod sessions;
mod settings;
mod webhooks;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{Connection, OpenFlags};
use tracing::Instrument;

use crate::error::{Error, Result};
use crate::metrics::WriterMetrics;
use crate::store::files::FileDir;
use crate::store::{CopySummary, Storage};
use writer::Writer;

pub use migrate::MIGRATION_COUNT;

/// How long a connection waits for a lock before reporting busy. Only the writer writes, so
/// this covers checkpoints and external tools (a `sqlite3` shell, `frontdesk backup`).
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
const READ_POOL_SIZE: u32 = 8;

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Error::internal_from("sqlite", e)
    }
}

impl From<r2d2::Error> for Error {
    fn from(e: r2d2::Error) -> Self {
        Error::internal_from("connection pool", e)
    }
}

/// True when `e` is a UNIQUE or PRIMARY KEY violation: a conflict the caller should name.
fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(
        e,
        rusqlite::Error::SqliteFailure(f, _)
            if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
    )
}

/// Pragmas every connection needs. WAL lets readers run beside the writer;
/// `synchronous=FULL` makes each commit durable on power loss, not just on a process crash
/// (the writer's connection gets the same guarantee its own way: see `writer.rs`).
fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.execute_batch(
        "PRAGMA foreign_keys = ON;
         PRAGMA synchronous = FULL;
         PRAGMA temp_store = MEMORY;",
    )
}

/// Handle to the database: cheap to clone.
#[derive(Clone)]
pub struct SqliteStore {
    path: Arc<Path>,
    readers: r2d2::Pool<SqliteConnectionManager>,
    /// Reads started so far; lets tests prove that a path never touches SQLite.
    reads: Arc<AtomicU64>,
    /// `None` when opened read-only: every write is then refused.
    writer: Option<Arc<Writer>>,
    /// The attachment folder beside the database file.
    files: FileDir,
}

impl SqliteStore {
    /// Opens (creating if needed) and migrates the database at `path`, then starts the writer.
    pub fn open(path: &Path) -> Result<SqliteStore> {
        SqliteStore::open_measured(path, WriterMetrics::default())
    }

    /// As [`SqliteStore::open`], with the writer reporting to `metrics`.
    pub fn open_measured(path: &Path, metrics: WriterMetrics) -> Result<SqliteStore> {
        let mut conn = Connection::open(path)
            .map_err(|e| Error::internal_from(format!("cannot open {}", path.display()), e))?;
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(Error::internal(format!(
                "SQLite refused WAL mode (got {mode})"
            )));
        }
        configure(&conn)?;
        migrate::apply(&mut conn)?;
        let files = FileDir::beside(path);
        files.create()?;

        Ok(SqliteStore {
            path: Arc::from(path),
            readers: reader_pool(path)?,
            reads: Arc::new(AtomicU64::new(0)),
            writer: Some(Arc::new(Writer::start(
                conn,
                metrics,
                vec![Box::new(search_index::SearchIndexer::new())],
            )?)),
            files,
        })
    }

    /// Opens the database at `path` for reading only, beside a server that may be running on
    /// it: nothing is created, migrated or written, and every write is refused. The file must
    /// exist and be at this binary's schema version (or newer).
    pub fn open_read_only(path: &Path) -> Result<SqliteStore> {
        let refuse = |why: String| Error::validation("db", why);
        if !path.is_file() {
            return Err(refuse(format!(
                "there is no database at {}",
                path.display()
            )));
        }
        let probe = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(|e| refuse(format!("{} cannot be opened: {e}", path.display())))?;
        let version: i64 = probe
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| refuse(format!("{} is not a database: {e}", path.display())))?;
        if usize::try_from(version).unwrap_or(0) < *MIGRATION_COUNT {
            return Err(refuse(format!(
                "{} is at schema version {version}, older than this binary's {}; run `frontdesk migrate` first",
                path.display(),
                *MIGRATION_COUNT
            )));
        }
        drop(probe);
        Ok(SqliteStore {
            path: Arc::from(path),
            readers: reader_pool(path)?,
            reads: Arc::new(AtomicU64::new(0)),
            writer: None,
            files: FileDir::beside(path),
        })
    }

    /// Runs a read on a pooled read-only connection, off the async runtime.
    pub(crate) async fn read<R, F>(&self, f: F) -> Result<R>
    where
        F: FnOnce(&Connection) -> Result<R> + Send + 'static,
        R: Send + 'static,
    {
        self.reads.fetch_add(1, Ordering::Relaxed);
        let pool = self.readers.clone();
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || {
            let _entered = span.enter();
            let conn = pool.get()?;
            f(&conn)
        })
        .await
        .map_err(|e| Error::internal_from("read task failed", e))?
    }

    /// Runs `f` inside the writer's current transaction and answers once that transaction has
    /// committed durably. An `Err` from `f` rolls back only `f`'s own changes.
    pub(crate) async fn write<R, F>(&self, f: F) -> Result<R>
    where
        F: FnOnce(&Connection) -> Result<R> + Send + 'static,
        R: Send + 'static,
    {
        let Some(writer) = &self.writer else {
            return Err(Error::internal("the database was opened read-only"));
        };
        writer.submit(f).instrument(tracing::Span::current()).await
    }
}

/// The pool of read-only connections reads run on.
fn reader_pool(path: &Path) -> Result<r2d2::Pool<SqliteConnectionManager>> {
    let manager = SqliteConnectionManager::file(path)
        .with_flags(
            OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_URI,
        )
        .with_init(|c| {
            configure(c)?;
            c.execute_batch("PRAGMA query_only = ON;")
        });
    Ok(r2d2::Pool::builder()
        .max_size(READ_POOL_SIZE)
        .min_idle(Some(1))
        .connection_timeout(Duration::from_secs(10))
        .build(manager)?)
}

#[async_trait]
impl Storage for SqliteStore {
    async fn backup_to(&self, target: &Path) -> Result<CopySummary> {
        if target.exists() {
            return Err(Error::validation(
                "path",
                format!("{} already exists", target.display()),
            ));
        }
        let target = target.to_path_buf();
        let source = self.path.clone();
        let files = self.files.clone();
        // VACUUM INTO reads one snapshot, so the copy is consistent even while writes go on. It
        // cannot run inside the writer's transaction, so it gets a connection of its own. The
        // files the snapshot names are copied after it: they never change, and the sweep only
        // removes files no row refers to, which these were at the snapshot.
        tokio::task::spawn_blocking(move || {
            let conn = Connection::open(&*source)?;
            configure(&conn)?;
            conn.execute("VACUUM INTO ?1", [&target.to_string_lossy()])?;
            copy_named_files(&target, &files, &FileDir::beside(&target))
        })
        .await
        .map_err(|e| Error::internal_from("backup task failed", e))?
    }

    /// `PRAGMA integrity_check`; `Ok` only when SQLite answers "ok".
    async fn check_writable(&self) -> Result<()> {
        self.write(|_| Ok(())).await
    }

    async fn integrity_check(&self) -> Result<()> {
        let answer: String = self
            .read(|c| Ok(c.query_row("PRAGMA integrity_check", [], |r| r.get(0))?))
            .await?;
        if answer == "ok" {
            Ok(())
        } else {
            Err(Error::internal(format!("integrity check: {answer}")))
        }
    }

    fn reads_started(&self) -> u64 {
        self.reads.load(Ordering::Relaxed)
    }
}

/// Copies every file the database at `database` names from `from` to `to`.
fn copy_named_files(database: &Path, from: &FileDir, to: &FileDir) -> Result<CopySummary> {
    let conn = Connection::open_with_flags(database, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    to.create()?;
    let mut summary = CopySummary::default();
    for hash in attachments::all_blob_hashes(&conn)? {
        summary.file_bytes += from
            .copy_object_to(to, &hash)
            .map_err(|e| Error::internal_from(format!("copying attachment file {hash}"), e))?;
        summary.files += 1;
    }
    Ok(summary)
}

/// See [`crate::store::restore`].
pub fn restore(from: &Path, to: &Path) -> Result<CopySummary> {
    let refuse = |why: String| Err(Error::validation("path", why));
    if to.exists() {
        return refuse(format!(
            "{} already exists; move it away first",
            to.display()
        ));
    }
    if !from.is_file() {
        return refuse(format!("{} is not a backup file", from.display()));
    }
    let backup =
        Connection::open_with_flags(from, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(|e| {
            Error::validation("path", format!("{} cannot be opened: {e}", from.display()))
        })?;
    let check: String = backup
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .map_err(|e| {
            Error::validation("path", format!("{} is not a database: {e}", from.display()))
        })?;
    if check != "ok" {
        return refuse(format!("{} is damaged: {check}", from.display()));
    }
    let source_files = FileDir::beside(from);
    let sizes = attachments::blob_sizes(&backup)?;
    for (hash, size) in &sizes {
        let found = source_files.checksum(hash).map_err(|e| {
            Error::validation(
                "path",
                format!("attachment file {hash} is missing from the backup: {e}"),
            )
        })?;
        if found != (hash.clone(), *size) {
            return refuse(format!(
                "attachment file {hash} in the backup does not match its hash"
            ));
        }
    }
    drop(backup);
    let target_files = FileDir::beside(to);
    let summary = copy_named_files(from, &source_files, &target_files)?;
    // The database last: its presence means the restore is complete.
    let partial = to.with_extension("restoring");
    let _ = std::fs::remove_file(&partial);
    let source = Connection::open_with_flags(from, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    source.execute("VACUUM INTO ?1", [&partial.to_string_lossy()])?;
    drop(source);
    std::fs::rename(&partial, to)
        .and_then(|()| {
            let dir = to
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            std::fs::File::open(dir)?.sync_all()
        })
        .map_err(|e| Error::internal_from("putting the restored database in place", e))?;
    Ok(summary)
}
