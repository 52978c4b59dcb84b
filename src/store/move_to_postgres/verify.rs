//! The check at the end: every table's row count and checksum, computed the same way on both
//! sides while streaming the rows in key order.

use std::sync::Arc;

use deadpool_postgres::Object;

use super::Step;
use super::source::Source;
use super::tables::Table;
use super::target;
use super::value::Digest;
use crate::error::Result;

/// One table on both sides.
#[derive(Clone, Debug)]
pub struct TableCheck {
    pub table: &'static str,
    pub sqlite: Digest,
    pub postgres: Digest,
}

impl TableCheck {
    /// Same rows, same values, as far as a SHA-256 can tell.
    pub fn matches(&self) -> bool {
        self.sqlite == self.postgres
    }
}

/// Digests every table on both sides, the SQLite file and PostgreSQL read at once.
pub(super) async fn check_tables(
    source: &Source,
    c: &mut Object,
    tables: &[Arc<Table>],
    on_step: &(dyn Fn(Step<'_>) + Sync),
) -> Result<Vec<TableCheck>> {
    let mut checks = Vec::with_capacity(tables.len());
    for table in tables {
        on_step(Step::Verifying { table: table.name });
        let (sqlite, postgres) =
            tokio::join!(source.digest(table.clone()), target::digest(c, table));
        checks.push(TableCheck {
            table: table.name,
            sqlite: sqlite?,
            postgres: postgres?,
        });
    }
    Ok(checks)
}
