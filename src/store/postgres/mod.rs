//! The PostgreSQL engine: the only code that knows PostgreSQL's SQL. Several replicas may
//! write at once, so every write runs in a SERIALIZABLE transaction that is retried whole when
//! PostgreSQL reports a serialization failure or a deadlock: each unit of work then behaves as
//! if it had run alone, which is what the SQLite engine gets from its single writer. Reads run
//! on pooled connections, each statement on its own snapshot (as SQLite's reads do).

mod agents;
mod analytics;
mod attachment_store;
mod attachments;
mod audit;
mod canned;
mod chat;
mod chat_removal;
mod chat_store;
mod codec;
mod dashboard_sessions;
mod day_figures;
mod day_stats;
mod db;
mod emails;
mod export_store;
mod feed;
mod label_store;
mod labels;
mod lifecycle_store;
mod messages;
mod migrate;
mod notes;
mod outbox_store;
mod personas;
mod pushes;
mod ratings;
mod search_query;
mod search_store;
mod server_settings;
mod sessions;
mod settings;
mod team_store;
mod tls;
mod webhooks;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use deadpool_postgres::{ManagerConfig, Object, Pool, RecyclingMethod};

use crate::error::{Error, Result};
use crate::metrics::WriterMetrics;
use crate::store::files::FileDir;

pub(crate) use db::{Finish, finish, is_unique_violation, pause_before_retry, start_write_at};
pub use migrate::MIGRATION_COUNT;

/// Connections this replica keeps open at most. Each replica holds its own pool, so the
/// server's `max_connections` must cover every replica's (plus the listener's one each).
const POOL_SIZE: usize = 16;

/// How long a request waits for a free pooled connection before failing.
const POOL_WAIT: Duration = Duration::from_secs(10);

/// Most times one unit of work is run again after a serialization failure.
pub(crate) const MAX_ATTEMPTS: u32 = 20;

impl From<tokio_postgres::Error> for Error {
    fn from(e: tokio_postgres::Error) -> Self {
        // PostgreSQL's text cannot hold U+0000, which SQLite stores: such input is the
        // client's to fix, never a server fault.
        if e.code() == Some(&tokio_postgres::error::SqlState::CHARACTER_NOT_IN_REPERTOIRE) {
            return Error::validation("text", "text must not contain the NUL character (U+0000)");
        }
        Error::internal_from("postgres", e)
    }
}

impl From<deadpool_postgres::PoolError> for Error {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        Error::internal_from("postgres connection pool", e)
    }
}

/// Handle to the database: cheap to clone.
#[derive(Clone)]
pub struct PgStore {
    pool: Pool,
    /// Where committed writes are counted (the same series the SQLite writer reports).
    metrics: WriterMetrics,
    /// How to connect, for the change feed's own connection.
    config: Arc<tokio_postgres::Config>,
    tls: tls::Tls,
    /// Reads started so far; lets tests prove that a path never reads.
    reads: Arc<AtomicU64>,
    /// The attachment folder: shared storage every replica mounts at the same place.
    files: FileDir,
}

impl PgStore {
    /// Connects to `url` (a `postgres://` URL), applies the migrations this binary has and
    /// the database lacks, and keeps uploaded files in `files`.
    pub async fn open(url: &str, files: FileDir) -> Result<PgStore> {
        let store = PgStore::connect(url, files)?;
        let mut client = store.client().await?;
        migrate::apply(&mut client).await?;
        store.files.create()?;
        Ok(store)
    }

    /// Connects to `url` for reading beside running servers: nothing is created or migrated,
    /// and the database must already be at this binary's schema version.
    pub async fn open_existing(url: &str, files: FileDir) -> Result<PgStore> {
        let store = PgStore::connect(url, files)?;
        let client = store.client().await?;
        migrate::check_current(&client).await?;
        Ok(store)
    }

    /// The pool for `url`; connections are made when first needed.
    fn connect(url: &str, files: FileDir) -> Result<PgStore> {
        let tls::Target { config, tls } = tls::target(url)?;
        let manager = tls.manager(
            config.clone(),
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .wait_timeout(Some(POOL_WAIT))
            .create_timeout(Some(POOL_WAIT))
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .build()
            .map_err(|e| Error::internal_from("building the PostgreSQL pool", e))?;
        Ok(PgStore {
            pool,
            metrics: WriterMetrics::default(),
            config: Arc::new(config),
            tls,
            reads: Arc::new(AtomicU64::new(0)),
            files,
        })
    }

    /// A pooled connection for work that is not a counted read (writes start their own
    /// transaction on it).
    pub(crate) async fn client(&self) -> Result<Object> {
        Ok(self.pool.get().await?)
    }

    /// A pooled connection for a read; counted, so tests can prove a path never reads.
    pub(crate) async fn reader(&self) -> Result<Object> {
        self.reads.fetch_add(1, Ordering::Relaxed);
        self.client().await
    }

    /// Measures one committed unit of work into the writer metrics: each is a transaction of
    /// its own here (one job per batch), and its COMMIT includes PostgreSQL's WAL flush.
    pub(crate) fn count_commit(&self, started: std::time::Instant, committing: std::time::Instant) {
        let metrics = &self.metrics;
        metrics.batch_jobs.observe(1.0);
        metrics
            .commit_seconds
            .observe(started.elapsed().as_secs_f64());
        metrics
            .flush_seconds
            .observe(committing.elapsed().as_secs_f64());
    }

    /// Reports writes to `metrics` from now on.
    pub fn measured(mut self, metrics: WriterMetrics) -> PgStore {
        self.metrics = metrics;
        self
    }

    pub(crate) fn config(&self) -> &tokio_postgres::Config {
        &self.config
    }

    pub(crate) fn tls(&self) -> &tls::Tls {
        &self.tls
    }

    pub(crate) fn files(&self) -> &FileDir {
        &self.files
    }

    pub(crate) fn reads_counted(&self) -> u64 {
        self.reads.load(Ordering::Relaxed)
    }
}

/// Runs `$body` (an expression that may `.await` and use `$tx`, a SERIALIZABLE
/// [`deadpool_postgres::Transaction`]) as one unit of work and evaluates to its `Result`
/// once the transaction has committed. A serialization failure or deadlock, reported by any
/// statement or by the commit, runs the whole body again on a fresh transaction, so the body
/// must do nothing but database work. A body that answers `Err` is rolled back.
///
/// `write_tx!(store, locking, |tx| body)` runs the body at READ COMMITTED instead, for the
/// busiest units whose rules rest wholly on locks the body takes first (the session's row, or
/// advisory locks on the user): SERIALIZABLE's page-level read locks made independent chats'
/// sends abort each other (two rolled back for every commit under 200 senders).
macro_rules! write_tx {
    ($store:expr, |$tx:ident| $body:expr) => {
        $crate::store::postgres::write_tx!(
            $store,
            tokio_postgres::IsolationLevel::Serializable,
            |$tx| $body
        )
    };
    ($store:expr, locking, |$tx:ident| $body:expr) => {
        $crate::store::postgres::write_tx!(
            $store,
            tokio_postgres::IsolationLevel::ReadCommitted,
            |$tx| $body
        )
    };
    ($store:expr, $level:expr, |$tx:ident| $body:expr) => {{
        let mut attempt = 0u32;
        loop {
            let mut client = $store.client().await?;
            let started = std::time::Instant::now();
            let $tx = $crate::store::postgres::start_write_at(&mut client, $level).await?;
            let outcome = async { $body }.await;
            let committing = std::time::Instant::now();
            match $crate::store::postgres::finish($tx, outcome).await {
                $crate::store::postgres::Finish::Done(answer) => {
                    if answer.is_ok() {
                        $store.count_commit(started, committing);
                    }
                    break answer;
                }
                $crate::store::postgres::Finish::Retry(cause) => {
                    attempt += 1;
                    if attempt >= $crate::store::postgres::MAX_ATTEMPTS {
                        break Err(cause);
                    }
                    $crate::store::postgres::pause_before_retry(attempt).await;
                }
            }
        }
    }};
}
pub(crate) use write_tx;

#[async_trait::async_trait]
impl crate::store::Storage for PgStore {
    /// PostgreSQL's own tools copy a live database consistently (`pg_dump`, base backups and
    /// WAL archiving) and the files are on shared storage that is backed up with it, so the
    /// built-in copy, which writes one SQLite file, is refused with directions.
    async fn backup_to(&self, _target: &std::path::Path) -> Result<crate::store::CopySummary> {
        Err(Error::validation(
            "path",
            "this server keeps its data in PostgreSQL: back it up with pg_dump (or a base \
             backup) and copy the files folder (FILES_DIR) beside it",
        ))
    }

    /// Every table this binary reads answers a query: the connection works and the schema is
    /// the one the migrations made. PostgreSQL checks its own pages with checksums.
    async fn integrity_check(&self) -> Result<()> {
        let client = self.reader().await?;
        migrate::check_current(&client).await
    }

    /// Takes a transaction id, which only a primary that accepts writes hands out (a standby
    /// or a read-only database refuses).
    async fn check_writable(&self) -> Result<()> {
        write_tx!(self, |tx| {
            db::row(&tx, "SELECT txid_current()", &[]).await?;
            Ok(())
        })
    }

    fn reads_started(&self) -> u64 {
        self.reads_counted()
    }

    fn change_feed(&self) -> Option<Arc<dyn crate::store::feed::ChangeFeed>> {
        Some(Arc::new(self.clone()))
    }
}
