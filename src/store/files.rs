//! The folder beside the database that holds the bytes of attachments, named by the SHA-256 of
//! their content: `objects/ab/abcdef…` (one copy of a file however often it is sent) and
//! `staging/` for uploads on their way in. Both sit on one file system, so putting a staged
//! file in place is an atomic rename. Engines own the folder and decide, inside their own
//! transactions, when a file is put in place or removed; service/ only stages bytes.

use std::io;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

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

    /// The folder at `root` itself (PostgreSQL's files folder, named by `FILES_DIR`).
    pub fn at(root: &Path) -> FileDir {
        FileDir {
            root: root.to_path_buf(),
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
            .map_err(|e| Error::internal_from("creating a staging file", e))?
            .into_std()
            .await;
        Ok(Staging {
            sink: Some(Sink {
                file,
                hasher: Sha256::new(),
            }),
            buffer: Vec::with_capacity(STAGING_BATCH),
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

    /// Copies the file with `hash` into `target` (another database's folder): a hard link when
    /// both are on one file system (files never change, so sharing the inode is safe), else a
    /// copy; either way made durable. A missing source is an error naming it.
    pub fn copy_object_to(&self, target: &FileDir, hash: &str) -> io::Result<u64> {
        let from = self.object_path(hash);
        let to = target.object_path(hash);
        let shard = to.parent().expect("objects have a shard folder");
        std::fs::create_dir_all(shard)?;
        let size = std::fs::metadata(&from)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", from.display())))?
            .len();
        if !to.exists() && std::fs::hard_link(&from, &to).is_err() {
            let partial = to.with_extension("part");
            std::fs::copy(&from, &partial)?;
            std::fs::File::open(&partial)?.sync_all()?;
            std::fs::rename(&partial, &to)?;
        }
        sync_dir(shard)?;
        Ok(size)
    }

    /// The SHA-256 and size of the stored file with `hash`, read back from disk.
    pub fn checksum(&self, hash: &str) -> io::Result<(String, u64)> {
        use std::io::Read;
        let mut file = std::fs::File::open(self.object_path(hash))?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 64 * 1024];
        let mut size = 0;
        loop {
            let n = file.read(&mut buf)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            size += n as u64;
        }
        Ok((hex(&hasher.finalize()), size))
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

/// Bytes an upload gathers before they are hashed and written, off the async threads, in one
/// go: hashing 5 MB on a runtime thread would hold up every poll scheduled behind it.
const STAGING_BATCH: usize = 256 * 1024;

/// The file and its running hash, moved to a blocking thread for each batch.
struct Sink {
    file: std::fs::File,
    hasher: Sha256,
}

/// A staging file being written.
pub struct Staging {
    /// `None` only while a batch is being written (or after a failed one).
    sink: Option<Sink>,
    buffer: Vec<u8>,
    size: u64,
    path: StagedPath,
}

impl Staging {
    pub fn size(&self) -> u64 {
        self.size
    }

    pub async fn write(&mut self, chunk: &[u8]) -> Result<()> {
        // Written before it would outgrow its capacity: the buffer never reallocates.
        if !self.buffer.is_empty() && self.buffer.len() + chunk.len() > STAGING_BATCH {
            self.write_batch(false).await?;
        }
        self.size += chunk.len() as u64;
        self.buffer.extend_from_slice(chunk);
        Ok(())
    }

    /// Hashes and writes what is gathered on a blocking thread; `sync` also flushes the file
    /// to disk.
    async fn write_batch(&mut self, sync: bool) -> Result<()> {
        let mut sink = self
            .sink
            .take()
            .ok_or_else(|| Error::internal("an upload's staging file was lost"))?;
        // The buffer goes to the blocking thread and comes back emptied: one allocation per
        // upload, not one per batch (each freed 256 KB would be memory the kernel maps anew).
        let mut batch = std::mem::take(&mut self.buffer);
        let (sink, batch) = tokio::task::spawn_blocking(move || {
            use std::io::Write;
            sink.hasher.update(&batch);
            sink.file.write_all(&batch)?;
            if sync {
                sink.file.sync_all()?;
            }
            batch.clear();
            Ok::<_, std::io::Error>((sink, batch))
        })
        .await
        .map_err(|e| Error::internal_from("an upload's writer stopped", e))?
        .map_err(|e| Error::internal_from("writing an upload", e))?;
        self.sink = Some(sink);
        self.buffer = batch;
        Ok(())
    }

    /// Flushes the bytes to disk (fsync) and answers the finished file.
    pub async fn finish(mut self) -> Result<StagedFile> {
        self.write_batch(true).await?;
        let sink = self
            .sink
            .take()
            .ok_or_else(|| Error::internal("an upload's staging file was lost"))?;
        Ok(StagedFile {
            hash: hex(&sink.hasher.finalize()),
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
