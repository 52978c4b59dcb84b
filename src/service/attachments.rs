//! Files in chats: taking an upload in (streamed to disk, typed from its content, images
//! re-encoded without metadata), and deciding who may fetch one.

use bytes::Bytes;
use futures_util::{Stream, StreamExt};

use super::{AgentPrincipal, Services, blocking};
use crate::auth::{FileVariant, UserPrincipal};
use crate::domain::attachment::{Attachment, AttachmentId, clean_file_name};
use crate::domain::{FileKind, Permission, SessionId, Timestamp};
use crate::error::{Error, Result};
use crate::media::{self, ImageLimits, MediaError, SNIFF_BYTES, Sniffed};
use crate::store::attachments::{NewUpload, StoredFile, SweepOutcome, UploadLimits, Uploader};
use crate::store::files::{StagedFile, Staging};

/// Images decoded at the same time. A decoded 12-megapixel photo takes ~36 MB; two at once
/// keep a burst of uploads within a small box's memory while using both cores.
pub const IMAGE_JOBS_AT_ONCE: usize = 2;

/// Upload bodies read at once. Each body being read hands the runtime a slice of work per
/// batch; with fifty at once a poll waited behind all their slices (median 21 ms on two cores,
/// 0.26 ms with two; docs/benchmark.md). The others wait before their first byte is read, so
/// their bytes stay in the network and cost no memory here.
pub const UPLOADS_READ_AT_ONCE: usize = 2;

/// Uploads never sent are removed after this long.
pub const UNSENT_UPLOAD_MAX_AGE_MS: i64 = 24 * 3600 * 1000;

/// Who is uploading.
#[derive(Clone, Copy)]
pub enum UploadBy<'a> {
    User(&'a UserPrincipal),
    Agent(&'a AgentPrincipal),
}

/// Stores a file for an open session of the caller's (a user's own; for agents who may reply,
/// any). The body is streamed to disk and cut off as soon as it passes the size limit; its
/// type comes from its content; raster images are re-encoded without metadata and get a
/// thumbnail. Answers the upload once its bytes and its row are durable.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"), fields(session_id = %session_id))]
pub async fn upload<S>(
    ctx: &Services,
    by: UploadBy<'_>,
    session_id: SessionId,
    file_name: &str,
    body: S,
) -> Result<Attachment>
where
    S: Stream<Item = Result<Bytes>> + Unpin,
{
    let uploader = check_uploader(ctx, by, &session_id).await?;
    let slot = ctx
        .upload_slots
        .acquire()
        .await
        .map_err(|e| Error::internal_from("upload queue closed", e))?;
    let (staged, head) = receive(ctx, body).await?;
    drop(slot);
    let kind = match media::sniff(&head, file_name) {
        Sniffed::Allowed(kind) if ctx.settings.attachments.allowed.allows(kind) => kind,
        Sniffed::Allowed(kind) => return Err(refused(ctx, &format!("a {}", kind.label()))),
        Sniffed::Refused(what) => return Err(refused(ctx, what)),
    };
    let (content, thumbnail, kind, width, height) = if kind.is_raster_image() {
        let prepared = prepare(ctx, staged, kind).await?;
        let content = stage_bytes(ctx, &prepared.bytes).await?;
        let thumbnail = match &prepared.thumbnail {
            Some(bytes) => Some(stage_bytes(ctx, bytes).await?),
            None => None,
        };
        (
            content,
            thumbnail,
            prepared.kind,
            Some(prepared.width),
            Some(prepared.height),
        )
    } else {
        (staged, None, kind, None, None)
    };
    let attachment = Attachment {
        id: AttachmentId::generate(),
        session_id: session_id.into_string(),
        name: clean_file_name(file_name, kind),
        kind,
        size: content.size,
        width,
        height,
        has_thumbnail: thumbnail.is_some(),
    };
    ctx.store
        .save_upload(NewUpload {
            attachment,
            uploader,
            content,
            thumbnail,
            now: ctx.clock.now(),
            limits: UploadLimits {
                quota_bytes: ctx.settings.attachments.quota_bytes,
                per_session: ctx.settings.attachments.per_session,
            },
        })
        .await
}

/// Checked before a byte is read, so a refused upload costs nothing; the store checks again
/// when it records the upload.
async fn check_uploader(
    ctx: &Services,
    by: UploadBy<'_>,
    session_id: &SessionId,
) -> Result<Uploader> {
    let session = ctx.store.session(session_id.to_string()).await?;
    let uploader = match by {
        UploadBy::User(user) => {
            let owner = user.owner();
            match &session {
                Some(s) if owner.owns(s) => Uploader::User(owner),
                _ => return Err(Error::SessionNotFound),
            }
        }
        UploadBy::Agent(agent) => {
            agent.require(Permission::Reply)?;
            if session.is_none() {
                return Err(Error::SessionNotFound);
            }
            Uploader::Agent(agent.id.clone())
        }
    };
    session.expect("checked above").check_open()?;
    Ok(uploader)
}

/// Streams the body into a staging file, keeping its first bytes for sniffing.
async fn receive<S>(ctx: &Services, mut body: S) -> Result<(StagedFile, Vec<u8>)>
where
    S: Stream<Item = Result<Bytes>> + Unpin,
{
    let max_bytes = ctx.settings.attachments.max_bytes;
    let mut staging: Staging = ctx.store.file_dir().stage().await?;
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    while let Some(chunk) = body.next().await {
        let chunk = chunk?;
        if staging.size() + chunk.len() as u64 > max_bytes {
            return Err(Error::FileTooLarge { max_bytes });
        }
        let room = SNIFF_BYTES - head.len();
        head.extend_from_slice(&chunk[..room.min(chunk.len())]);
        staging.write(&chunk).await?;
    }
    if staging.size() == 0 {
        return Err(Error::validation("file", "file must not be empty"));
    }
    Ok((staging.finish().await?, head))
}

fn refused(ctx: &Services, what: &str) -> Error {
    Error::UnsupportedFileType(format!(
        "This file looks like {what}, which cannot be sent here. Allowed: {}",
        ctx.settings.attachments.allowed.describe()
    ))
}

/// Re-encodes an image off the async runtime, a bounded number at a time.
async fn prepare(
    ctx: &Services,
    staged: StagedFile,
    kind: FileKind,
) -> Result<media::PreparedImage> {
    let _permit = ctx
        .image_jobs
        .acquire()
        .await
        .map_err(|e| Error::internal_from("image queue closed", e))?;
    let outcome = blocking(move || {
        let path = staged.path().expect("a finished staging file has a path");
        media::prepare_image(path, kind, &ImageLimits::default())
    })
    .await?;
    outcome.map_err(|e| match e {
        MediaError::TooLarge { width, height } => Error::UnsupportedFileType(format!(
            "The image is {width} x {height} pixels, more than can be shown; send a smaller one"
        )),
        MediaError::Undecodable(_) => {
            Error::UnsupportedFileType("The image could not be read; it may be damaged".into())
        }
    })
}

async fn stage_bytes(ctx: &Services, bytes: &[u8]) -> Result<StagedFile> {
    let mut staging = ctx.store.file_dir().stage().await?;
    staging.write(bytes).await?;
    staging.finish().await
}

/// Who asks for a file.
pub enum FileRequest<'a> {
    /// A signed link: `exp` and `sig` from its query.
    Signed { expires: i64, signature: &'a str },
    /// A signed-in agent (any role may read transcripts).
    Agent(&'a AgentPrincipal),
}

/// The bytes behind a link, if the request may have them; anything else (no such file, a bad
/// or expired signature, a thumbnail that does not exist) is `NotFound`, never a hint.
pub async fn open(
    ctx: &Services,
    id: &str,
    variant: FileVariant,
    request: FileRequest<'_>,
) -> Result<StoredFile> {
    let not_found = || Error::NotFound("File");
    let id = AttachmentId::parse("id", id).map_err(|_| not_found())?;
    match request {
        FileRequest::Signed { expires, signature } => {
            if !ctx
                .file_links
                .verify(id.as_str(), variant, expires, signature)
            {
                return Err(not_found());
            }
        }
        FileRequest::Agent(agent) => agent.require(Permission::ViewChats)?,
    }
    let file = ctx.store.stored_file(id).await?.ok_or_else(not_found)?;
    if variant == FileVariant::Thumbnail && file.thumbnail_path.is_none() {
        return Err(not_found());
    }
    Ok(file)
}

/// Removes uploads nobody sent within a day and files nothing refers to.
pub async fn sweep(ctx: &Services) -> Result<SweepOutcome> {
    let now = ctx.clock.now();
    ctx.store
        .sweep_files(Timestamp(now.0 - UNSENT_UPLOAD_MAX_AGE_MS))
        .await
}
