//! [`LifecycleStore`] on SQLite.

use async_trait::async_trait;
use rusqlite::{Connection, params};
use serde_json::json;

use super::chat_removal::{Removed, SearchErasure, remove_chats};
use super::{SqliteStore, audit, day_stats};
use crate::domain::{SessionOwner, Timestamp};
use crate::error::Result;
use crate::store::files::FileDir;
use crate::store::lifecycle::{
    ErasureBy, LifecycleStore, Removal, RetentionBatch, RetentionCursor,
};

/// Every chat of `owner`, by id.
fn chats_of(conn: &Connection, owner: &SessionOwner) -> Result<Vec<String>> {
    Ok(conn
        .prepare_cached("SELECT id FROM sessions WHERE user_id = ?1 AND is_guest = ?2")?
        .query_map(params![&*owner.user_id, owner.is_guest], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?)
}

fn forget_devices(conn: &Connection, owner: &SessionOwner) -> Result<u64> {
    Ok(conn
        .prepare_cached("DELETE FROM push_tokens WHERE user_id = ?1 AND is_guest = ?2")?
        .execute(params![&*owner.user_id, owner.is_guest])? as u64)
}

/// Removes the files whose rows the deletion dropped, inside the writer's job that drops
/// them (as the upload sweep does), so an upload of the same bytes queued behind it puts its
/// file back in place after this, never before. A file that cannot be removed now is left for
/// the hourly sweep, which removes files no row names.
fn remove_files(dir: &FileDir, hashes: &[String]) -> u64 {
    let mut removed = 0;
    for hash in hashes {
        match dir.remove(hash) {
            Ok(()) => removed += 1,
            Err(e) => tracing::warn!(error = %e, "an unused file stays until the next sweep"),
        }
    }
    removed
}

/// A chat retention may delete: its id, where the cursor stands after it, and the first and
/// last day anything of it was counted on.
struct Candidate {
    cursor: RetentionCursor,
    first_day: String,
    last_day: String,
}

fn retention_candidates(
    conn: &Connection,
    cutoff: Timestamp,
    after: Option<&RetentionCursor>,
    limit: usize,
) -> Result<Vec<Candidate>> {
    let (after_time, after_id) = after.map_or((i64::MIN, String::new()), |c| {
        (c.ended_at.0, c.session_id.clone())
    });
    let mut stmt = conn.prepare_cached(
        "SELECT s.id, s.ended_at, date(s.created_at / 1000, 'unixepoch'),
                date(MAX(s.ended_at, s.last_activity_at,
                         COALESCE((SELECT r.created_at FROM ratings r WHERE r.session_id = s.id), 0))
                     / 1000, 'unixepoch')
         FROM sessions s INDEXED BY sessions_by_ended
         WHERE s.status <> 'active' AND s.ended_at < ?1
           AND (s.ended_at > ?2 OR (s.ended_at = ?2 AND s.id > ?3))
         ORDER BY s.ended_at, s.id LIMIT ?4",
    )?;
    let rows = stmt
        .query_map(
            params![
                cutoff,
                after_time,
                after_id,
                i64::try_from(limit).unwrap_or(i64::MAX)
            ],
            |r| {
                Ok(Candidate {
                    cursor: RetentionCursor {
                        session_id: r.get(0)?,
                        ended_at: r.get(1)?,
                    },
                    first_day: r.get(2)?,
                    last_day: r.get(3)?,
                })
            },
        )?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// Whether every day from `first` to `last` has its figures written.
fn days_written(written: &std::collections::BTreeSet<String>, first: &str, last: &str) -> bool {
    let parse = |d: &str| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok();
    let (Some(first), Some(last)) = (parse(first), parse(last)) else {
        return false;
    };
    first
        .iter_days()
        .take_while(|d| *d <= last)
        .all(|d| written.contains(&d.format("%Y-%m-%d").to_string()))
}

#[async_trait]
impl LifecycleStore for SqliteStore {
    async fn write_finished_days(&self, today: Timestamp) -> Result<usize> {
        let today = day_stats::day_of(today);
        let days = self
            .read(move |conn| day_stats::days_to_write(conn, today, usize::MAX))
            .await?;
        let mut wrote = 0;
        for day in days {
            // One day per unit of work: a long catch-up never holds the writer for long.
            if self
                .write(move |conn| day_stats::write_day(conn, day))
                .await?
            {
                wrote += 1;
            }
        }
        Ok(wrote)
    }

    async fn delete_ended_chats(
        &self,
        cutoff: Timestamp,
        after: Option<RetentionCursor>,
        limit: usize,
    ) -> Result<RetentionBatch> {
        let candidates = self
            .read(move |conn| {
                let found = retention_candidates(conn, cutoff, after.as_ref(), limit)?;
                let (Some(first), Some(last)) = (
                    found.iter().map(|c| c.first_day.clone()).min(),
                    found.iter().map(|c| c.last_day.clone()).max(),
                ) else {
                    return Ok(Vec::new());
                };
                let parse = |d: &str| {
                    chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
                        .unwrap_or(chrono::NaiveDate::MIN)
                };
                let written = day_stats::written_days(conn, parse(&first), parse(&last))?;
                Ok(found
                    .into_iter()
                    .map(|c| {
                        let ready = days_written(&written, &c.first_day, &c.last_day);
                        (c.cursor, ready)
                    })
                    .collect::<Vec<_>>())
            })
            .await?;
        let next = candidates.last().map(|(cursor, _)| cursor.clone());
        let ids: Vec<String> = candidates
            .into_iter()
            .filter(|(_, ready)| *ready)
            .map(|(cursor, _)| cursor.session_id)
            .collect();
        let dir = self.files.clone();
        let (removed, files) = self
            .write(move |conn| {
                // Ended chats stay ended, and written days stay written: what the read
                // found is still true of the chats still there.
                let removed = remove_chats(conn, &ids, SearchErasure::AtNextMerge)?;
                let files = remove_files(&dir, &removed.unused_files);
                Ok((removed, files))
            })
            .await?;
        Ok(RetentionBatch {
            removal: Removal {
                session_ids: removed.session_ids,
                messages: removed.messages,
                files,
                devices: 0,
            },
            next,
        })
    }

    async fn erase_person(
        &self,
        owner: SessionOwner,
        by: ErasureBy,
        now: Timestamp,
    ) -> Result<Removal> {
        let dir = self.files.clone();
        let (removed, files, devices) = self
            .write(move |conn| {
                let ids = chats_of(conn, &owner)?;
                let removed: Removed = remove_chats(conn, &ids, SearchErasure::AtOnce)?;
                let devices = forget_devices(conn, &owner)?;
                let agent = match &by {
                    ErasureBy::Agent(id) => Some(id.as_str()),
                    _ => None,
                };
                let detail = json!({
                    "by": by.as_str(),
                    "chats": removed.session_ids.len(),
                    "messages": removed.messages,
                    "files": removed.unused_files.len(),
                    "devices": devices,
                });
                // A person asking again with nothing left to erase leaves no row: any token
                // holder could otherwise grow the audit log at will. Agents and the command
                // line are always recorded.
                let nothing = removed.session_ids.is_empty() && devices == 0;
                if !(nothing && by == ErasureBy::Themselves) {
                    audit::record(conn, now, agent, "user_erase", None, Some(&detail))?;
                }
                // Last, once nothing in this job can fail any more.
                let files = remove_files(&dir, &removed.unused_files);
                Ok((removed, files, devices))
            })
            .await?;
        Ok(Removal {
            session_ids: removed.session_ids,
            messages: removed.messages,
            files,
            devices,
        })
    }
}
