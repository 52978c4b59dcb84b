//! The PostgreSQL side of [`crate::store::AttachmentStore`].

use crate::domain::attachment::{Attachment, AttachmentId};
use crate::domain::{SessionOwner, Timestamp};
use crate::error::Result;
use crate::store::attachments::*;
use crate::store::files::{FileDir, StagedFile};
use crate::store::postgres::PgStore;
use async_trait::async_trait;
use std::path::PathBuf;

#[async_trait]
impl AttachmentStore for PgStore {
    fn file_dir(&self) -> &FileDir {
        self.files()
    }

    async fn save_upload(&self, _upload: NewUpload) -> Result<Attachment> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn stored_file(&self, _id: AttachmentId) -> Result<Option<StoredFile>> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn sweep_files(&self, _before: Timestamp) -> Result<SweepOutcome> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn stored_bytes(&self) -> Result<u64> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }
}
