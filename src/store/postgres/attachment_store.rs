//! [`AttachmentStore`] on PostgreSQL. The bytes live in the files folder every replica shares,
//! outside the database, so no transaction covers them; the rows are the truth and the folder
//! follows them under one rule: a file is put in place before the rows naming it commit, and
//! removed only after the rows naming it are gone. A per-content lock (see
//! [`attachments::lock_content`]) keeps an upload and a sweep of the same content apart, on
//! this replica or another one.

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use tokio_postgres::IsolationLevel;

use super::{PgStore, attachments, sessions, write_tx};
use crate::domain::Timestamp;
use crate::domain::attachment::{Attachment, AttachmentId};
use crate::error::{Error, Result};
use crate::store::attachments::{AttachmentStore, NewUpload, StoredFile, SweepOutcome, Uploader};
use crate::store::files::{FileDir, StagedFile};

/// A file on disk that no row names is removed only when it is at least this old, so a file
/// put in place by an upload that has not committed yet is never taken for a stray.
const STRAY_FILE_AGE: Duration = Duration::from_secs(3600);

#[async_trait]
impl AttachmentStore for PgStore {
    fn file_dir(&self) -> &FileDir {
        self.files()
    }

    async fn save_upload(&self, upload: NewUpload) -> Result<Attachment> {
        let NewUpload {
            attachment,
            uploader,
            content,
            thumbnail,
            now,
            limits,
        } = upload;
        // (hash, size) of the content, then of its thumbnail if there is one.
        let files: Vec<(String, u64)> = std::iter::once(&content)
            .chain(thumbnail.as_ref())
            .map(|f| (f.hash.clone(), f.size))
            .collect();
        let hashes: Vec<&str> = files.iter().map(|(hash, _)| hash.as_str()).collect();
        let staged = Mutex::new(Some(
            std::iter::once(content)
                .chain(thumbnail)
                .collect::<Vec<_>>(),
        ));
        write_tx!(self, |tx| {
            attachments::lock_content(&tx, &hashes).await?;
            let session = sessions::get(&tx, &attachment.session_id).await?;
            match (&session, &uploader) {
                (Some(s), Uploader::User(owner)) if owner.owns(s) => s.check_open()?,
                (Some(s), Uploader::Agent(_)) => s.check_open()?,
                _ => return Err(Error::SessionNotFound),
            }
            let held = attachments::count_in_session(&tx, &attachment.session_id).await?;
            if held >= i64::from(limits.per_session) {
                return Err(Error::TooManyAttachments);
            }
            let mut new_bytes = 0;
            for (hash, size) in &files {
                if !attachments::blob_exists(&tx, hash).await? {
                    new_bytes += size;
                }
            }
            if attachments::stored_bytes(&tx)
                .await?
                .saturating_add(new_bytes)
                > limits.quota_bytes
            {
                return Err(Error::StorageFull);
            }
            for (hash, size) in &files {
                attachments::insert_blob(&tx, hash, *size, now).await?;
            }
            self.place(&staged, &hashes).await?;
            attachments::insert(
                &tx,
                &attachment,
                &uploader,
                hashes[0],
                hashes.get(1).copied(),
                now,
            )
            .await?;
            Ok(attachment.clone())
        })
    }

    async fn stored_file(&self, id: AttachmentId) -> Result<Option<StoredFile>> {
        let c = self.reader().await?;
        let dir = self.files();
        Ok(attachments::get(&c, id.as_str())
            .await?
            .map(|row| StoredFile {
                path: dir.object_path(&row.blob_hash),
                thumbnail_path: row.thumbnail_hash.as_deref().map(|h| dir.object_path(h)),
                sent: row.message_id.is_some(),
                attachment: row.attachment,
            }))
    }

    async fn sweep_files(&self, before: Timestamp) -> Result<SweepOutcome> {
        let (unsent_uploads, unreferenced) = write_tx!(self, |tx| {
            let unsent = attachments::delete_unsent_before(&tx, before).await?;
            let unreferenced = attachments::delete_unreferenced_blobs(&tx).await?;
            Ok((unsent, unreferenced))
        })?;
        // Only now that the rows are gone for good (a transaction that has to run again
        // would still name them) do their files go.
        for hash in &unreferenced {
            self.remove_unrecorded(hash, None).await?;
        }
        let known: HashSet<String> = {
            let c = self.reader().await?;
            attachments::all_blob_hashes(&c)
                .await?
                .into_iter()
                .collect()
        };
        let cutoff = SystemTime::now() - STRAY_FILE_AGE;
        let dir = self.files().clone();
        let strays = tokio::task::spawn_blocking(move || stray_candidates(&dir, &known, cutoff))
            .await
            .map_err(|e| Error::internal_from("stray file sweep failed", e))??;
        let mut removed_strays = 0;
        for hash in &strays {
            if self.remove_unrecorded(hash, Some(cutoff)).await? {
                removed_strays += 1;
            }
        }
        Ok(SweepOutcome {
            unsent_uploads,
            files: unreferenced.len() + removed_strays,
        })
    }

    async fn stored_bytes(&self) -> Result<u64> {
        let c = self.reader().await?;
        attachments::stored_bytes(&c).await
    }
}

impl PgStore {
    /// Puts an upload's staged files in place, inside the transaction that records them and
    /// under their content locks. The first attempt moves them; the transaction may run again
    /// (a lost race), and a later attempt finds them already there. A sweep can remove them
    /// between two attempts only if nothing names that content; the upload then fails rather
    /// than record a file it no longer has.
    async fn place(&self, staged: &Mutex<Option<Vec<StagedFile>>>, hashes: &[&str]) -> Result<()> {
        let first = staged
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        let dir = self.files().clone();
        let hashes: Vec<String> = hashes.iter().map(|h| h.to_string()).collect();
        tokio::task::spawn_blocking(move || match first {
            Some(mut files) => files.iter_mut().try_for_each(|f| {
                dir.put_in_place(f)
                    .map_err(|e| Error::internal_from("storing an upload", e))
            }),
            None if hashes.iter().all(|h| dir.object_path(h).exists()) => Ok(()),
            None => Err(Error::internal(
                "an upload's file was swept while its upload was being recorded",
            )),
        })
        .await
        .map_err(|e| Error::internal_from("storing an upload failed", e))?
    }

    /// Removes the file with `hash` unless a row names that content (and, with `older_than`,
    /// unless the file is newer), holding the content lock so that no upload puts the same
    /// content in place meanwhile; answers whether it did. Read committed: the check must see
    /// an upload that committed while this waited for the lock.
    async fn remove_unrecorded(&self, hash: &str, older_than: Option<SystemTime>) -> Result<bool> {
        let mut c = self.client().await?;
        let tx = c
            .build_transaction()
            .isolation_level(IsolationLevel::ReadCommitted)
            .start()
            .await?;
        attachments::lock_content(&tx, &[hash]).await?;
        let removed = if attachments::blob_exists(&tx, hash).await? {
            false
        } else {
            let dir = self.files().clone();
            let hash = hash.to_string();
            tokio::task::spawn_blocking(move || remove_if_old(&dir, &hash, older_than))
                .await
                .map_err(|e| Error::internal_from("removing an unused file failed", e))??
        };
        tx.commit().await?;
        Ok(removed)
    }
}

/// Removes the file with `hash`, when given only if it was last changed before `older_than`.
fn remove_if_old(dir: &FileDir, hash: &str, older_than: Option<SystemTime>) -> Result<bool> {
    if let Some(cutoff) = older_than {
        let old = std::fs::metadata(dir.object_path(hash))
            .and_then(|m| m.modified())
            .is_ok_and(|t| t < cutoff);
        if !old {
            return Ok(false);
        }
    }
    dir.remove(hash)
        .map_err(|e| Error::internal_from("removing an unused file", e))?;
    Ok(true)
}

/// Files no row named when `known` was read, older than `cutoff` (left by a crash between
/// putting a file in place and the commit, or by an upload refused after that); each is
/// checked again under its lock before it goes. Removes staging files of uploads a crash cut
/// off, older than `cutoff` as well.
fn stray_candidates(
    dir: &FileDir,
    known: &HashSet<String>,
    cutoff: SystemTime,
) -> Result<Vec<String>> {
    let io = |e| Error::internal_from("sweeping the attachment folder", e);
    let mut strays = Vec::new();
    for hash in dir.stored_hashes().map_err(io)? {
        let old = std::fs::metadata(dir.object_path(&hash))
            .and_then(|m| m.modified())
            .is_ok_and(|t| t < cutoff);
        if old && !known.contains(&hash) {
            strays.push(hash);
        }
    }
    for (path, modified) in dir.staging_files().map_err(io)? {
        if modified < cutoff {
            let _ = std::fs::remove_file(path);
        }
    }
    Ok(strays)
}
