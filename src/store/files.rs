//! The folder beside the database that holds the bytes of attachments, named by the SHA-256 of
//! their content: `objects/ab/abcdef…` (one copy of a file however often it is sent) and
//! `staging/` for uploads on their way in. Both sit on one file system, so putting a staged
//! file in place is an atomic rename. Engines own the folder and decide, inside their own
//! transactions, when a file is put in place or removed; service/ only stages bytes.

use std::io;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use crate::error::{Error, Result};

/// The attachment folder of one database.
#[derive(Clone, Debug)]
pub struct FileDir {
    root: PathBuf,
}

impl FileDir {
    /// The folder for the database at `database`: `<database file name>.files` beside it.
    pub fn beside(database: &Path) -> FileDir {
        let mut name = database
            .file_name()
            .map(|n| n.to_os_string())
            .unwrap_or_else(|| "frontdesk.db".into());
        name.push(".files");
        FileDir {
            root: database.with_file_name(name),
        }
    }

    /// Creates the folder and its parts if missing.
    pub fn create(&self) -> Result<()> {
        for dir in [self.root.join("objects"), self.root.join("staging")] {
            std::fs::create_dir_all(&dir)
                .map_err(|e| Error::internal_from(format!("cannot create {}", dir.display()), e))?;
        }
        Ok(())
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where the file with this content hash lives.
    pub fn object_path(&self, hash: &str) -> PathBuf {
        let shard = hash.get(..2).unwrap_or("00");
        self.root.join("objects").join(shard).join(hash)
    }

    /// A new, empty staging file that hashes what is written to it.
    pub async fn stage(&self) -> Result<Staging> {
        let path = self
            .root
            .join("staging")
            .join(format!("{}.part", crate::domain::ids::random_token(12)));
        let file = tokio::fs::File::create(&path)
            .await
            .map_err(|e| Error::internal_from("creating a staging file", e))?;
        Ok(Staging {
            file,
            hasher: Sha256::new(),
            size: 0,
            path: StagedPath(Some(path)),
        })
    }

    /// Moves a staged file to its place under its hash (replacing an identical copy) and makes
    /// the rename durable. Blocking: called by engines inside their unit of work.
    pub fn put_in_place(&self, staged: &mut StagedFile) -> io::Result<()> {
        let target = self.object_path(&staged.hash);
        let shard = target.parent().expect("objects have a shard folder");
        std::fs::create_dir_all(shard)?;
        let from = staged
            .path
            .take()
            .ok_or_else(|| io::Error::other("already placed"))?;
        std::fs::rename(&from, &target)?;
        sync_dir(shard)
    }

    /// Removes the file with this hash; a missing file is not an error.
    pub fn remove(&self, hash: &str) -> io::Result<()> {
        match std::fs::remove_file(self.object_path(hash)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// Staging files left by uploads that never finished (a crash mid-upload); the caller
    /// removes those older than any upload could take.
    pub fn staging_files(&self) -> io::Result<Vec<(PathBuf, std::time::SystemTime)>> {
        let mut found = Vec::new();
        for entry in std::fs::read_dir(self.root.join("staging"))? {
            let entry = entry?;
            found.push((entry.path(), entry.metadata()?.modified()?));
        }
        Ok(found)
    }

    /// Every content hash stored in `objects/`.
    pub fn stored_hashes(&self) -> io::Result<Vec<String>> {
        let mut hashes = Vec::new();
        let objects = self.root.join("objects");
        for shard in std::fs::read_dir(&objects)? {
            let shard = shard?;
            if !shard.file_type()?.is_dir() {
                continue;
            }
            for file in std::fs::read_dir(shard.path())? {
                hashes.push(file?.file_name().to_string_lossy().into_owned());
            }
        }
        Ok(hashes)
    }
}

/// Makes a rename or creation inside `dir` survive a power cut.
fn sync_dir(dir: &Path) -> io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

/// A path removed on drop unless it was taken (put in place).
#[derive(Debug)]
struct StagedPath(Option<PathBuf>);

impl StagedPath {
    fn take(&mut self) -> Option<PathBuf> {
        self.0.take()
    }
}

impl Drop for StagedPath {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// A staging file being written.
pub struct Staging {
    file: tokio::fs::File,
    hasher: Sha256,
    size: u64,
    path: StagedPath,
}

impl Staging {
    pub fn size(&self) -> u64 {
        self.size
    }

    pub async fn write(&mut self, chunk: &[u8]) -> Result<()> {
        self.hasher.update(chunk);
        self.size += chunk.len() as u64;
        self.file
            .write_all(chunk)
            .await
            .map_err(|e| Error::internal_from("writing an upload", e))
    }

    /// Flushes the bytes to disk (fsync) and answers the finished file.
    pub async fn finish(mut self) -> Result<StagedFile> {
        self.file
            .flush()
            .await
            .and(self.file.sync_all().await)
            .map_err(|e| Error::internal_from("syncing an upload", e))?;
        Ok(StagedFile {
            hash: hex(&self.hasher.finalize()),
            size: self.size,
            path: self.path,
        })
    }
}

/// A complete file in staging, durable on disk, known by its content hash. Removed when
/// dropped unless an engine put it in place.
#[derive(Debug)]
pub struct StagedFile {
    pub hash: String,
    pub size: u64,
    path: StagedPath,
}

impl StagedFile {
    /// Where the staged bytes are, for reading them back (image processing).
    pub fn path(&self) -> Option<&Path> {
        self.path.0.as_deref()
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}
