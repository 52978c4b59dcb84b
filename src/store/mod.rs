//! Storage behind an interface named by use case. service/ talks to the traits in this module
//! ([`ChatStore`], [`TeamStore`], [`SearchStore`], [`LabelStore`], [`ExportStore`] and the
//! rest, together [`Storage`]); each engine lives in its own module (`sqlite/` today) and owns
//! its SQL, transactions and migrations. Nothing outside an engine's module names its driver,
//! tables or connections.

pub mod attachments;
pub mod chats;
pub mod export;
pub mod feed;
pub mod files;
pub mod labels;
pub mod lifecycle;
pub mod move_to_postgres;
pub mod outbox;
pub mod postgres;
pub mod search;
pub mod sqlite;
pub mod team;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};

pub use attachments::AttachmentStore;
pub use chats::ChatStore;
pub use export::ExportStore;
pub use labels::LabelStore;
pub use lifecycle::LifecycleStore;
pub use outbox::OutboxStore;
pub use postgres::PgStore;
pub use search::SearchStore;
pub use sqlite::{MIGRATION_COUNT, SqliteStore};
pub use team::TeamStore;

use crate::error::Result;
use crate::metrics::WriterMetrics;
use files::FileDir;

/// Everything service/ needs from storage: the use-case traits plus the engine-level chores
/// (backup, integrity, a read counter for tests). A second engine implements all three and runs
/// the conformance suite in tests/store.
#[async_trait]
pub trait Storage:
    ChatStore
    + TeamStore
    + AttachmentStore
    + OutboxStore
    + SearchStore
    + LabelStore
    + ExportStore
    + LifecycleStore
    + Send
    + Sync
    + 'static
{
    /// Writes a consistent copy of the live data to `target`, which must not exist yet, and
    /// the attachment files that copy names into `target`'s own folder (`<target>.files/`);
    /// writes may go on meanwhile and the copy is one point in time. An engine whose own
    /// tools make such copies (PostgreSQL: `pg_dump`) refuses with a `Validation` error that
    /// names them, and writes nothing.
    async fn backup_to(&self, target: &Path) -> Result<CopySummary>;

    /// `Ok` only when the engine finds the stored data intact.
    async fn integrity_check(&self) -> Result<()>;

    /// `Ok` once a write (an empty one) has committed durably: the database takes writes.
    async fn check_writable(&self) -> Result<()>;

    /// How many reads have started since the store opened; lets tests prove a path never reads.
    fn reads_started(&self) -> u64;

    /// Notices between replicas sharing this database; `None` when only one process can
    /// use it (SQLite).
    fn change_feed(&self) -> Option<Arc<dyn feed::ChangeFeed>> {
        None
    }
}

/// What a backup or a restore copied.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CopySummary {
    pub files: usize,
    pub file_bytes: u64,
}

/// Puts the backup at `from` (a database file and its `.files` folder, as `backup_to` writes
/// them) in place at `to` (a SQLite file: PostgreSQL restores with its own tools), which must not exist: checks the backup database, checks every file
/// it names against its content hash, copies the files, and writes the database last, so an
/// interrupted restore leaves no database behind and can simply be run again.
pub fn restore(from: &Path, to: &Path) -> Result<CopySummary> {
    sqlite::restore(from, to)
}

/// Opens the database at `location` for exports only, beside servers that may be running on
/// it: nothing is created, migrated or written. With [`open`], the only places that pick the
/// engine.
pub async fn open_for_export(location: &Location) -> Result<Arc<dyn ExportStore>> {
    match location {
        Location::Sqlite(path) => Ok(Arc::new(SqliteStore::open_read_only(path)?)),
        Location::Postgres { url, files } => Ok(Arc::new(
            PgStore::open_existing(url.expose_secret(), FileDir::at(files)).await?,
        )),
    }
}

/// The schema version this binary brings `location`'s engine to (each engine counts its own
/// migrations).
pub fn schema_version(location: &Location) -> usize {
    match location {
        Location::Sqlite(_) => *MIGRATION_COUNT,
        Location::Postgres { .. } => postgres::MIGRATION_COUNT,
    }
}

/// Where the data lives.
#[derive(Clone, Debug)]
pub enum Location {
    /// One SQLite file; uploaded files in the folder beside it.
    Sqlite(PathBuf),
    /// A PostgreSQL database several replicas may share; uploaded files in `files`, a folder
    /// every replica mounts.
    Postgres { url: SecretString, files: PathBuf },
}

impl Location {
    /// Names the place for logs and messages, without the password a URL may carry.
    pub fn describe(&self) -> String {
        match self {
            Location::Sqlite(path) => path.display().to_string(),
            Location::Postgres { url, .. } => {
                let url = url.expose_secret();
                match url.rsplit_once('@') {
                    Some((_, host)) => format!("postgres://…@{host}"),
                    None => url.to_string(),
                }
            }
        }
    }
}

/// Opens (creating and migrating) the database at `location`, its writes measured into
/// `metrics` (SQLite's single writer reports them). The one place that picks the engine.
pub async fn open(location: &Location, metrics: WriterMetrics) -> Result<Arc<dyn Storage>> {
    match location {
        Location::Sqlite(path) => Ok(Arc::new(SqliteStore::open_measured(path, metrics)?)),
        Location::Postgres { url, files } => Ok(Arc::new(
            PgStore::open(url.expose_secret(), FileDir::at(files))
                .await?
                .measured(metrics),
        )),
    }
}
