//! `frontdesk migrate-to-postgres`: a SQLite database seeded through the API is moved into a
//! fresh database of the test cluster by the real binary; both databases are then compared
//! directly (the server on PostgreSQL is not needed).

mod compare;
mod run;
mod seed;

use std::path::Path;

use compare::{assert_same_rows, connect, identity_marks};
use run::{refused, run, run_without_to, start_until_paused, stderr, succeeded};
use seed::{CHATS, seeded_database};

use crate::helpers::{TestApp, wait_until};
use crate::postgres::Cluster;

/// Tables the seed fills, with the fewest rows each must hold.
const SEEDED: &[(&str, usize)] = &[
    ("agents", 3),
    ("sessions", CHATS),
    ("messages", CHATS * 4 + 1),
    ("notes", 1),
    ("ratings", 1),
    ("labels", 1),
    ("chat_labels", 1),
    ("blobs", 1),
    ("attachments", 1),
    ("settings", 1),
    ("webhook_endpoints", 1),
    ("outbox_wanted", 4),
    ("personas", 1),
    ("canned_responses", 1),
    ("audit_events", 1),
    ("search_docs", CHATS + 1),
];

/// Every data table of the target (what the command must copy and check).
async fn data_tables(url: &str) -> Vec<String> {
    connect(url)
        .await
        .query(
            "SELECT table_name::text FROM information_schema.tables
             WHERE table_schema = current_schema()
               AND table_name NOT IN ('schema_migrations', 'migration_progress')
             ORDER BY table_name",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect()
}

/// Asserts both databases hold the same rows in every table, the identity sequences carry
/// on where SQLite would, and the seeded tables are not empty.
async fn assert_moved(db: &Path, url: &str) {
    let tables = data_tables(url).await;
    let names: Vec<&str> = tables.iter().map(String::as_str).collect();
    let counts = assert_same_rows(db, url, &names).await;
    for (table, least) in SEEDED {
        let rows = counts
            .iter()
            .find(|(name, _)| name == table)
            .map_or(0, |(_, rows)| *rows);
        assert!(
            rows >= *least,
            "{table}: {rows} rows, the seed made {least} at least"
        );
    }
    // The next number PostgreSQL hands out is one SQLite never used.
    for (table, sqlite, postgres) in identity_marks(db, url).await {
        assert!(
            postgres >= sqlite,
            "{table}: sequence at {postgres}, SQLite used {sqlite}"
        );
    }
}

/// The summary's line for `table`: (sqlite rows, postgres rows, result).
fn summary_line(summary: &str, table: &str) -> (u64, u64, String) {
    let line = summary
        .lines()
        .find(|l| l.split_whitespace().next() == Some(table))
        .unwrap_or_else(|| panic!("a line for {table} in:\n{summary}"));
    let words: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(words.len(), 6, "{line}");
    (
        words[1].parse().unwrap(),
        words[2].parse().unwrap(),
        words[5].to_string(),
    )
}

async fn has_progress_table(client: &tokio_postgres::Client) -> bool {
    client
        .query_one("SELECT to_regclass('migration_progress') IS NOT NULL", &[])
        .await
        .unwrap()
        .get(0)
}

/// The table the progress record shows partly copied, and how many of its rows are in.
async fn partly_copied(client: &tokio_postgres::Client) -> Option<(String, i64)> {
    if !has_progress_table(client).await {
        return None;
    }
    client
        .query_opt(
            "SELECT table_name, rows_copied FROM migration_progress
             WHERE NOT done AND rows_copied > 0",
            &[],
        )
        .await
        .unwrap()
        .map(|row| (row.get(0), row.get(1)))
}

/// Connections to this database other than `client`'s, in the given states (all if empty).
async fn other_connections(client: &tokio_postgres::Client, idle_in_transaction: bool) -> i64 {
    client
        .query_one(
            "SELECT count(*) FROM pg_stat_activity
             WHERE datname = current_database() AND pid <> pg_backend_pid()
               AND (NOT $1 OR state = 'idle in transaction')",
            &[&idle_in_transaction],
        )
        .await
        .unwrap()
        .get(0)
}

/// A migrated SQLite database with nothing in it yet.
async fn empty_database() -> tempfile::TempDir {
    TestApp::spawn_with(|s| s.database_url = None)
        .await
        .stop()
        .await
}

#[tokio::test]
async fn copies_every_table_and_checks_both_sides() {
    let dir = seeded_database().await;
    let db = dir.path().join("frontdesk.db");
    let url = Cluster::get().fresh_database().await;

    let output = run(&db, &url, &[]).await;

    let summary = succeeded(&output);
    assert_moved(&db, &url).await;
    let client = connect(&url).await;
    for table in data_tables(&url).await {
        let (sqlite, postgres, result) = summary_line(&summary, &table);
        let rows: i64 = client
            .query_one(&format!("SELECT count(*) FROM {table}"), &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!((sqlite, postgres), (rows as u64, rows as u64), "{table}");
        assert_eq!(result, "ok", "{table}");
    }
    let files = std::fs::canonicalize(dir.path())
        .unwrap()
        .join("frontdesk.db.files");
    assert!(
        summary.contains(&format!("FILES_DIR={}", files.display())),
        "{summary}"
    );
    assert!(
        summary.contains("attachment files: all 1 the database names are in"),
        "{summary}"
    );

    // Run again (the target from DATABASE_URL this time): nothing left to copy, the check
    // passes again, nothing doubles.
    let again = run_without_to(&db, Some(&url)).await;
    succeeded(&again);
    assert!(
        stderr(&again).contains("copied by an earlier run"),
        "{}",
        stderr(&again)
    );
    assert_moved(&db, &url).await;

    // A row changed on one side afterwards: the check names its table and fails.
    client
        .execute("UPDATE notes SET body = body || '!'", &[])
        .await
        .unwrap();
    let changed = run(&db, &url, &[]).await;
    refused(&changed, &["differ", "notes"]);
    let (_, _, result) = summary_line(&run::stdout(&changed), "notes");
    assert_eq!(result, "DIFFERENT");
    let (_, _, result) = summary_line(&run::stdout(&changed), "messages");
    assert_eq!(result, "ok");
}

#[tokio::test]
async fn an_interrupted_run_resumes_without_copying_a_row_twice() {
    let dir = seeded_database().await;
    let db = dir.path().join("frontdesk.db");
    let url = Cluster::get().fresh_database().await;
    let client = connect(&url).await;

    // Small batches, and a stop with a batch written but not committed: then kill -9.
    let mut child = start_until_paused(
        &db,
        &url,
        &["--batch-rows", "2", "--pause-after-batches", "2"],
    )
    .await;
    assert!(
        other_connections(&client, true).await > 0,
        "the paused run holds its batch's transaction open"
    );
    child.kill().await.expect("kill -9 the run");
    let (table, copied) = partly_copied(&client).await.expect("a partly copied table");
    wait_until("the killed run's connection is gone", || async {
        other_connections(&client, false).await == 0
    })
    .await;
    let rows: i64 = client
        .query_one(&format!("SELECT count(*) FROM {table}"), &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(rows, copied, "{table}: only committed batches are in");

    // The file folder lost a file meanwhile: reported, and the copy still completes.
    let blob: String = rusqlite::Connection::open(&db)
        .unwrap()
        .query_row("SELECT hash FROM blobs", [], |r| r.get(0))
        .unwrap();
    let file = dir
        .path()
        .join("frontdesk.db.files/objects")
        .join(&blob[..2])
        .join(&blob);
    std::fs::remove_file(&file).expect("the stored file is where the SQLite engine keeps it");

    let output = run(&db, &url, &[]).await;

    let summary = succeeded(&output);
    assert!(
        stderr(&output).contains("resuming the copy"),
        "{}",
        stderr(&output)
    );
    assert_moved(&db, &url).await;
    assert!(
        summary.contains("attachment files: 1 of the 1 the database names are missing"),
        "{summary}"
    );
    assert!(summary.contains(&blob), "{summary}");
}

#[tokio::test]
async fn refuses_a_target_holding_other_data() {
    let dir = empty_database().await;
    let db = dir.path().join("frontdesk.db");
    let url = Cluster::get().fresh_database().await;
    let client = connect(&url).await;
    client
        .execute(
            "INSERT INTO labels (id, name, colour, created_at, updated_at)
             VALUES ('lbl_mine', 'Mine', '#000000', 0, 0)",
            &[],
        )
        .await
        .unwrap();

    let output = run(&db, &url, &[]).await;

    refused(&output, &["already holds data", "labels", "empty database"]);
    assert!(!has_progress_table(&client).await, "nothing was written");

    // A database filled from one file is not topped up from another.
    let filled = Cluster::get().fresh_database().await;
    succeeded(&run(&db, &filled, &[]).await);
    let other = empty_database().await;
    let output = run(&other.path().join("frontdesk.db"), &filled, &[]).await;
    refused(&output, &["is being filled from", "--from"]);
}

#[tokio::test]
async fn refuses_a_source_it_cannot_copy() {
    let dir = tempfile::tempdir().unwrap();
    let url = Cluster::get().fresh_database().await;
    let old = dir.path().join("old.db");
    rusqlite::Connection::open(&old)
        .unwrap()
        .execute_batch("PRAGMA user_version = 12")
        .unwrap();
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "not a database, just some words in a file").unwrap();
    let cases: [(&str, &Path, &[&str]); 3] = [
        (
            "a missing file",
            &dir.path().join("missing.db"),
            &["there is no SQLite database at", "missing.db"],
        ),
        (
            "an older schema",
            &old,
            &["older than this binary's", "frontdesk migrate"],
        ),
        ("not a database", &text, &["not a database"]),
    ];
    for (what, from, words) in cases {
        let output = run(from, &url, &[]).await;
        refused(&output, words);
        assert!(
            !has_progress_table(&connect(&url).await).await,
            "{what}: nothing was written"
        );
    }
}

#[tokio::test]
async fn asks_which_database_to_fill() {
    let dir = empty_database().await;

    let output = run_without_to(&dir.path().join("frontdesk.db"), None).await;

    refused(&output, &["--to", "DATABASE_URL"]);
}
