//! Background upkeep, every few seconds: expire silent sessions, return silent agents' chats
//! to the queue, forget idle hub entries, rate-limit windows and dashboard sessions.

use std::sync::Arc;
use std::time::Duration;

use super::Services;
use crate::domain::Timestamp;
use crate::error::Result;
use crate::realtime::DashboardEvent;

const TICK: Duration = Duration::from_secs(5);
/// How often unsent uploads and unused files are swept.
const FILE_SWEEP_EVERY: Duration = Duration::from_secs(3600);
/// Hub entries of sessions idle this much past their expiry are dropped (when unwatched).
const HUB_GRACE_MS: i64 = 10 * 60_000;

pub fn spawn(ctx: Arc<Services>) {
    spawn_file_sweep(ctx.clone());
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(TICK);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ctx.shutdown.cancelled() => return,
                _ = interval.tick() => {}
            }
            if let Err(e) = tick(&ctx).await {
                tracing::warn!(error = %e, "maintenance failed");
            }
        }
    });
}

/// One round of upkeep (tests call it directly after moving the clock).
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn tick(ctx: &Services) -> Result<()> {
    let now = ctx.clock.now();
    let timeout_ms = ctx.session_timeout_ms();
    let idle_ms = i64::try_from(ctx.settings.dashboard_idle.as_millis()).unwrap_or(i64::MAX);
    let expired = ctx
        .store
        .expire_idle(now, super::live::idle_rule(ctx))
        .await?;
    ctx.store
        .delete_idle_dashboard_sessions(Timestamp(now.0 - idle_ms))
        .await?;
    if !expired.is_empty() {
        for state in &expired {
            super::live::publish(ctx, state);
            ctx.bus.publish(DashboardEvent::SessionDetails(
                state.session.id.as_str().into(),
            ));
        }
        ctx.bus.publish(DashboardEvent::QueueChanged);
    }
    super::auto_assign::reassign_silent(ctx).await?;
    super::email::alert_waiting(ctx).await?;
    ctx.hub.evict(Timestamp(now.0 - timeout_ms - HUB_GRACE_MS));
    ctx.message_limiter.sweep(now);
    ctx.user_message_limiter.sweep(now);
    ctx.guest_start_limiter.sweep(now);
    Ok(())
}

/// Sweeps the attachment folder hourly, apart from the fast tick: it may scan many files.
fn spawn_file_sweep(ctx: Arc<Services>) {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(FILE_SWEEP_EVERY);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ctx.shutdown.cancelled() => return,
                _ = interval.tick() => {}
            }
            match super::attachments::sweep(&ctx).await {
                Ok(done) if done.unsent_uploads + done.files > 0 => {
                    tracing::info!(
                        unsent_uploads = done.unsent_uploads,
                        files = done.files,
                        "attachment sweep"
                    );
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "attachment sweep failed"),
            }
        }
    });
}

/// Whether the server can do its job: the database takes a write.
pub async fn check_ready(ctx: &Services) -> Result<()> {
    ctx.store.check_writable().await
}
