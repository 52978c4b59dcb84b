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
    let names = migration_names();
    let sources: Vec<String> = names
        .iter()
        .map(|name| {
            let file = MigrationFiles::get(name).expect("listed migration exists");
            String::from_utf8(file.data.into_owned())
                .map_err(|_| Error::internal(format!("migration {name} is not UTF-8")))
        })
        .collect::<Result<_>>()?;
    let migrations = Migrations::new(sources.iter().map(|sql| M::up(sql)).collect());
    migrations
        .to_latest(conn)
        .map_err(|e| Error::internal(format!("migration failed: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
