//! Sends queued pushes on the webhook schedule; a device FCM no longer knows is forgotten.

use std::sync::Arc;
use std::time::Duration;

use super::fcm::Sent;
use crate::domain::webhook::next_attempt;
use crate::error::Result;
use crate::service::Services;
use crate::store::outbox::{AttemptResult, QueuedPush};

const TICK: Duration = Duration::from_secs(1);
const PER_ROUND: usize = 32;

/// Runs the worker until shutdown (not at all when push is off).
pub fn spawn(ctx: Arc<Services>) {
    if !ctx.push.enabled() {
        return;
    }
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = ctx.shutdown.cancelled() => return,
                _ = ctx.push.wake.notified() => {}
                _ = tokio::time::sleep(TICK) => {}
            }
            if let Err(e) = round(&ctx).await {
                tracing::warn!(error = %e, "push round failed");
            }
        }
    });
}

async fn round(ctx: &Arc<Services>) -> Result<()> {
    let skip: Vec<i64> = ctx
        .push
        .in_flight
        .lock()
        .expect("in-flight lock")
        .iter()
        .copied()
        .collect();
    let due = ctx
        .store
        .due_pushes(ctx.clock.now(), PER_ROUND, skip)
        .await?;
    for push in due {
        if !ctx
            .push
            .in_flight
            .lock()
            .expect("in-flight lock")
            .insert(push.id)
        {
            continue;
        }
        let ctx = ctx.clone();
        tokio::spawn(async move {
            let id = push.id;
            if let Err(e) = attempt(&ctx, &push).await {
                tracing::warn!(error = %e, push = id, "push attempt not recorded");
            }
            ctx.push
                .in_flight
                .lock()
                .expect("in-flight lock")
                .remove(&id);
            ctx.push.wake.notify_one();
        });
    }
    Ok(())
}

async fn attempt(ctx: &Services, push: &QueuedPush) -> Result<()> {
    let Some(fcm) = &ctx.push.fcm else {
        return Ok(());
    };
    let now = ctx.clock.now();
    let data = [
        ("sessionId", push.session_id.as_str()),
        ("messageId", push.message_id.as_str()),
    ];
    let failed = |error: String, retry: bool| AttemptResult {
        at: now,
        response_status: None,
        retry_at: if retry {
            next_attempt(push.attempts + 1, push.created_at, now)
        } else {
            None
        },
        error: Some(error),
    };
    let result = match fcm
        .send(now, &push.token, &push.title, &push.body, &data)
        .await
    {
        Sent::Delivered => AttemptResult {
            at: now,
            response_status: None,
            error: None,
            retry_at: None,
        },
        Sent::Unregistered => return ctx.store.drop_push_token(push.token.clone()).await,
        Sent::Retry(why) => failed(why, true),
        Sent::Refused(why) => failed(why, false),
    };
    ctx.store.record_push_attempt(push.id, result).await
}
