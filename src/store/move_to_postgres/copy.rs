//! Copying one table: batches in key order, each inserted in one transaction together with
//! the progress row that says how far the table has come.

use std::sync::Arc;

use deadpool_postgres::Object;

use super::progress::{self, TableProgress};
use super::source::{BatchLimits, Source};
use super::tables::Table;
use super::target;
use super::value::Value;
use super::{MoveOptions, Step};
use crate::error::{Error, Result};

/// Copies what is left of `table` after `progress`, which is kept up to date batch by batch.
pub(super) async fn copy_table(
    source: &Source,
    c: &mut Object,
    table: &Arc<Table>,
    progress: &mut TableProgress,
    options: &MoveOptions,
    on_step: &(dyn Fn(Step<'_>) + Sync),
) -> Result<()> {
    if progress.done {
        on_step(Step::AlreadyCopied {
            table: table.name,
            rows: progress.rows_copied,
        });
        return Ok(());
    }
    let total = source.count(table.clone()).await?;
    let limits = BatchLimits {
        rows: options.batch_rows.max(1),
        bytes: options.batch_bytes.max(1),
    };
    let key_positions = table.key_positions();
    let mut batches_this_run = 0u64;
    loop {
        let batch = source
            .read_batch(table.clone(), progress.last_key.clone(), limits)
            .await?;
        let mut next = progress.clone();
        next.done = batch.exhausted;
        if let Some(last) = batch.rows.last() {
            next.last_key = Some(key_positions.iter().map(|&i| last[i].clone()).collect());
            next.rows_copied += batch.rows.len() as u64;
        }
        let first_keys = match table.take_back_derived {
            Some(_) => first_key_texts(&batch.rows, &key_positions),
            None => Vec::new(),
        };
        let tx = c.transaction().await?;
        if !batch.rows.is_empty() {
            target::insert_batch(&tx, table, batch.rows)
                .await
                .map_err(|e| in_batch(table, progress, e))?;
            target::take_back_derived(&tx, table, &first_keys).await?;
        }
        progress::record(&tx, table, &next).await?;
        if options.pause_after_batches == Some(batches_this_run) && !next.done {
            on_step(Step::Paused { table: table.name });
            // A test stops the process here, with this batch written but not committed.
            std::future::pending::<()>().await;
        }
        tx.commit().await?;
        *progress = next;
        batches_this_run += 1;
        on_step(Step::Copying {
            table: table.name,
            copied: progress.rows_copied,
            total,
        });
        if progress.done {
            return Ok(());
        }
    }
}

/// The batch's values of the first key column, as the take-back of derived rows needs them
/// (only text-keyed tables have one).
fn first_key_texts(rows: &[Vec<Value>], key_positions: &[usize]) -> Vec<String> {
    let Some(&first) = key_positions.first() else {
        return Vec::new();
    };
    rows.iter()
        .filter_map(|row| match &row[first] {
            Value::Text(s) => Some(s.clone()),
            _ => None,
        })
        .collect()
}

/// Names the table and where the failed batch started; a row PostgreSQL refuses (a text
/// holding a NUL byte, a broken foreign key, emails equal but for case) is told as such.
fn in_batch(table: &Table, progress: &TableProgress, e: Error) -> Error {
    if matches!(e, Error::Validation { .. }) {
        return e;
    }
    let after = match &progress.last_key {
        Some(key) => format!(
            " after the key {}",
            serde_json::Value::Array(key.iter().map(Value::to_json).collect())
        ),
        None => String::new(),
    };
    match refusal(&e) {
        Some(db) => Error::validation(
            "to",
            format!(
                "PostgreSQL refused a row of {} (in the batch{after}): {}{}",
                table.name,
                db.message(),
                db.detail().map(|d| format!(" ({d})")).unwrap_or_default()
            ),
        ),
        None => Error::internal_from(format!("copying the rows of {}{after}", table.name), e),
    }
}

/// The error PostgreSQL itself reported, if `e` is one.
fn refusal(e: &Error) -> Option<&tokio_postgres::error::DbError> {
    let Error::Internal(internal) = e else {
        return None;
    };
    std::error::Error::source(internal)?
        .downcast_ref::<tokio_postgres::Error>()?
        .as_db_error()
}
