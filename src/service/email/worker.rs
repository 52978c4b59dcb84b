//! Sends queued emails: each due one once at a time, retried on the webhook schedule when the
//! SMTP server fails or cannot be reached, given up after a day or at a permanent refusal.

use std::sync::Arc;
use std::time::Duration;

use lettre::AsyncTransport;
use lettre::message::{Mailbox, MultiPart};

use crate::domain::webhook::next_attempt;
use crate::error::Result;
use crate::service::Services;
use crate::store::outbox::{AttemptResult, QueuedEmail};

const TICK: Duration = Duration::from_secs(1);
const PER_ROUND: usize = 16;

/// Runs the worker until shutdown (not at all when email is off).
pub fn spawn(ctx: Arc<Services>) {
    if !ctx.mail.enabled() {
        return;
    }
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = ctx.shutdown.cancelled() => return,
                _ = ctx.mail.wake.notified() => {}
                _ = tokio::time::sleep(TICK) => {}
            }
            if let Err(e) = round(&ctx).await {
                tracing::warn!(error = %e, "email round failed");
            }
        }
    });
}

async fn round(ctx: &Arc<Services>) -> Result<()> {
    let skip: Vec<i64> = ctx
        .mail
        .in_flight
        .lock()
        .expect("in-flight lock")
        .iter()
        .copied()
        .collect();
    let due = ctx
        .store
        .due_emails(ctx.clock.now(), PER_ROUND, skip)
        .await?;
    for email in due {
        if !ctx
            .mail
            .in_flight
            .lock()
            .expect("in-flight lock")
            .insert(email.id)
        {
            continue;
        }
        let ctx = ctx.clone();
        tokio::spawn(async move {
            let id = email.id;
            let result = attempt(&ctx, &email).await;
            if let Err(e) = ctx.store.record_email_attempt(id, result).await {
                tracing::warn!(error = %e, email = id, "email attempt not recorded");
            }
            ctx.mail
                .in_flight
                .lock()
                .expect("in-flight lock")
                .remove(&id);
            ctx.mail.wake();
        });
    }
    Ok(())
}

async fn attempt(ctx: &Services, email: &QueuedEmail) -> AttemptResult {
    let now = ctx.clock.now();
    let outcome = |error: Option<String>, permanent: bool| AttemptResult {
        at: now,
        response_status: None,
        retry_at: match (&error, permanent) {
            (Some(_), false) => next_attempt(email.attempts + 1, email.created_at, now),
            _ => None,
        },
        error,
    };
    let (Some(transport), Some(from)) = (&ctx.mail.transport, &ctx.mail.from) else {
        return outcome(Some("email is off".into()), false);
    };
    let message = match build(from, email) {
        Ok(m) => m,
        Err(why) => return outcome(Some(why), true),
    };
    match transport.send(message).await {
        Ok(_) => outcome(None, false),
        Err(e) => {
            let permanent = e.is_permanent();
            outcome(Some(e.to_string().chars().take(500).collect()), permanent)
        }
    }
}

/// The email as sent: plain text and HTML alternatives.
fn build(from: &Mailbox, email: &QueuedEmail) -> Result<lettre::Message, String> {
    let to: Mailbox = email
        .to
        .parse()
        .map_err(|e| format!("the address {:?} is unusable: {e}", email.to))?;
    let mut builder = lettre::Message::builder()
        .from(from.clone())
        .to(to)
        .subject(email.subject.clone());
    if let Some(reply_to) = email.reply_to.as_deref().and_then(|r| r.parse().ok()) {
        builder = builder.reply_to(reply_to);
    }
    builder
        .multipart(MultiPart::alternative_plain_html(
            email.text.clone(),
            email.html.clone(),
        ))
        .map_err(|e| format!("the email could not be built: {e}"))
}
