//! The SQLite side: the file opened read-only, inside one read transaction for the whole
//! run, so every batch and every checksum sees the same snapshot of it.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags, OptionalExtension};

use super::tables::{Table, quoted};
use super::value::{Cell, Digest, RowHasher, Value};
use crate::error::{Error, Result};
use crate::store::MIGRATION_COUNT;

/// Rows read in one go, and the batch's budget.
#[derive(Clone, Copy, Debug)]
pub(super) struct BatchLimits {
    pub(super) rows: usize,
    pub(super) bytes: usize,
}

/// Rows in key order, and whether they were the table's last.
pub(super) struct Batch {
    pub(super) rows: Vec<Vec<Value>>,
    pub(super) exhausted: bool,
}

/// The SQLite database being copied.
pub(super) struct Source {
    path: PathBuf,
    conn: Arc<Mutex<Connection>>,
}

impl Source {
    /// Opens the file at `path` read-only and starts the snapshot every read of this run
    /// sees. Refuses a missing file and a schema older or newer than this binary's.
    pub(super) async fn open(path: &Path) -> Result<Source> {
        let path = path.to_path_buf();
        let conn = tokio::task::spawn_blocking({
            let path = path.clone();
            move || open_snapshot(&path)
        })
        .await
        .map_err(|e| Error::internal_from("opening the SQLite file", e))??;
        Ok(Source {
            path,
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` on the connection, off the async runtime.
    pub(super) async fn with<R, F>(&self, f: F) -> Result<R>
    where
        F: FnOnce(&Connection) -> Result<R> + Send + 'static,
        R: Send + 'static,
    {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let conn = conn
                .lock()
                .map_err(|_| Error::internal("the SQLite connection was poisoned"))?;
            f(&conn)
        })
        .await
        .map_err(|e| Error::internal_from("reading the SQLite file", e))?
    }

    /// `Ok` when the file's table has exactly the columns the target's has.
    pub(super) async fn check_columns(&self, table: Arc<Table>) -> Result<()> {
        self.with(move |c| {
            let mut stmt = c.prepare("SELECT name FROM pragma_table_info(?1)")?;
            let mut found: Vec<String> = stmt
                .query_map([table.name], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            let mut wanted: Vec<String> = table.columns.iter().map(|c| c.name.clone()).collect();
            found.sort();
            wanted.sort();
            if found != wanted {
                return Err(refuse(format!(
                    "table {} has the columns {found:?} in the SQLite file and {wanted:?} in \
                     PostgreSQL; both should be this binary's schema",
                    table.name
                )));
            }
            Ok(())
        })
        .await
    }

    pub(super) async fn count(&self, table: Arc<Table>) -> Result<u64> {
        self.with(move |c| {
            let sql = format!("SELECT COUNT(*) FROM {}", table.quoted_name());
            let n: i64 = c.query_row(&sql, [], |r| r.get(0))?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
        .await
    }

    /// The rows after `after` (a key; `None` from the start) in key order, at most `limits`.
    pub(super) async fn read_batch(
        &self,
        table: Arc<Table>,
        after: Option<Vec<Value>>,
        limits: BatchLimits,
    ) -> Result<Batch> {
        self.with(move |c| {
            let mut sql = format!(
                "SELECT {} FROM {}",
                table.column_list(),
                table.quoted_name()
            );
            let keys = table.key_list(|_| "");
            let after = after.unwrap_or_default();
            if !after.is_empty() {
                let marks: Vec<String> = (1..=after.len()).map(|i| format!("?{i}")).collect();
                sql.push_str(&format!(" WHERE ({keys}) > ({})", marks.join(", ")));
            }
            sql.push_str(&format!(" ORDER BY {keys} LIMIT {}", limits.rows));
            let mut stmt = c.prepare(&sql)?;
            let mut rows = stmt.query(rusqlite::params_from_iter(after.iter()))?;
            let mut batch = Vec::new();
            let mut bytes = 0;
            while let Some(row) = rows.next()? {
                let mut values = Vec::with_capacity(table.columns.len());
                for (i, column) in table.columns.iter().enumerate() {
                    let value = value_of(row.get_ref(i)?)
                        .map_err(|what| unreadable(&table, &column.name, &what))?;
                    bytes += value.weight();
                    values.push(value);
                }
                batch.push(values);
                if bytes >= limits.bytes {
                    return Ok(Batch {
                        rows: batch,
                        exhausted: false,
                    });
                }
            }
            let exhausted = batch.len() < limits.rows;
            Ok(Batch {
                rows: batch,
                exhausted,
            })
        })
        .await
    }

    /// The highest value SQLite has ever handed out for the table's AUTOINCREMENT key (it
    /// never hands it out again, even after deletes); 0 when it has none.
    pub(super) async fn autoincrement_high(&self, table: &'static str) -> Result<i64> {
        self.with(move |c| {
            Ok(c.query_row(
                "SELECT seq FROM sqlite_sequence WHERE name = ?1",
                [table],
                |r| r.get::<_, i64>(0),
            )
            .optional()?
            .unwrap_or(0))
        })
        .await
    }

    /// The table's digest: every row's columns in the target's order, rows in key order.
    pub(super) async fn digest(&self, table: Arc<Table>) -> Result<Digest> {
        self.with(move |c| {
            let sql = format!(
                "SELECT {} FROM {} ORDER BY {}",
                table.column_list(),
                table.quoted_name(),
                table.key_list(|_| "")
            );
            let mut stmt = c.prepare(&sql)?;
            let mut rows = stmt.query([])?;
            let mut hasher = RowHasher::new();
            while let Some(row) = rows.next()? {
                for (i, column) in table.columns.iter().enumerate() {
                    let cell = cell_of(row.get_ref(i)?)
                        .map_err(|what| unreadable(&table, &column.name, &what))?;
                    hasher.cell(cell);
                }
                hasher.end_row();
            }
            Ok(hasher.finish())
        })
        .await
    }
}

fn open_snapshot(path: &Path) -> Result<Connection> {
    if !path.is_file() {
        return Err(refuse(format!(
            "there is no SQLite database at {}",
            path.display()
        )));
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| refuse(format!("{} cannot be opened: {e}", path.display())))?;
    // A server that is still running may hold the file briefly; wait for it rather than fail.
    conn.busy_timeout(Duration::from_secs(10))?;
    // One read transaction for the whole run: its first read pins the snapshot.
    conn.execute_batch("BEGIN")?;
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| refuse(format!("{} is not a database: {e}", path.display())))?;
    conn.query_row("SELECT COUNT(*) FROM sqlite_schema", [], |r| {
        r.get::<_, i64>(0)
    })?;
    let known = *MIGRATION_COUNT as i64;
    if version < known {
        return Err(refuse(format!(
            "{} is at schema version {version}, older than this binary's {known}; run \
             `frontdesk migrate --db {}` first",
            path.display(),
            path.display()
        )));
    }
    if version > known {
        return Err(refuse(format!(
            "{} is at schema version {version}, newer than this binary's {known}; move it \
             with the frontdesk version that wrote it",
            path.display()
        )));
    }
    Ok(conn)
}

/// A stored value as this command carries it; an `Err` names what it is instead.
fn value_of(value: ValueRef<'_>) -> std::result::Result<Value, String> {
    Ok(match cell_of(value)? {
        Cell::Null => Value::Null,
        Cell::Int(i) => Value::Int(i),
        Cell::Text(s) => Value::Text(s.to_string()),
    })
}

fn cell_of(value: ValueRef<'_>) -> std::result::Result<Cell<'_>, String> {
    match value {
        ValueRef::Null => Ok(Cell::Null),
        ValueRef::Integer(i) => Ok(Cell::Int(i)),
        ValueRef::Text(bytes) => std::str::from_utf8(bytes)
            .map(Cell::Text)
            .map_err(|_| "text that is not UTF-8".to_string()),
        ValueRef::Real(r) => Err(format!("the real number {r}")),
        ValueRef::Blob(b) => Err(format!("a blob of {} bytes", b.len())),
    }
}

fn unreadable(table: &Table, column: &str, what: &str) -> Error {
    refuse(format!(
        "a row of {}.{} holds {what}, which this schema never writes there",
        table.name,
        quoted(column)
    ))
}

fn refuse(message: String) -> Error {
    Error::validation("from", message)
}
