//! The `attachments` and `blobs` tables, and the copy of an upload's metadata that a message
//! row keeps in its `attachments` column (JSON, written once with the message).

use deadpool_postgres::GenericClient;
use serde::{Deserialize, Serialize};
use tokio_postgres::Row;

use super::db;
use crate::domain::attachment::{Attachment, AttachmentId};
use crate::domain::{FileKind, SessionOwner, Timestamp};
use crate::error::{Error, Result};
use crate::store::attachments::Uploader;
use crate::store::export::Upload;

/// One file as a message row stores it (the same JSON as the SQLite engine writes).
#[derive(Serialize, Deserialize)]
struct StoredEntry {
    id: String,
    name: String,
    kind: String,
    size: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    width: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    height: Option<u32>,
    thumb: bool,
}

/// A stored value this code cannot read: the row was not written by this engine's rules.
fn unreadable(what: impl std::fmt::Display) -> Error {
    Error::internal(format!("unreadable attachment row: {what}"))
}

/// The `messages.attachments` value for `files`: NULL when there are none.
pub fn encode_list(files: &[Attachment]) -> Option<String> {
    if files.is_empty() {
        return None;
    }
    let entries: Vec<StoredEntry> = files
        .iter()
        .map(|a| StoredEntry {
            id: a.id.as_str().to_string(),
            name: a.name.clone(),
            kind: a.kind.token().to_string(),
            size: a.size,
            width: a.width,
            height: a.height,
            thumb: a.has_thumbnail,
        })
        .collect();
    Some(serde_json::to_string(&entries).expect("plain structs serialise"))
}

/// The files of a message row of session `session_id`.
pub fn decode_list(session_id: &str, raw: Option<&str>) -> Result<Vec<Attachment>> {
    let Some(raw) = raw else {
        return Ok(Vec::new());
    };
    let entries: Vec<StoredEntry> = serde_json::from_str(raw).map_err(unreadable)?;
    entries
        .into_iter()
        .map(|e| {
            let kind = FileKind::from_token(&e.kind)
                .ok_or_else(|| unreadable(format!("unknown file kind {:?}", e.kind)))?;
            Ok(Attachment {
                id: AttachmentId::parse("attachments", &e.id).map_err(unreadable)?,
                session_id: session_id.to_string(),
                name: e.name,
                kind,
                size: e.size,
                width: e.width,
                height: e.height,
                has_thumbnail: e.thumb,
            })
        })
        .collect()
}

fn uploader_parts(uploader: &Uploader) -> (&'static str, String) {
    match uploader {
        Uploader::User(owner) => ("user", SessionOwner::key_of(&owner.user_id, owner.is_guest)),
        Uploader::Agent(id) => ("agent", id.clone()),
    }
}

const COLUMNS: &str = "id, session_id, name, kind, size, width, height, thumbnail_hash IS NOT NULL, blob_hash, thumbnail_hash, message_id";

/// An upload row: its metadata, its content hash, its thumbnail's, and the message that took it.
pub struct UploadRow {
    pub attachment: Attachment,
    pub blob_hash: String,
    pub thumbnail_hash: Option<String>,
    pub message_id: Option<String>,
}

/// An image dimension as the domain keeps it (BIGINT columns hold what `u32` held).
fn dimension(r: &Row, i: usize) -> Result<Option<u32>> {
    r.try_get::<_, Option<i64>>(i)?
        .map(|v| u32::try_from(v).map_err(unreadable))
        .transpose()
}

fn from_row(r: &Row) -> Result<UploadRow> {
    let kind: String = r.try_get(3)?;
    let id: String = r.try_get(0)?;
    Ok(UploadRow {
        attachment: Attachment {
            id: AttachmentId::parse("id", &id).map_err(unreadable)?,
            session_id: r.try_get(1)?,
            name: r.try_get(2)?,
            kind: FileKind::from_token(&kind)
                .ok_or_else(|| unreadable(format!("unknown kind {kind:?}")))?,
            size: r.try_get::<_, i64>(4)?.try_into().unwrap_or(0),
            width: dimension(r, 5)?,
            height: dimension(r, 6)?,
            has_thumbnail: r.try_get(7)?,
        },
        blob_hash: r.try_get(8)?,
        thumbnail_hash: r.try_get(9)?,
        message_id: r.try_get(10)?,
    })
}

pub(crate) async fn get(c: &impl GenericClient, id: &str) -> Result<Option<UploadRow>> {
    db::row_opt(
        c,
        &format!("SELECT {COLUMNS} FROM attachments WHERE id = $1"),
        &[&id],
    )
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// Every upload made to session `session_id`, sent or not, oldest first.
pub(crate) async fn in_session(c: &impl GenericClient, session_id: &str) -> Result<Vec<Upload>> {
    db::rows(
        c,
        &format!(
            "SELECT {COLUMNS}, uploader_kind = 'agent', created_at FROM attachments
             WHERE session_id = $1 ORDER BY created_at, id"
        ),
        &[&session_id],
    )
    .await?
    .iter()
    .map(|r| {
        let row = from_row(r)?;
        Ok(Upload {
            attachment: row.attachment,
            message_id: row.message_id,
            by_agent: r.try_get(11)?,
            created_at: r.try_get(12)?,
        })
    })
    .collect()
}

pub(crate) async fn count_in_session(c: &impl GenericClient, session_id: &str) -> Result<i64> {
    Ok(db::row(
        c,
        "SELECT COUNT(*) FROM attachments WHERE session_id = $1",
        &[&session_id],
    )
    .await?
    .try_get(0)?)
}

pub(crate) async fn stored_bytes(c: &impl GenericClient) -> Result<u64> {
    let total: i64 = db::row(c, "SELECT COALESCE(SUM(size), 0)::BIGINT FROM blobs", &[])
        .await?
        .try_get(0)?;
    Ok(u64::try_from(total).unwrap_or(0))
}

/// Holds the locks of these contents (by hash) until the transaction ends. An upload putting a
/// file in place and a sweep removing the file with the same content take the same lock, so
/// they never overlap (the files are not in the database, so no row lock can order them).
/// Taken in the order of their keys, so that two holders cannot deadlock; the two-key form
/// keeps them apart from the one-key locks used elsewhere (the migrations').
pub(crate) async fn lock_content(c: &impl GenericClient, hashes: &[&str]) -> Result<()> {
    db::rows(
        c,
        "SELECT pg_advisory_xact_lock(1, k)
         FROM (SELECT DISTINCT hashtext(h) AS k FROM unnest($1::TEXT[]) AS h ORDER BY k) AS keys",
        &[&hashes],
    )
    .await?;
    Ok(())
}

/// True when a file with this hash is already stored.
pub(crate) async fn blob_exists(c: &impl GenericClient, hash: &str) -> Result<bool> {
    Ok(
        db::row_opt(c, "SELECT 1 FROM blobs WHERE hash = $1", &[&hash])
            .await?
            .is_some(),
    )
}

pub(crate) async fn insert_blob(
    c: &impl GenericClient,
    hash: &str,
    size: u64,
    now: Timestamp,
) -> Result<()> {
    db::exec(
        c,
        "INSERT INTO blobs (hash, size, created_at) VALUES ($1, $2, $3) ON CONFLICT (hash) DO NOTHING",
        &[&hash, &i64::try_from(size).unwrap_or(i64::MAX), &now],
    )
    .await?;
    Ok(())
}

pub(crate) async fn insert(
    c: &impl GenericClient,
    a: &Attachment,
    uploader: &Uploader,
    blob_hash: &str,
    thumbnail_hash: Option<&str>,
    now: Timestamp,
) -> Result<()> {
    let (kind, uploader_id) = uploader_parts(uploader);
    db::exec(
        c,
        "INSERT INTO attachments (id, session_id, uploader_kind, uploader_id, name, kind, size, width,
             height, blob_hash, thumbnail_hash, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        &[
            &a.id.as_str(),
            &a.session_id,
            &kind,
            &uploader_id,
            &a.name,
            &a.kind.token(),
            &i64::try_from(a.size).unwrap_or(i64::MAX),
            &a.width.map(i64::from),
            &a.height.map(i64::from),
            &blob_hash,
            &thumbnail_hash,
            &now,
        ],
    )
    .await?;
    Ok(())
}

/// Gives the uploads `ids` to message `message_id`, in order: each must be an upload of this
/// session by `uploader` that no other message took. A retry by the same message is fine.
/// Anything else is a validation error on `attachments` that says no more than "unknown".
pub(crate) async fn take_for_message(
    c: &impl GenericClient,
    session_id: &str,
    message_id: &str,
    uploader: &Uploader,
    ids: &[AttachmentId],
) -> Result<Vec<Attachment>> {
    let (kind, uploader_id) = uploader_parts(uploader);
    let mut taken = Vec::with_capacity(ids.len());
    for id in ids {
        // The update answers the row it took, so no second read is needed.
        let row = db::row_opt(
            c,
            &format!(
                "UPDATE attachments SET message_id = $5
                 WHERE id = $1 AND session_id = $2 AND uploader_kind = $3 AND uploader_id = $4
                   AND (message_id IS NULL OR message_id = $5)
                 RETURNING {COLUMNS}"
            ),
            &[&id.as_str(), &session_id, &kind, &uploader_id, &message_id],
        )
        .await?;
        let Some(row) = row else {
            return Err(Error::validation(
                "attachments",
                format!("attachments holds an unknown attachment id: {id}"),
            ));
        };
        taken.push(from_row(&row)?.attachment);
    }
    Ok(taken)
}

/// Deletes uploads no message took, made before `before`; answers how many.
pub(crate) async fn delete_unsent_before(
    c: &impl GenericClient,
    before: Timestamp,
) -> Result<usize> {
    let deleted = db::exec(
        c,
        "DELETE FROM attachments WHERE message_id IS NULL AND created_at < $1",
        &[&before],
    )
    .await?;
    Ok(usize::try_from(deleted).unwrap_or(usize::MAX))
}

/// Deletes and answers the hashes of stored files no upload refers to.
pub(crate) async fn delete_unreferenced_blobs(c: &impl GenericClient) -> Result<Vec<String>> {
    db::rows(
        c,
        "DELETE FROM blobs WHERE NOT EXISTS (SELECT 1 FROM attachments a WHERE a.blob_hash = blobs.hash)
           AND NOT EXISTS (SELECT 1 FROM attachments a WHERE a.thumbnail_hash = blobs.hash)
         RETURNING hash",
        &[],
    )
    .await?
    .iter()
    .map(|r| Ok(r.try_get(0)?))
    .collect()
}

/// Every stored file hash the database knows.
pub(crate) async fn all_blob_hashes(c: &impl GenericClient) -> Result<Vec<String>> {
    db::rows(c, "SELECT hash FROM blobs", &[])
        .await?
        .iter()
        .map(|r| Ok(r.try_get(0)?))
        .collect()
}
