//! Numbered .sql files from migrations/, embedded in the binary and applied in order, each
//! once (the schema version is SQLite's `user_version`).

use rusqlite::Connection;
use rusqlite_migration::{M, Migrations};
use rust_embed::RustEmbed;

use crate::error::{Error, Result};

#[derive(RustEmbed)]
#[folder = "migrations/"]
struct MigrationFiles;

/// How many migrations this binary carries.
pub static MIGRATION_COUNT: std::sync::LazyLock<usize> =
    std::sync::LazyLock::new(|| migration_names().len());

/// The embedded migration files in the order they apply (their names start with a number).
fn migration_names() -> Vec<String> {
    let mut names: Vec<String> = MigrationFiles::iter()
        .filter(|n| n.ends_with(".sql"))
        .map(|n| n.into_owned())
        .collect();
    names.sort();
    names
}

pub fn apply(conn: &mut Connection) -> Result<()> {
    let sources = sources()?;
    migrations(&sources)
        .to_latest(conn)
        .map_err(|e| Error::internal_from("migration failed", e))
}

/// The text of every migration, in order.
fn sources() -> Result<Vec<String>> {
    migration_names()
        .iter()
        .map(|name| {
            let file = MigrationFiles::get(name).expect("listed migration exists");
            String::from_utf8(file.data.into_owned())
                .map_err(|e| Error::internal_from(format!("migration {name} is not UTF-8"), e))
        })
        .collect()
}

fn migrations(sources: &[String]) -> Migrations<'_> {
    Migrations::new(sources.iter().map(|sql| M::up(sql)).collect())
}

/// A database in memory at this binary's schema, for the engine's unit cases.
#[cfg(test)]
pub(super) fn in_memory() -> Connection {
    let mut conn = Connection::open_in_memory().expect("an in-memory database");
    apply(&mut conn).expect("the migrations apply");
    conn
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database in memory at schema `version`, to upgrade from.
    fn at_version(version: usize) -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        let sources = sources().unwrap();
        migrations(&sources).to_version(&mut conn, version).unwrap();
        conn
    }

    #[test]
    fn migrations_apply_once_and_validate() {
        let mut conn = Connection::open_in_memory().unwrap();
        apply(&mut conn).unwrap();
        apply(&mut conn).unwrap();
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version as usize, *MIGRATION_COUNT);
    }

    #[test]
    fn version_fourteen_keeps_what_the_old_trigger_indexed_without_indexing_it_again() {
        let mut conn = at_version(13);
        conn.execute_batch(
            "INSERT INTO sessions (id, user_id, created_at, last_activity_at) VALUES ('s1', 'u', 0, 0);
             INSERT INTO messages (id, session_id, sender, body, created_at, session_seq)
                 VALUES ('m1', 's1', 'user', 'parcel', 0, 1), ('m2', 's1', 'user', 'parcel late', 0, 2);",
        )
        .unwrap();
        apply(&mut conn).unwrap();
        let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
        assert_eq!(
            count("SELECT indexed_seq FROM search_progress"),
            count("SELECT MAX(seq) FROM messages"),
            "the mark starts past what the old trigger indexed"
        );
        assert_eq!(
            super::super::search_index::index_waiting(&conn, 10).unwrap(),
            0
        );
        assert_eq!(
            count("SELECT COUNT(*) FROM message_search WHERE message_search MATCH 'parcel'"),
            2
        );
        // Indexed before the upgrade, so its delete still leaves the index.
        conn.execute_batch("DELETE FROM messages WHERE id = 'm2'")
            .unwrap();
        assert_eq!(
            count("SELECT COUNT(*) FROM message_search WHERE message_search MATCH 'late'"),
            0
        );
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok");
    }

    #[test]
    fn version_two_numbers_existing_messages_per_session() {
        let mut conn = at_version(1);
        conn.execute_batch(
            "INSERT INTO agents (id, email, name, role, password_hash, created_at, updated_at)
                 VALUES ('a1', 'a@x', 'A', 'chat_admin', 'h', 0, 0);
             INSERT INTO sessions (id, user_id, created_at, last_activity_at, assigned_agent_id, agent_read_seq)
                 VALUES ('s1', 'u', 0, 0, 'a1', 3), ('s2', 'u', 0, 0, NULL, 0);
             INSERT INTO messages (id, session_id, sender, body, created_at) VALUES
                 ('m1', 's1', 'user', 'x', 0), ('m2', 's2', 'user', 'x', 0),
                 ('m3', 's1', 'user', 'x', 0), ('m4', 's1', 'admin', 'x', 0);",
        )
        .unwrap();
        apply(&mut conn).unwrap();
        let positions: Vec<(String, i64)> = conn
            .prepare("SELECT id, session_seq FROM messages ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        let expected = [("m1", 1), ("m2", 1), ("m3", 2), ("m4", 3)];
        assert_eq!(
            positions,
            expected.map(|(id, n)| (id.to_string(), n)).to_vec()
        );
        let (last, read): (i64, i64) = conn
            .query_row(
                "SELECT last_seq, agent_read_seq FROM sessions WHERE id = 's1'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        // Global seq 3 was m3, the second message of s1.
        assert_eq!((last, read), (3, 2));
        let load: i64 = conn
            .query_row("SELECT active_chats FROM agents WHERE id = 'a1'", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(load, 1);
    }
}
