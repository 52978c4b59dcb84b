//! An independent look at both databases: every row of a table read with each engine's own
//! driver, by the SQLite file's column names, and compared as sorted sets.

use std::path::Path;

use tokio_postgres::types::Type;

/// A value as both engines hold it (booleans as SQLite's 0 and 1).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Cell {
    Null,
    Int(i64),
    Text(String),
}

pub async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("connect to the test database");
    tokio::spawn(connection);
    client
}

/// The table's column names in the SQLite file.
fn sqlite_columns(conn: &rusqlite::Connection, table: &str) -> Vec<String> {
    let mut stmt = conn
        .prepare("SELECT name FROM pragma_table_info(?1)")
        .unwrap();
    let columns: Vec<String> = stmt
        .query_map([table], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    assert!(!columns.is_empty(), "the SQLite file has a table {table}");
    columns
}

/// Every row of `table` in the SQLite file, sorted; with the column names.
pub fn sqlite_rows(db: &Path, table: &str) -> (Vec<String>, Vec<Vec<Cell>>) {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let columns = sqlite_columns(&conn, table);
    let sql = format!("SELECT {} FROM {table}", columns.join(", "));
    let mut stmt = conn.prepare(&sql).unwrap();
    let mut rows: Vec<Vec<Cell>> = stmt
        .query_map([], |row| {
            (0..columns.len())
                .map(|i| {
                    Ok(match row.get_ref(i)? {
                        rusqlite::types::ValueRef::Null => Cell::Null,
                        rusqlite::types::ValueRef::Integer(n) => Cell::Int(n),
                        rusqlite::types::ValueRef::Text(t) => {
                            Cell::Text(String::from_utf8(t.to_vec()).expect("UTF-8 text"))
                        }
                        other => panic!("{table}: unexpected {other:?}"),
                    })
                })
                .collect()
        })
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    rows.sort();
    (columns, rows)
}

/// Every row of `table` in PostgreSQL, `columns` of it, sorted.
pub async fn postgres_rows(
    client: &tokio_postgres::Client,
    table: &str,
    columns: &[String],
) -> Vec<Vec<Cell>> {
    let sql = format!("SELECT {} FROM {table}", columns.join(", "));
    let rows = client
        .query(&sql, &[])
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    let mut cells: Vec<Vec<Cell>> = rows
        .iter()
        .map(|row| {
            (0..columns.len())
                .map(|i| {
                    let kind = row.columns()[i].type_().clone();
                    let cell = if kind == Type::TEXT {
                        row.get::<_, Option<String>>(i).map(Cell::Text)
                    } else if kind == Type::INT8 {
                        row.get::<_, Option<i64>>(i).map(Cell::Int)
                    } else if kind == Type::BOOL {
                        row.get::<_, Option<bool>>(i)
                            .map(|b| Cell::Int(i64::from(b)))
                    } else {
                        panic!("{table}.{}: unexpected type {kind}", columns[i])
                    };
                    cell.unwrap_or(Cell::Null)
                })
                .collect()
        })
        .collect();
    cells.sort();
    cells
}

/// Asserts that each of `tables` holds the same rows in both databases; answers how many
/// rows each table holds.
pub async fn assert_same_rows(db: &Path, url: &str, tables: &[&str]) -> Vec<(String, usize)> {
    let client = connect(url).await;
    let mut counts = Vec::new();
    for table in tables {
        let (columns, sqlite) = sqlite_rows(db, table);
        let postgres = postgres_rows(&client, table, &columns).await;
        assert_eq!(
            sqlite.len(),
            postgres.len(),
            "{table}: row counts differ (sqlite {}, postgres {})",
            sqlite.len(),
            postgres.len()
        );
        assert_eq!(sqlite, postgres, "{table}: the rows differ");
        counts.push((table.to_string(), sqlite.len()));
    }
    counts
}

/// For each table with an identity column: the number SQLite would hand out next, less one
/// (the AUTOINCREMENT high-water mark, or the highest key), and PostgreSQL's sequence.
pub async fn identity_marks(db: &Path, url: &str) -> Vec<(String, i64, i64)> {
    let client = connect(url).await;
    let identities = client
        .query(
            "SELECT table_name::text, column_name::text FROM information_schema.columns
             WHERE table_schema = current_schema() AND is_identity = 'YES'
             ORDER BY table_name",
            &[],
        )
        .await
        .unwrap();
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let mut marks = Vec::new();
    for row in identities {
        let (table, column): (String, String) = (row.get(0), row.get(1));
        let sqlite: i64 = conn
            .query_row(
                &format!(
                    "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = ?1), 0),
                                COALESCE((SELECT MAX({column}) FROM {table}), 0))"
                ),
                [&table],
                |r| r.get(0),
            )
            .unwrap();
        let postgres: Option<i64> = client
            .query_one(
                "SELECT pg_sequence_last_value(pg_get_serial_sequence($1, $2))",
                &[&table, &column],
            )
            .await
            .unwrap()
            .get(0);
        marks.push((table, sqlite, postgres.unwrap_or(0)));
    }
    marks
}
