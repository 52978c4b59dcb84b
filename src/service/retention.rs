//! The hourly data upkeep: write the figures of finished days (what analytics read and what
//! survives deletion), then, with `RETENTION_DAYS`, delete chats that ended longer ago than
//! that, in small batches so the writer serves everyone else in between.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use super::Services;
use crate::domain::Timestamp;
use crate::domain::audit::NewAuditEvent;
use crate::error::Result;

/// Chats deleted per unit of work.
pub const BATCH: usize = 200;
/// How often the upkeep runs (retention's "daily", at most an hour late).
const EVERY: Duration = Duration::from_secs(3600);
/// The first upkeep waits this long after start, so a restart serves first and catches up
/// after.
const FIRST_AFTER: Duration = Duration::from_secs(60);
const DAY_MS: i64 = 86_400_000;

/// What one upkeep did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Upkeep {
    pub days_written: usize,
    pub chats_deleted: usize,
    pub messages_deleted: u64,
    pub files_deleted: u64,
}

pub fn spawn(ctx: Arc<Services>) {
    tokio::spawn(async move {
        let mut interval =
            tokio::time::interval_at(tokio::time::Instant::now() + FIRST_AFTER, EVERY);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ctx.shutdown.cancelled() => return,
                _ = interval.tick() => {}
            }
            if let Err(e) = upkeep(&ctx).await {
                tracing::warn!(error = %e, "data upkeep failed");
            }
        }
    });
}

/// One upkeep, now (tests call it after moving the clock); logs what it did, with the longest
/// one batch of deletions held the writer.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn upkeep(ctx: &Services) -> Result<Upkeep> {
    let began = std::time::Instant::now();
    let mut slowest_batch = Duration::ZERO;
    let done = write_and_delete(ctx, &mut slowest_batch).await?;
    if done != Upkeep::default() {
        tracing::info!(
            days_written = done.days_written,
            chats_deleted = done.chats_deleted,
            messages_deleted = done.messages_deleted,
            files_deleted = done.files_deleted,
            slowest_batch_ms = slowest_batch.as_millis() as u64,
            elapsed_ms = began.elapsed().as_millis() as u64,
            "data upkeep"
        );
    }
    Ok(done)
}

async fn write_and_delete(ctx: &Services, slowest_batch: &mut Duration) -> Result<Upkeep> {
    let now = ctx.clock.now();
    let mut done = Upkeep {
        days_written: ctx.store.write_finished_days(now).await?,
        ..Upkeep::default()
    };
    let Some(days) = ctx.settings.retention_days else {
        return Ok(done);
    };
    let cutoff = Timestamp(now.0 - i64::from(days) * DAY_MS);
    let mut after = None;
    loop {
        let began = std::time::Instant::now();
        let batch = ctx.store.delete_ended_chats(cutoff, after, BATCH).await?;
        *slowest_batch = (*slowest_batch).max(began.elapsed());
        super::privacy::forget_live(ctx, &batch.removal.session_ids);
        done.chats_deleted += batch.removal.session_ids.len();
        done.messages_deleted += batch.removal.messages;
        done.files_deleted += batch.removal.files;
        match batch.next {
            Some(next) => after = Some(next),
            None => break,
        }
        // Let the requests queued behind this batch go first.
        tokio::task::yield_now().await;
    }
    if done.chats_deleted > 0 {
        ctx.store
            .record_audit(NewAuditEvent {
                at: now,
                agent_id: None,
                action: "retention_delete".into(),
                session_id: None,
                detail: Some(json!({
                    "retentionDays": days,
                    "chats": done.chats_deleted,
                    "messages": done.messages_deleted,
                    "files": done.files_deleted,
                })),
            })
            .await?;
    }
    Ok(done)
}
