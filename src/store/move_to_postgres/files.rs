//! Attachment files are not copied: they stay in the folder beside the SQLite file, which
//! the servers on PostgreSQL use as FILES_DIR (mounted or copied to shared storage). This
//! checks that every file the database names is there, with the size it records.

use rusqlite::Connection;

use super::source::Source;
use crate::error::Result;
use crate::store::files::FileDir;

/// How many problems are listed by name; the rest are only counted.
const LISTED: usize = 20;

/// What the files folder holds of the files the database names.
#[derive(Clone, Debug, Default)]
pub struct FilesCheck {
    /// Stored files (`blobs` rows) the database names.
    pub named: u64,
    /// Of those, missing or of another size than recorded.
    pub problems: u64,
    /// The first few problems, one line each.
    pub listed: Vec<String>,
}

pub(super) async fn check_files(source: &Source, dir: FileDir) -> Result<FilesCheck> {
    source.with(move |c| check(c, &dir)).await
}

fn check(c: &Connection, dir: &FileDir) -> Result<FilesCheck> {
    let mut stmt = c.prepare("SELECT hash, size FROM blobs ORDER BY hash")?;
    let mut rows = stmt.query([])?;
    let mut found = FilesCheck::default();
    while let Some(row) = rows.next()? {
        let hash: String = row.get(0)?;
        let size: i64 = row.get(1)?;
        found.named += 1;
        let path = dir.object_path(&hash);
        let problem = match std::fs::metadata(&path) {
            Ok(meta) if i64::try_from(meta.len()) == Ok(size) => continue,
            Ok(meta) => format!(
                "{}: {} bytes, the database says {size}",
                path.display(),
                meta.len()
            ),
            Err(e) => format!("{}: {e}", path.display()),
        };
        found.problems += 1;
        if found.listed.len() < LISTED {
            found.listed.push(problem);
        }
    }
    Ok(found)
}
