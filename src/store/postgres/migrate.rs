//! This engine's own migrations (`migrations/` beside this file), applied in order at start.
//! Replicas starting at once take turns on an advisory lock, so each migration runs once.

use deadpool_postgres::Object;

use crate::error::{Error, Result};

/// The migrations, in order; a migration's version is its place in this list (from 1).
const MIGRATIONS: &[&str] = &[include_str!("migrations/0001_initial.sql")];

/// Any constant shared by every replica: the advisory lock the migrating replica holds.
const MIGRATION_LOCK: i64 = 0x6672_6f6e_7464_6573; // "frontdes"

/// Applies every migration the database has not had yet, each in the transaction that
/// records it, under the migration lock.
pub(super) async fn apply(client: &mut Object) -> Result<()> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version    INTEGER PRIMARY KEY,
             applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
         )",
    )
    .await?;
    let done: i32 = tx
        .query_one(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            &[],
        )
        .await?
        .get(0);
    let known = MIGRATIONS.len() as i32;
    if done > known {
        return Err(Error::internal(format!(
            "the database is at schema version {done}, newer than this binary's {known}"
        )));
    }
    for (version, sql) in (1..).zip(MIGRATIONS).skip(done as usize) {
        tx.batch_execute(sql)
            .await
            .map_err(|e| Error::internal_from(format!("PostgreSQL migration {version}"), e))?;
        tx.execute(
            "INSERT INTO schema_migrations (version) VALUES ($1)",
            &[&version],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// `Ok` when the database has exactly this binary's migrations.
pub(super) async fn check_current(client: &Object) -> Result<()> {
    let version: i32 = client
        .query_one(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            &[],
        )
        .await
        .map_err(|e| Error::validation("db", format!("not a frontdesk database: {e}")))?
        .get(0);
    if version as usize != MIGRATION_COUNT {
        return Err(Error::validation(
            "db",
            format!(
                "the database is at schema version {version}, this binary's is {MIGRATION_COUNT}; \
                 run `frontdesk migrate` with the matching binary first"
            ),
        ));
    }
    Ok(())
}

/// How many migrations this binary has.
pub const MIGRATION_COUNT: usize = MIGRATIONS.len();
