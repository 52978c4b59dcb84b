//! [`LifecycleStore`] on PostgreSQL. Deletions run in one SERIALIZABLE unit of work each; the
//! files whose rows they dropped are removed once it has committed (a unit of work may run
//! more than once, and a file removed by an attempt that then rolls back would be lost), as
//! the upload sweep removes files.

use std::collections::BTreeSet;

use async_trait::async_trait;
use chrono::NaiveDate;
use deadpool_postgres::GenericClient;
use serde_json::json;
use tokio_postgres::IsolationLevel;

use super::chat_removal::{Removed, remove_chats};
use super::{PgStore, attachments, audit, day_stats, db, write_tx};
use crate::domain::{SessionOwner, Timestamp};
use crate::error::{Error, Result};
use crate::store::lifecycle::{
    ErasureBy, LifecycleStore, Removal, RetentionBatch, RetentionCursor,
};

/// Every chat of `owner`, by id.
async fn chats_of(c: &impl GenericClient, owner: &SessionOwner) -> Result<Vec<String>> {
    db::rows(
        c,
        "SELECT id FROM sessions WHERE user_id = $1 AND is_guest = $2",
        &[&&*owner.user_id, &owner.is_guest],
    )
    .await?
    .iter()
    .map(|r| Ok(r.try_get(0)?))
    .collect()
}

async fn forget_devices(c: &impl GenericClient, owner: &SessionOwner) -> Result<u64> {
    db::exec(
        c,
        "DELETE FROM push_tokens WHERE user_id = $1 AND is_guest = $2",
        &[&&*owner.user_id, &owner.is_guest],
    )
    .await
}

impl PgStore {
    /// Removes the files whose rows a committed deletion dropped; answers how many it removed.
    /// Another replica may be storing the same bytes again meanwhile, so the files go as the
    /// upload sweep's do: under their content locks (see [`attachments::lock_content`]), and
    /// only those no row names once the locks are held. An upload of the same bytes holds the
    /// lock from before it puts its file in place until its row commits, so it either
    /// committed first (the file stays) or puts its file back after. A file that cannot be
    /// removed now is left for the hourly sweep, which removes files no row names.
    async fn remove_unused_files(&self, hashes: &[String]) -> u64 {
        if hashes.is_empty() {
            return 0;
        }
        match self.remove_unnamed_files(hashes).await {
            Ok(removed) => removed,
            Err(e) => {
                tracing::warn!(error = %e, "unused files stay until the next sweep");
                0
            }
        }
    }

    async fn remove_unnamed_files(&self, hashes: &[String]) -> Result<u64> {
        let mut client = self.client().await?;
        // READ COMMITTED: the check must see an upload that committed while this waited for
        // its lock.
        let tx = client
            .build_transaction()
            .isolation_level(IsolationLevel::ReadCommitted)
            .start()
            .await?;
        let keys: Vec<&str> = hashes.iter().map(String::as_str).collect();
        attachments::lock_content(&tx, &keys).await?;
        let unnamed: Vec<String> = db::rows(
            &tx,
            "SELECT h FROM unnest($1::TEXT[]) AS h
             WHERE NOT EXISTS (SELECT 1 FROM blobs b WHERE b.hash = h)",
            &[&keys],
        )
        .await?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()?;
        let dir = self.files().clone();
        let removed = tokio::task::spawn_blocking(move || {
            let mut removed = 0;
            for hash in &unnamed {
                match dir.remove(hash) {
                    Ok(()) => removed += 1,
                    Err(e) => {
                        tracing::warn!(error = %e, "an unused file stays until the next sweep")
                    }
                }
            }
            removed
        })
        .await
        .map_err(|e| Error::internal_from("removing unused files", e))?;
        tx.commit().await?;
        Ok(removed)
    }
}

/// A chat retention may delete: where the cursor stands after it, and the first and last day
/// anything of it was counted on.
struct Candidate {
    cursor: RetentionCursor,
    first_day: NaiveDate,
    last_day: NaiveDate,
}

async fn retention_candidates(
    c: &impl GenericClient,
    cutoff: Timestamp,
    after: Option<&RetentionCursor>,
    limit: usize,
) -> Result<Vec<Candidate>> {
    let (after_time, after_id) = after.map_or((i64::MIN, String::new()), |c| {
        (c.ended_at.0, c.session_id.clone())
    });
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    // Ids in byte order, as SQLite compares text, whatever the database's collation.
    let rows = db::rows(
        c,
        r#"SELECT s.id, s.ended_at, s.created_at,
                  GREATEST(s.ended_at, s.last_activity_at,
                           COALESCE((SELECT r.created_at FROM ratings r
                                     WHERE r.session_id = s.id), 0))
           FROM sessions s
           WHERE s.status <> 'active' AND s.ended_at < $1
             AND (s.ended_at > $2 OR (s.ended_at = $2 AND s.id COLLATE "C" > $3))
           ORDER BY s.ended_at, s.id COLLATE "C" LIMIT $4"#,
        &[&cutoff, &after_time, &after_id, &limit],
    )
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Candidate {
                cursor: RetentionCursor {
                    session_id: r.try_get(0)?,
                    ended_at: r.try_get(1)?,
                },
                first_day: day_stats::day_of(r.try_get(2)?),
                last_day: day_stats::day_of(r.try_get(3)?),
            })
        })
        .collect()
}

/// Whether every day from `first` to `last` has its figures written.
fn days_written(written: &BTreeSet<String>, first: NaiveDate, last: NaiveDate) -> bool {
    first
        .iter_days()
        .take_while(|d| *d <= last)
        .all(|d| written.contains(&d.format("%Y-%m-%d").to_string()))
}

/// The chats of `candidates` whose days are all written (those retention may delete), with
/// where the pass goes on from.
async fn ready_to_delete(
    c: &impl GenericClient,
    candidates: Vec<Candidate>,
) -> Result<(Vec<String>, Option<RetentionCursor>)> {
    let next = candidates.last().map(|c| c.cursor.clone());
    let (Some(first), Some(last)) = (
        candidates.iter().map(|c| c.first_day).min(),
        candidates.iter().map(|c| c.last_day).max(),
    ) else {
        return Ok((Vec::new(), next));
    };
    let written = day_stats::written_days(c, first, last).await?;
    let ids = candidates
        .into_iter()
        .filter(|c| days_written(&written, c.first_day, c.last_day))
        .map(|c| c.cursor.session_id)
        .collect();
    Ok((ids, next))
}

#[async_trait]
impl LifecycleStore for PgStore {
    async fn write_finished_days(&self, today: Timestamp) -> Result<usize> {
        let today = day_stats::day_of(today);
        let days = {
            let c = self.reader().await?;
            day_stats::days_to_write(&c, today, usize::MAX).await?
        };
        let mut wrote = 0;
        for day in days {
            // One day per unit of work: a long catch-up never holds locks for long. Another
            // replica writing the same day makes this one find it written (the retry after
            // the serialization failure), not write it twice.
            if write_tx!(self, |tx| day_stats::write_day(&tx, day).await)? {
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
        let (ids, next) = {
            let c = self.reader().await?;
            let found = retention_candidates(&c, cutoff, after.as_ref(), limit).await?;
            ready_to_delete(&c, found).await?
        };
        // Ended chats stay ended, and written days stay written: what the read found is still
        // true of the chats still there.
        let removed = write_tx!(self, |tx| remove_chats(&tx, &ids).await)?;
        let files = self.remove_unused_files(&removed.unused_files).await;
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
        let (removed, devices) = write_tx!(self, |tx| {
            let ids = chats_of(&tx, &owner).await?;
            let removed: Removed = remove_chats(&tx, &ids).await?;
            let devices = forget_devices(&tx, &owner).await?;
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
                audit::record(&tx, now, agent, "user_erase", None, Some(&detail)).await?;
            }
            Ok((removed, devices))
        })?;
        let files = self.remove_unused_files(&removed.unused_files).await;
        Ok(Removal {
            session_ids: removed.session_ids,
            messages: removed.messages,
            files,
            devices,
        })
    }
}
