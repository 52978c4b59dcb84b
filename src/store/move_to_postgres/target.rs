//! The PostgreSQL side: the tables' layout from the catalogue, a batch's insert, the
//! identity sequences, and the same digest the SQLite side computes.

use std::collections::BTreeMap;
use std::sync::Arc;

use deadpool_postgres::{GenericClient, Object, Transaction};
use tokio_postgres::types::ToSql;

use super::tables::{Column, NOT_COPIED, TABLES, Table};
use super::value::{Cell, ColumnArray, Digest, Kind, RowHasher, Value};
use crate::error::{Error, Result};

/// Rows fetched per round trip while computing a digest.
const DIGEST_FETCH: i32 = 2000;

/// Every table of [`TABLES`] as the target lays it out. Refuses a target whose tables,
/// primary keys or column types are not the ones this command knows how to copy: a schema
/// this binary did not make, or a table added without teaching this command about it.
pub(super) async fn layout(c: &Object) -> Result<Vec<Table>> {
    let rows = c
        .query(
            "SELECT table_name::text, column_name::text, data_type::text, is_identity = 'YES'
             FROM information_schema.columns
             WHERE table_schema = current_schema() AND is_generated = 'NEVER'
             ORDER BY table_name, ordinal_position",
            &[],
        )
        .await?;
    let mut columns: BTreeMap<String, Vec<(String, String, bool)>> = BTreeMap::new();
    for row in rows {
        columns.entry(row.try_get(0)?).or_default().push((
            row.try_get(1)?,
            row.try_get(2)?,
            row.try_get(3)?,
        ));
    }
    let unknown: Vec<&String> = columns
        .keys()
        .filter(|t| !TABLES.iter().any(|spec| spec.name == *t) && !NOT_COPIED.contains(&t.as_str()))
        .collect();
    if !unknown.is_empty() {
        return Err(Error::internal(format!(
            "the PostgreSQL schema has tables this command does not copy: {unknown:?}"
        )));
    }
    let keys = primary_keys(c).await?;
    let mut tables = Vec::with_capacity(TABLES.len());
    for spec in TABLES {
        let Some(found) = columns.remove(spec.name) else {
            return Err(Error::internal(format!(
                "the PostgreSQL schema has no table {}",
                spec.name
            )));
        };
        let mut layout = Vec::with_capacity(found.len());
        for (name, data_type, identity) in found {
            let kind = Kind::of_postgres(&data_type).ok_or_else(|| {
                Error::internal(format!(
                    "{}.{name} is of type {data_type}, which this command cannot copy",
                    spec.name
                ))
            })?;
            layout.push(Column {
                name,
                kind,
                identity,
            });
        }
        let key: Vec<&str> = keys
            .get(spec.name)
            .map_or(Vec::new(), |k| k.iter().map(String::as_str).collect());
        if key != spec.key {
            return Err(Error::internal(format!(
                "{} has the primary key {key:?} in PostgreSQL, this command expects {:?}",
                spec.name, spec.key
            )));
        }
        tables.push(Table::new(spec, layout));
    }
    Ok(tables)
}

/// Each table's primary key columns, in key order.
async fn primary_keys(c: &Object) -> Result<BTreeMap<String, Vec<String>>> {
    let rows = c
        .query(
            "SELECT t.relname::text, a.attname::text
             FROM pg_index i
             JOIN pg_class t ON t.oid = i.indrelid
             JOIN pg_namespace n ON n.oid = t.relnamespace
             JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, position) ON true
             JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
             WHERE i.indisprimary AND n.nspname = current_schema()
             ORDER BY t.relname, k.position",
            &[],
        )
        .await?;
    let mut keys: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for row in rows {
        keys.entry(row.try_get(0)?)
            .or_default()
            .push(row.try_get(1)?);
    }
    Ok(keys)
}

/// Inserts `rows` (in the table's column order) with one statement: each column travels as
/// one array and `unnest` turns them back into rows, so a batch costs one round trip and no
/// limit on parameters applies. Identity values are kept as the source has them.
pub(super) async fn insert_batch(
    tx: &Transaction<'_>,
    table: &Table,
    rows: Vec<Vec<Value>>,
) -> Result<()> {
    let mut columns: Vec<ColumnArray> = table
        .columns
        .iter()
        .map(|c| ColumnArray::new(c.kind, rows.len()))
        .collect();
    for row in rows {
        for ((value, array), column) in row.into_iter().zip(&mut columns).zip(&table.columns) {
            array.push(value).map_err(|what| {
                Error::validation(
                    "from",
                    format!("a row of {}.{} holds {what}", table.name, column.name),
                )
            })?;
        }
    }
    let arrays: Vec<String> = table
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| format!("${}::{}", i + 1, c.kind.array_type()))
        .collect();
    let overriding = if table.identity().is_some() {
        " OVERRIDING SYSTEM VALUE"
    } else {
        ""
    };
    let sql = format!(
        "INSERT INTO {} ({}){overriding} SELECT * FROM unnest({})",
        table.quoted_name(),
        table.column_list(),
        arrays.join(", ")
    );
    let params: Vec<&(dyn ToSql + Sync)> = columns.iter().map(ColumnArray::as_param).collect();
    let statement = tx.prepare_cached(&sql).await?;
    tx.execute(&statement, &params).await?;
    Ok(())
}

/// Runs the table's take-back of trigger-made rows for the batch whose first key column
/// holds `keys`.
pub(super) async fn take_back_derived(
    tx: &Transaction<'_>,
    table: &Table,
    keys: &[String],
) -> Result<()> {
    if let Some(sql) = table.take_back_derived {
        let statement = tx.prepare_cached(sql).await?;
        tx.execute(&statement, &[&keys]).await?;
    }
    Ok(())
}

/// Moves the table's identity sequence past the highest value the source ever used and the
/// highest copied: the next row gets a number neither engine has given before. Never moves a
/// sequence back, so numbers of rows deleted since (dispatched outbox events) stay unused.
pub(super) async fn advance_identity(c: &Object, table: &Table, source_high: i64) -> Result<()> {
    let Some(column) = table.identity() else {
        return Ok(());
    };
    let sql = format!(
        "SELECT GREATEST(
             $1::bigint,
             (SELECT MAX({col}) FROM {t}),
             pg_sequence_last_value(pg_get_serial_sequence($2, $3)))",
        col = super::tables::quoted(&column.name),
        t = table.quoted_name()
    );
    let high: Option<i64> = c
        .query_one(&sql, &[&source_high, &table.name, &column.name])
        .await?
        .try_get(0)?;
    let high = high.unwrap_or(0);
    if high > 0 {
        c.execute(
            "SELECT setval(pg_get_serial_sequence($1, $2), $3)",
            &[&table.name, &column.name, &high],
        )
        .await?;
    }
    Ok(())
}

/// The table's digest as [`super::source::Source::digest`] computes it, read in key order
/// (text keys in byte order, which is SQLite's) through a cursor, so memory stays flat.
pub(super) async fn digest(c: &mut Object, table: &Table) -> Result<Digest> {
    let sql = format!(
        "SELECT {} FROM {} ORDER BY {}",
        table.column_list(),
        table.quoted_name(),
        table.key_list(|c| if c.kind == Kind::Text {
            " COLLATE \"C\""
        } else {
            ""
        })
    );
    let tx = c
        .build_transaction()
        .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await?;
    let statement = tx.prepare(&sql).await?;
    let portal = tx.bind(&statement, &[]).await?;
    let mut hasher = RowHasher::new();
    loop {
        let rows = tx.query_portal(&portal, DIGEST_FETCH).await?;
        for row in &rows {
            for (i, column) in table.columns.iter().enumerate() {
                let cell = match column.kind {
                    Kind::Text => row.try_get::<_, Option<&str>>(i)?.map(Cell::Text),
                    Kind::Int => row.try_get::<_, Option<i64>>(i)?.map(Cell::Int),
                    Kind::Bool => row
                        .try_get::<_, Option<bool>>(i)?
                        .map(|b| Cell::Int(i64::from(b))),
                };
                hasher.cell(cell.unwrap_or(Cell::Null));
            }
            hasher.end_row();
        }
        if rows.len() < DIGEST_FETCH as usize {
            break;
        }
    }
    tx.commit().await?;
    Ok(hasher.finish())
}

/// Tables of `tables` that hold at least one row.
pub(super) async fn tables_with_rows(
    c: &impl GenericClient,
    tables: &[Arc<Table>],
) -> Result<Vec<&'static str>> {
    let mut found = Vec::new();
    for table in tables {
        let sql = format!("SELECT EXISTS (SELECT 1 FROM {})", table.quoted_name());
        let any: bool = c.query_one(&sql, &[]).await?.try_get(0)?;
        if any {
            found.push(table.name);
        }
    }
    Ok(found)
}
