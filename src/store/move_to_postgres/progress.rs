//! The record of a run in the target itself: one row per table with the key of the last row
//! copied, written in the transaction that copies the batch, so a killed run resumes after
//! exactly the rows that were committed. Also the lock that keeps two runs apart.

use std::collections::HashMap;
use std::sync::Arc;

use deadpool_postgres::{Object, Transaction};

use super::tables::Table;
use super::target;
use super::value::Value;
use crate::error::{Error, Result};

use super::tables::PROGRESS_TABLE;

/// Held by the run that fills the database, for the whole run (a session lock: it goes
/// when the run's connection closes, however the run ends).
const RUN_LOCK: i64 = 0x6672_6f6e_746d_6f76; // "frontmov"

/// Where one table stands.
#[derive(Clone, Debug, Default)]
pub(super) struct TableProgress {
    /// The key of the last row copied; `None` before the first batch.
    pub(super) last_key: Option<Vec<Value>>,
    pub(super) rows_copied: u64,
    pub(super) done: bool,
}

/// Takes the run lock on `c`, or refuses: another run is filling this database.
pub(super) async fn lock(c: &Object) -> Result<()> {
    let got: bool = c
        .query_one("SELECT pg_try_advisory_lock($1)", &[&RUN_LOCK])
        .await?
        .try_get(0)?;
    if !got {
        return Err(Error::validation(
            "to",
            "another migrate-to-postgres run is filling this database (or the connection of \
             a killed one has not closed yet: see pg_stat_activity); try again when it is gone",
        ));
    }
    Ok(())
}

pub(super) async fn unlock(c: &Object) -> Result<()> {
    c.execute("SELECT pg_advisory_unlock($1)", &[&RUN_LOCK])
        .await?;
    Ok(())
}

/// Where each table stands: a new record for a target without one (which must hold no
/// data), or the record of an earlier run from the same `source`.
pub(super) async fn start_or_resume(
    c: &mut Object,
    tables: &[Arc<Table>],
    source: &str,
) -> Result<(HashMap<&'static str, TableProgress>, bool)> {
    let tx = c.transaction().await?;
    tx.batch_execute(&format!(
        "CREATE TABLE IF NOT EXISTS {PROGRESS_TABLE} (
             table_name  TEXT PRIMARY KEY,
             source      TEXT NOT NULL,    -- the SQLite file the rows come from
             last_key    TEXT,             -- JSON array: the key of the last row copied
             rows_copied BIGINT NOT NULL DEFAULT 0,
             done        BOOLEAN NOT NULL DEFAULT FALSE
         )"
    ))
    .await?;
    let recorded = tx
        .query(
            &format!(
                "SELECT table_name, source, last_key, rows_copied, done FROM {PROGRESS_TABLE}"
            ),
            &[],
        )
        .await?;
    let resumed = !recorded.is_empty();
    if !resumed {
        let holding = target::tables_with_rows(&tx, tables).await?;
        if !holding.is_empty() {
            return Err(Error::validation(
                "to",
                format!(
                    "the PostgreSQL database already holds data that no earlier run of this \
                     command wrote (in {}); move into an empty database",
                    holding.join(", ")
                ),
            ));
        }
    }
    let mut progress = HashMap::new();
    for row in recorded {
        let table: String = row.try_get(0)?;
        let from: String = row.try_get(1)?;
        if from != source {
            return Err(Error::validation(
                "to",
                format!(
                    "this PostgreSQL database is being filled from {from}; run the command \
                     with --from {from}, or move {source} into an empty database"
                ),
            ));
        }
        let last_key: Option<String> = row.try_get(2)?;
        let last_key = last_key.map(|k| parse_key(&table, &k)).transpose()?;
        let rows_copied: i64 = row.try_get(3)?;
        let done: bool = row.try_get(4)?;
        if let Some(table) = tables.iter().find(|t| t.name == table) {
            progress.insert(
                table.name,
                TableProgress {
                    last_key,
                    rows_copied: u64::try_from(rows_copied).unwrap_or(0),
                    done,
                },
            );
        }
    }
    for table in tables {
        if !progress.contains_key(table.name) {
            tx.execute(
                &format!("INSERT INTO {PROGRESS_TABLE} (table_name, source) VALUES ($1, $2)"),
                &[&table.name, &source],
            )
            .await?;
            progress.insert(table.name, TableProgress::default());
        }
    }
    tx.commit().await?;
    Ok((progress, resumed))
}

/// Records, in the batch's own transaction, that `table` now stands at `progress`.
pub(super) async fn record(
    tx: &Transaction<'_>,
    table: &Table,
    progress: &TableProgress,
) -> Result<()> {
    let last_key = progress
        .last_key
        .as_ref()
        .map(|key| serde_json::Value::Array(key.iter().map(Value::to_json).collect()).to_string());
    let rows = i64::try_from(progress.rows_copied).unwrap_or(i64::MAX);
    let statement = tx
        .prepare_cached(&format!(
            "UPDATE {PROGRESS_TABLE} SET last_key = $2, rows_copied = $3, done = $4
             WHERE table_name = $1"
        ))
        .await?;
    tx.execute(&statement, &[&table.name, &last_key, &rows, &progress.done])
        .await?;
    Ok(())
}

fn parse_key(table: &str, text: &str) -> Result<Vec<Value>> {
    let broken = || {
        Error::internal(format!(
            "{PROGRESS_TABLE} holds an unreadable key for {table}: {text}"
        ))
    };
    let json: serde_json::Value = serde_json::from_str(text).map_err(|_| broken())?;
    json.as_array()
        .ok_or_else(broken)?
        .iter()
        .map(|v| Value::from_json(v).ok_or_else(broken))
        .collect()
}
