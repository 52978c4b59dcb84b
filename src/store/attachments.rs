//! Attachments as storage sees them: uploads held for a session until a message takes them,
//! the files behind them, and the sweep of uploads nobody sent.

use std::path::PathBuf;

use async_trait::async_trait;

use super::files::{FileDir, StagedFile};
use crate::domain::attachment::{Attachment, AttachmentId};
use crate::domain::{SessionOwner, Timestamp};
use crate::error::Result;

/// Who uploaded a file, and so who may send it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Uploader {
    /// The session's own user (or guest).
    User(SessionOwner),
    /// An agent, by id.
    Agent(String),
}

/// Limits checked in the same unit of work as the upload is recorded.
#[derive(Clone, Copy, Debug)]
pub struct UploadLimits {
    /// Bytes all stored files may take together.
    pub quota_bytes: u64,
    /// Uploads one session may hold.
    pub per_session: u32,
}

/// A finished upload to record.
#[derive(Debug)]
pub struct NewUpload {
    /// Its metadata; `size` is the stored content's size.
    pub attachment: Attachment,
    pub uploader: Uploader,
    /// The bytes to keep (already re-encoded for images).
    pub content: StagedFile,
    pub thumbnail: Option<StagedFile>,
    pub now: Timestamp,
    pub limits: UploadLimits,
}

/// A stored upload and where its bytes are.
#[derive(Clone, Debug)]
pub struct StoredFile {
    pub attachment: Attachment,
    pub path: PathBuf,
    pub thumbnail_path: Option<PathBuf>,
    /// Whether a message has taken it (unsent uploads are served only to their uploader's
    /// side through signed links, like sent ones).
    pub sent: bool,
}

/// What one sweep removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SweepOutcome {
    /// Uploads never sent, past the age limit.
    pub unsent_uploads: usize,
    /// Files no upload refers to any more.
    pub files: usize,
}

#[async_trait]
pub trait AttachmentStore: Send + Sync {
    /// The folder the bytes live in (service/ stages uploads there).
    fn file_dir(&self) -> &FileDir;

    /// Records an upload for an active session: the user's own (another user's is
    /// `SessionNotFound`) or, for an agent, any existing one. An ended or expired session is
    /// `SessionEnded`; more than `per_session` uploads is `TooManyAttachments`; passing the
    /// quota is `StorageFull`. The staged files are put in place in the same unit of work, so a
    /// recorded upload always has its bytes, and one copy serves every upload of that content.
    async fn save_upload(&self, upload: NewUpload) -> Result<Attachment>;

    /// An upload and the paths of its bytes; `None` when there is no such upload.
    async fn stored_file(&self, id: AttachmentId) -> Result<Option<StoredFile>>;

    /// Removes uploads no message took that were made before `before`, then every file that
    /// no upload refers to, and staging files older than `before` (uploads cut off by a crash).
    async fn sweep_files(&self, before: Timestamp) -> Result<SweepOutcome>;

    /// Bytes taken by stored files.
    async fn stored_bytes(&self) -> Result<u64>;
}
