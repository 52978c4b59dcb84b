//! The `email_outbox` table.

use deadpool_postgres::GenericClient;

use super::db;
use crate::domain::Timestamp;
use crate::error::Result;
use crate::store::export::EmailRecord;
use crate::store::outbox::{AttemptResult, NewEmail, QueuedEmail};

/// Queues `e` due now; false when its dedupe key is taken, or when the chat it is about no
/// longer exists (erased or deleted since the email was written): nothing changes.
pub(crate) async fn insert(c: &impl GenericClient, e: &NewEmail, now: Timestamp) -> Result<bool> {
    Ok(db::exec(
        c,
        "INSERT INTO email_outbox
             (kind, dedupe_key, session_id, to_address, subject, text_body, html_body,
              next_attempt_at, created_at, reply_to)
         SELECT $1, $2, $3::TEXT, $4, $5, $6, $7, $8, $8, $9
         WHERE $3::TEXT IS NULL OR EXISTS (SELECT 1 FROM sessions WHERE id = $3::TEXT)
         ON CONFLICT (dedupe_key) DO NOTHING",
        &[
            &e.kind,
            &e.dedupe_key,
            &e.session_id,
            &e.to,
            &e.subject,
            &e.text,
            &e.html,
            &now,
            &e.reply_to,
        ],
    )
    .await?
        == 1)
}

/// Claims the oldest pending emails due at `now`, leaving out `skip` (the caller's own, on
/// their way), at most `limit`, each leased to the caller until `lease_until` (see
/// [`super::webhooks::claim_due`], which claims deliveries the same way).
pub(crate) async fn claim_due(
    c: &impl GenericClient,
    now: Timestamp,
    limit: usize,
    skip: &[i64],
    lease_until: Timestamp,
) -> Result<Vec<QueuedEmail>> {
    db::rows(
        c,
        "WITH due AS (
             SELECT id, next_attempt_at FROM email_outbox
             WHERE status = 'pending' AND next_attempt_at <= $1 AND id <> ALL($3)
             ORDER BY next_attempt_at, id LIMIT $2
             FOR UPDATE SKIP LOCKED
         ),
         leased AS (
             UPDATE email_outbox o SET next_attempt_at = $4 FROM due WHERE o.id = due.id
             RETURNING o.id, o.kind, o.to_address, o.subject, o.text_body, o.html_body,
                       o.attempts, o.created_at, o.reply_to, due.next_attempt_at AS due_at
         )
         SELECT * FROM leased ORDER BY due_at, id",
        &[&now, &(limit as i64), &skip, &lease_until],
    )
    .await?
    .iter()
    .map(|r| {
        Ok(QueuedEmail {
            id: r.try_get(0)?,
            kind: r.try_get(1)?,
            to: r.try_get(2)?,
            subject: r.try_get(3)?,
            text: r.try_get(4)?,
            html: r.try_get(5)?,
            attempts: r.try_get(6)?,
            created_at: r.try_get(7)?,
            reply_to: r.try_get(8)?,
        })
    })
    .collect()
}

/// Records an attempt; a retry's time replaces the lease.
pub(crate) async fn record_attempt(
    c: &impl GenericClient,
    id: i64,
    r: &AttemptResult,
) -> Result<()> {
    let status = match (&r.error, r.retry_at) {
        (None, _) => "sent",
        (Some(_), Some(_)) => "pending",
        (Some(_), None) => "failed",
    };
    db::exec(
        c,
        "UPDATE email_outbox SET status = $2::TEXT, attempts = attempts + 1,
             next_attempt_at = COALESCE($3, next_attempt_at), last_error = $4,
             sent_at = CASE WHEN $2::TEXT = 'sent' THEN $5 ELSE sent_at END
         WHERE id = $1",
        &[&id, &status, &r.retry_at, &r.error, &r.at],
    )
    .await?;
    Ok(())
}

/// The emails queued about session `session_id`, oldest first.
pub(crate) async fn about(c: &impl GenericClient, session_id: &str) -> Result<Vec<EmailRecord>> {
    db::rows(
        c,
        "SELECT session_id, kind, to_address, subject, text_body, status, created_at, sent_at
         FROM email_outbox WHERE session_id = $1 ORDER BY id",
        &[&session_id],
    )
    .await?
    .iter()
    .map(|r| {
        Ok(EmailRecord {
            session_id: r.try_get(0)?,
            kind: r.try_get(1)?,
            to: r.try_get(2)?,
            subject: r.try_get(3)?,
            text: r.try_get(4)?,
            status: r.try_get(5)?,
            created_at: r.try_get(6)?,
            sent_at: r.try_get(7)?,
        })
    })
    .collect()
}
