//! [`AttachmentStore`] on SQLite. Files are put in place inside the writer's job that records
//! them, and removed inside the job that forgets them, so the writer orders every change to the
//! folder with the rows that describe it: a recorded upload always has its bytes.

use std::collections::HashSet;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;

use super::{SqliteStore, attachments, sessions};
use crate::domain::Timestamp;
use crate::domain::attachment::{Attachment, AttachmentId};
use crate::error::{Error, Result};
use crate::store::attachments::{AttachmentStore, NewUpload, StoredFile, SweepOutcome, Uploader};
use crate::store::files::FileDir;

/// A file on disk that no row names is removed only when it is at least this old, so a file
/// put in place by a batch that has not committed yet is never taken for a stray.
const STRAY_FILE_AGE: Duration = Duration::from_secs(3600);

#[async_trait]
impl AttachmentStore for SqliteStore {
    fn file_dir(&self) -> &FileDir {
        &self.files
    }

    async fn save_upload(&self, upload: NewUpload) -> Result<Attachment> {
        let dir = self.files.clone();
        self.write(move |c| {
            let NewUpload {
                attachment,
                uploader,
                mut content,
                thumbnail,
                now,
                limits,
            } = upload;
            let session = sessions::get(c, &attachment.session_id)?;
            match (&session, &uploader) {
                (Some(s), Uploader::User(owner)) if owner.owns(s) => s.check_open()?,
                (Some(s), Uploader::Agent(_)) => s.check_open()?,
                _ => return Err(Error::SessionNotFound),
            }
            let held = attachments::count_in_session(c, &attachment.session_id)?;
            if held >= i64::from(limits.per_session) {
                return Err(Error::TooManyAttachments);
            }
            let mut new_bytes = 0;
            for file in std::iter::once(&content).chain(thumbnail.as_ref()) {
                if !attachments::blob_exists(c, &file.hash)? {
                    new_bytes += file.size;
                }
            }
            if attachments::stored_bytes(c)?.saturating_add(new_bytes) > limits.quota_bytes {
                return Err(Error::StorageFull);
            }
            let thumbnail_hash = match thumbnail {
                Some(mut thumb) => Some(place(c, &dir, &mut thumb, now)?),
                None => None,
            };
            let blob_hash = place(c, &dir, &mut content, now)?;
            attachments::insert(
                c,
                &attachment,
                &uploader,
                &blob_hash,
                thumbnail_hash.as_deref(),
                now,
            )?;
            Ok(attachment)
        })
        .await
    }

    async fn stored_file(&self, id: AttachmentId) -> Result<Option<StoredFile>> {
        let dir = self.files.clone();
        self.read(move |c| {
            Ok(attachments::get(c, id.as_str())?.map(|row| StoredFile {
                path: dir.object_path(&row.blob_hash),
                thumbnail_path: row.thumbnail_hash.as_deref().map(|h| dir.object_path(h)),
                sent: row.message_id.is_some(),
                attachment: row.attachment,
            }))
        })
        .await
    }

    async fn sweep_files(&self, before: Timestamp) -> Result<SweepOutcome> {
        let dir = self.files.clone();
        let mut outcome = self
            .write(move |c| {
                let unsent_uploads = attachments::delete_unsent_before(c, before)?;
                let unreferenced = attachments::delete_unreferenced_blobs(c)?;
                for hash in &unreferenced {
                    dir.remove(hash)
                        .map_err(|e| Error::internal_from("removing an unused file", e))?;
                }
                Ok(SweepOutcome {
                    unsent_uploads,
                    files: unreferenced.len(),
                })
            })
            .await?;
        let known: HashSet<String> = self
            .read(|c| Ok(attachments::all_blob_hashes(c)?.into_iter().collect()))
            .await?;
        let dir = self.files.clone();
        outcome.files += tokio::task::spawn_blocking(move || remove_strays(&dir, &known))
            .await
            .map_err(|e| Error::internal_from("stray file sweep failed", e))??;
        Ok(outcome)
    }

    async fn stored_bytes(&self) -> Result<u64> {
        self.read(attachments::stored_bytes).await
    }
}

/// Records a staged file's blob (if new) and puts the bytes in place; answers its hash.
fn place(
    c: &rusqlite::Connection,
    dir: &FileDir,
    staged: &mut crate::store::files::StagedFile,
    now: Timestamp,
) -> Result<String> {
    attachments::insert_blob(c, &staged.hash, staged.size, now)?;
    dir.put_in_place(staged)
        .map_err(|e| Error::internal_from("storing an upload", e))?;
    Ok(staged.hash.clone())
}

/// Removes files no row names (left by a crash between putting a file in place and the commit)
/// and staging files of uploads a crash cut off; both only once older than [`STRAY_FILE_AGE`].
fn remove_strays(dir: &FileDir, known: &HashSet<String>) -> Result<usize> {
    let io = |e| Error::internal_from("sweeping the attachment folder", e);
    let cutoff = SystemTime::now() - STRAY_FILE_AGE;
    let mut removed = 0;
    for hash in dir.stored_hashes().map_err(io)? {
        let path = dir.object_path(&hash);
        let old = std::fs::metadata(&path)
            .and_then(|m| m.modified())
            .is_ok_and(|t| t < cutoff);
        if old && !known.contains(&hash) {
            dir.remove(&hash).map_err(io)?;
            removed += 1;
        }
    }
    for (path, modified) in dir.staging_files().map_err(io)? {
        if modified < cutoff {
            let _ = std::fs::remove_file(path);
        }
    }
    Ok(removed)
}
