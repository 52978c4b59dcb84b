//! The `email_outbox` table.

use rusqlite::{Connection, params};

use crate::domain::Timestamp;
use crate::error::Result;
use crate::store::export::EmailRecord;
use crate::store::outbox::{AttemptResult, NewEmail, QueuedEmail};

/// Queues `e` due now; false when its dedupe key is taken, or when the chat it is about no
/// longer exists (erased or deleted since the email was written): nothing changes.
pub fn insert(conn: &Connection, e: &NewEmail, now: Timestamp) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "INSERT OR IGNORE INTO email_outbox
                 (kind, dedupe_key, session_id, to_address, subject, text_body, html_body,
                  next_attempt_at, created_at, reply_to)
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9
             WHERE ?3 IS NULL OR EXISTS (SELECT 1 FROM sessions WHERE id = ?3)",
        )?
        .execute(params![
            e.kind,
            e.dedupe_key,
            e.session_id,
            e.to,
            e.subject,
            e.text,
            e.html,
            now,
            e.reply_to
        ])?
        == 1)
}

pub fn due(conn: &Connection, now: Timestamp, limit: usize) -> Result<Vec<QueuedEmail>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, kind, to_address, subject, text_body, html_body, attempts, created_at, reply_to
         FROM email_outbox WHERE status = 'pending' AND next_attempt_at <= ?1
         ORDER BY next_attempt_at, id LIMIT ?2",
    )?;
    let rows = stmt
        .query_map(params![now, limit as i64], |r| {
            Ok(QueuedEmail {
                id: r.get(0)?,
                kind: r.get(1)?,
                to: r.get(2)?,
                subject: r.get(3)?,
                text: r.get(4)?,
                html: r.get(5)?,
                attempts: r.get(6)?,
                created_at: r.get(7)?,
                reply_to: r.get(8)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

pub fn record_attempt(conn: &Connection, id: i64, r: &AttemptResult) -> Result<()> {
    let status = match (&r.error, r.retry_at) {
        (None, _) => "sent",
        (Some(_), Some(_)) => "pending",
        (Some(_), None) => "failed",
    };
    conn.prepare_cached(
        "UPDATE email_outbox SET status = ?2, attempts = attempts + 1,
             next_attempt_at = COALESCE(?3, next_attempt_at), last_error = ?4,
             sent_at = CASE WHEN ?2 = 'sent' THEN ?5 ELSE sent_at END
         WHERE id = ?1",
    )?
    .execute(params![id, status, r.retry_at, r.error, r.at])?;
    Ok(())
}

/// The emails queued about session `session_id`, oldest first.
pub fn about(conn: &Connection, session_id: &str) -> Result<Vec<EmailRecord>> {
    let mut stmt = conn.prepare_cached(
        "SELECT session_id, kind, to_address, subject, text_body, status, created_at, sent_at
         FROM email_outbox WHERE session_id = ?1 ORDER BY id",
    )?;
    let rows = stmt
        .query_map([session_id], |r| {
            Ok(EmailRecord {
                session_id: r.get(0)?,
                kind: r.get(1)?,
                to: r.get(2)?,
                subject: r.get(3)?,
                text: r.get(4)?,
                status: r.get(5)?,
                created_at: r.get(6)?,
                sent_at: r.get(7)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}
