//! `frontdesk migrate-to-postgres`: copies a SQLite database into a PostgreSQL one, table by
//! table in foreign-key order, in batches keyed by primary key. Each batch commits together
//! with a progress row in the target, so a run that is killed resumes after the last batch
//! that committed and never copies a row twice. At the end every table is checked on both
//! sides: row count and a SHA-256 over a canonical rendering of every row in key order.
//!
//! The SQLite file is only read (one snapshot for the whole run). The target is created and
//! migrated like a server would (`PgStore::open`) and must hold no data but an earlier run's.
//! Rows keep their keys, identity values included; the target's triggers are accounted for
//! by the table order (see [`tables::TABLES`]) rather than switched off, which would need a
//! superuser. Attachment files stay in the folder beside the SQLite file; the servers use it
//! as FILES_DIR.

mod copy;
mod files;
mod progress;
mod source;
mod tables;
mod target;
mod value;
mod verify;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use files::FilesCheck;
pub use value::Digest;
pub use verify::TableCheck;

use crate::error::{Error, Result};
use crate::store::PgStore;
use crate::store::files::FileDir;

/// How the copy is cut up.
#[derive(Clone, Debug)]
pub struct MoveOptions {
    /// Rows per batch (one transaction) at most.
    pub batch_rows: usize,
    /// Bytes of values per batch, roughly, at most: long texts make shorter batches.
    pub batch_bytes: usize,
    /// For tests: once a table has had this many batches committed in this run, the next
    /// batch is written but not committed, and the run waits there forever (to be killed).
    pub pause_after_batches: Option<u64>,
}

impl Default for MoveOptions {
    fn default() -> Self {
        MoveOptions {
            batch_rows: 2000,
            batch_bytes: 8 << 20,
            pause_after_batches: None,
        }
    }
}

/// What the run is doing, for a progress display.
#[derive(Clone, Copy, Debug)]
pub enum Step<'a> {
    /// The copy begins; `resumed` when an earlier run had started it.
    Started { resumed: bool },
    /// A batch of `table` committed: `copied` of its `total` rows are in.
    Copying {
        table: &'a str,
        copied: u64,
        total: u64,
    },
    /// `table` was copied whole by an earlier run.
    AlreadyCopied { table: &'a str, rows: u64 },
    /// The test pause of [`MoveOptions::pause_after_batches`] was reached in `table`.
    Paused { table: &'a str },
    /// Checking `table` on both sides.
    Verifying { table: &'a str },
}

/// What a completed run found.
#[derive(Clone, Debug)]
pub struct MoveReport {
    /// Every table, in copy order.
    pub tables: Vec<TableCheck>,
    /// The folder FILES_DIR must name (the SQLite engine's folder beside the file).
    pub files_dir: PathBuf,
    pub files: FilesCheck,
    /// An earlier run had started this copy.
    pub resumed: bool,
}

impl MoveReport {
    /// The tables whose rows differ between the two databases.
    pub fn differing(&self) -> Vec<&'static str> {
        self.tables
            .iter()
            .filter(|t| !t.matches())
            .map(|t| t.table)
            .collect()
    }
}

/// Copies the SQLite database at `from` into the PostgreSQL database at `to` (resuming an
/// earlier run from the same file) and checks every table on both sides. A difference is
/// not an error: the report tells it. Refuses a missing or unmigrated `from` and a target
/// holding other data.
pub async fn move_to_postgres(
    from: &Path,
    to: &str,
    options: &MoveOptions,
    on_step: &(dyn Fn(Step<'_>) + Sync),
) -> Result<MoveReport> {
    let source = source::Source::open(from).await?;
    let source_name = std::fs::canonicalize(source.path())
        .map_err(|e| Error::internal_from(format!("resolving {}", from.display()), e))?;
    let files_dir = FileDir::beside(&source_name);
    let store = PgStore::open(to, files_dir.clone()).await?;
    let mut c = store.client().await?;
    progress::lock(&c).await?;
    let tables: Vec<Arc<tables::Table>> = target::layout(&c)
        .await?
        .into_iter()
        .map(Arc::new)
        .collect();
    for table in &tables {
        source.check_columns(table.clone()).await?;
    }
    let (mut progress, resumed) =
        progress::start_or_resume(&mut c, &tables, &source_name.display().to_string()).await?;
    on_step(Step::Started { resumed });
    for table in &tables {
        let standing = progress.entry(table.name).or_default();
        copy::copy_table(&source, &mut c, table, standing, options, on_step).await?;
    }
    for table in &tables {
        let high = source.autoincrement_high(table.name).await?;
        target::advance_identity(&c, table, high).await?;
    }
    let checks = verify::check_tables(&source, &mut c, &tables, on_step).await?;
    let files = files::check_files(&source, files_dir.clone()).await?;
    progress::unlock(&c).await?;
    Ok(MoveReport {
        tables: checks,
        files_dir: files_dir.root().to_path_buf(),
        files,
        resumed,
    })
}
