//! The `attachments` and `blobs` tables, and the copy of an upload's metadata that a message
//! row keeps in its `attachments` column (JSON, written once with the message).

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};

use crate::domain::attachment::{Attachment, AttachmentId};
use crate::domain::{FileKind, SessionOwner, Timestamp};
use crate::error::{Error, Result};
use crate::store::attachments::Uploader;
use crate::store::export::Upload;

/// One file as a message row stores it.
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
pub fn decode_list(session_id: &str, raw: Option<&str>) -> rusqlite::Result<Vec<Attachment>> {
    let Some(raw) = raw else {
        return Ok(Vec::new());
    };
    let entries: Vec<StoredEntry> = serde_json::from_str(raw).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e.into())
    })?;
    entries
        .into_iter()
        .map(|e| {
            let kind = FileKind::from_token(&e.kind).ok_or_else(|| {
                rusqlite::Error::FromSqlConversionFailure(
                    0,
                    rusqlite::types::Type::Text,
                    format!("unknown file kind {:?}", e.kind).into(),
                )
            })?;
            Ok(Attachment {
                id: AttachmentId::parse("attachments", &e.id).map_err(|err| {
                    rusqlite::Error::FromSqlConversionFailure(
                        0,
                        rusqlite::types::Type::Text,
                        err.to_string().into(),
                    )
                })?,
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

fn from_row(r: &Row<'_>) -> rusqlite::Result<UploadRow> {
    let kind: String = r.get(3)?;
    let id: String = r.get(0)?;
    let bad = |what: String| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, what.into())
    };
    Ok(UploadRow {
        attachment: Attachment {
            id: AttachmentId::parse("id", &id).map_err(|e| bad(e.to_string()))?,
            session_id: r.get(1)?,
            name: r.get(2)?,
            kind: FileKind::from_token(&kind)
                .ok_or_else(|| bad(format!("unknown kind {kind:?}")))?,
            size: r.get::<_, i64>(4)?.try_into().unwrap_or(0),
            width: r.get(5)?,
            height: r.get(6)?,
            has_thumbnail: r.get(7)?,
        },
        blob_hash: r.get(8)?,
        thumbnail_hash: r.get(9)?,
        message_id: r.get(10)?,
    })
}

pub fn get(conn: &Connection, id: &str) -> Result<Option<UploadRow>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM attachments WHERE id = ?1"))?
        .query_row([id], from_row)
        .optional()?)
}

/// Every upload made to session `session_id`, sent or not, oldest first.
pub fn in_session(conn: &Connection, session_id: &str) -> Result<Vec<Upload>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS}, uploader_kind = 'agent', created_at FROM attachments
         WHERE session_id = ?1 ORDER BY created_at, id"
    ))?;
    let rows = stmt
        .query_map([session_id], |r| {
            let row = from_row(r)?;
            Ok(Upload {
                attachment: row.attachment,
                message_id: row.message_id,
                by_agent: r.get(11)?,
                created_at: r.get(12)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

pub fn count_in_session(conn: &Connection, session_id: &str) -> Result<i64> {
    Ok(conn
        .prepare_cached("SELECT COUNT(*) FROM attachments WHERE session_id = ?1")?
        .query_row([session_id], |r| r.get(0))?)
}

pub fn stored_bytes(conn: &Connection) -> Result<u64> {
    let total: i64 = conn
        .prepare_cached("SELECT COALESCE(SUM(size), 0) FROM blobs")?
        .query_row([], |r| r.get(0))?;
    Ok(u64::try_from(total).unwrap_or(0))
}

/// True when a file with this hash is already stored.
pub fn blob_exists(conn: &Connection, hash: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM blobs WHERE hash = ?1")?
        .query_row([hash], |_| Ok(()))
        .optional()?
        .is_some())
}

pub fn insert_blob(conn: &Connection, hash: &str, size: u64, now: Timestamp) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO blobs (hash, size, created_at) VALUES (?1, ?2, ?3) ON CONFLICT (hash) DO NOTHING",
    )?
    .execute(params![hash, i64::try_from(size).unwrap_or(i64::MAX), now])?;
    Ok(())
}

pub fn insert(
    conn: &Connection,
    a: &Attachment,
    uploader: &Uploader,
    blob_hash: &str,
    thumbnail_hash: Option<&str>,
    now: Timestamp,
) -> Result<()> {
    let (kind, uploader_id) = uploader_parts(uploader);
    conn.prepare_cached(
        "INSERT INTO attachments (id, session_id, uploader_kind, uploader_id, name, kind, size, width,
             height, blob_hash, thumbnail_hash, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?
    .execute(params![
        a.id.as_str(),
        a.session_id,
        kind,
        uploader_id,
        a.name,
        a.kind.token(),
        i64::try_from(a.size).unwrap_or(i64::MAX),
        a.width,
        a.height,
        blob_hash,
        thumbnail_hash,
        now
    ])?;
    Ok(())
}

/// Gives the uploads `ids` to message `message_id`, in order: each must be an upload of this
/// session by `uploader` that no other message took. A retry by the same message is fine.
/// Anything else is a validation error on `attachments` that says no more than "unknown".
pub fn take_for_message(
    conn: &Connection,
    session_id: &str,
    message_id: &str,
    uploader: &Uploader,
    ids: &[AttachmentId],
) -> Result<Vec<Attachment>> {
    let (kind, uploader_id) = uploader_parts(uploader);
    let mut taken = Vec::with_capacity(ids.len());
    for id in ids {
        let changed = conn
            .prepare_cached(
                "UPDATE attachments SET message_id = ?5
                 WHERE id = ?1 AND session_id = ?2 AND uploader_kind = ?3 AND uploader_id = ?4
                   AND (message_id IS NULL OR message_id = ?5)",
            )?
            .execute(params![
                id.as_str(),
                session_id,
                kind,
                uploader_id,
                message_id
            ])?;
        if changed != 1 {
            return Err(Error::validation(
                "attachments",
                format!("attachments holds an unknown attachment id: {id}"),
            ));
        }
        let row =
            get(conn, id.as_str())?.ok_or_else(|| Error::internal("taken upload vanished"))?;
        taken.push(row.attachment);
    }
    Ok(taken)
}

/// Deletes uploads no message took, made before `before`; answers how many.
pub fn delete_unsent_before(conn: &Connection, before: Timestamp) -> Result<usize> {
    Ok(conn
        .prepare_cached("DELETE FROM attachments WHERE message_id IS NULL AND created_at < ?1")?
        .execute([before])?)
}

/// Deletes and answers the hashes of stored files no upload refers to.
pub fn delete_unreferenced_blobs(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "DELETE FROM blobs WHERE NOT EXISTS (SELECT 1 FROM attachments a WHERE a.blob_hash = blobs.hash)
           AND NOT EXISTS (SELECT 1 FROM attachments a WHERE a.thumbnail_hash = blobs.hash)
         RETURNING hash",
    )?;
    let hashes = stmt
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(hashes)
}

/// Every stored file hash the database knows.
pub fn all_blob_hashes(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached("SELECT hash FROM blobs")?;
    let hashes = stmt
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(hashes)
}

/// Every stored file's hash and size.
pub fn blob_sizes(conn: &Connection) -> Result<Vec<(String, u64)>> {
    let mut stmt = conn.prepare_cached("SELECT hash, size FROM blobs")?;
    let rows = stmt
        .query_map([], |r| {
            Ok((r.get(0)?, r.get::<_, i64>(1)?.try_into().unwrap_or(0)))
        })?
        .collect::<rusqlite::Result<Vec<(String, u64)>>>()?;
    Ok(rows)
}
