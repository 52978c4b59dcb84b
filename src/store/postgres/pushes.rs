//! The `push_tokens` and `push_outbox` tables.

use deadpool_postgres::GenericClient;

use super::db;
use crate::domain::{SessionOwner, Timestamp};
use crate::error::Result;
use crate::store::export::{PushDevice, PushNotice};
use crate::store::outbox::{AttemptResult, NewPush, QueuedPush};

pub(crate) async fn register(
    c: &impl GenericClient,
    owner: &SessionOwner,
    token: &str,
    platform: &str,
    max_per_user: usize,
    now: Timestamp,
) -> Result<()> {
    let user_id: &str = &owner.user_id;
    db::exec(
        c,
        "INSERT INTO push_tokens (token, user_id, is_guest, platform, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $5)
         ON CONFLICT (token) DO UPDATE SET user_id = $2, is_guest = $3, platform = $4, updated_at = $5",
        &[&token, &user_id, &owner.is_guest, &platform, &now],
    )
    .await?;
    db::exec(
        c,
        "DELETE FROM push_tokens WHERE user_id = $1 AND is_guest = $2 AND token NOT IN
             (SELECT token FROM push_tokens WHERE user_id = $1 AND is_guest = $2
              ORDER BY updated_at DESC, token LIMIT $3)",
        &[&user_id, &owner.is_guest, &(max_per_user as i64)],
    )
    .await?;
    Ok(())
}

pub(crate) async fn forget(c: &impl GenericClient, token: &str) -> Result<()> {
    db::exec(c, "DELETE FROM push_tokens WHERE token = $1", &[&token]).await?;
    db::exec(
        c,
        "UPDATE push_outbox SET status = 'failed', last_error = 'the device is unregistered'
         WHERE token = $1 AND status = 'pending'",
        &[&token],
    )
    .await?;
    Ok(())
}

/// One pending push per device of the push's user.
pub(crate) async fn queue(c: &impl GenericClient, p: &NewPush, now: Timestamp) -> Result<()> {
    let user_id: &str = &p.owner.user_id;
    db::exec(
        c,
        "INSERT INTO push_outbox
             (token, session_id, message_id, title, body, next_attempt_at, created_at)
         SELECT token, $3, $4, $5, $6, $7, $7 FROM push_tokens WHERE user_id = $1 AND is_guest = $2
         ON CONFLICT (token, session_id, message_id) DO NOTHING",
        &[
            &user_id,
            &p.owner.is_guest,
            &p.session_id,
            &p.message_id,
            &p.title,
            &p.body,
            &now,
        ],
    )
    .await?;
    Ok(())
}

/// Claims the oldest pending pushes due at `now`, leaving out `skip` (the caller's own, on
/// their way), at most `limit`, each leased to the caller until `lease_until` (see
/// [`super::webhooks::claim_due`], which claims deliveries the same way).
pub(crate) async fn claim_due(
    c: &impl GenericClient,
    now: Timestamp,
    limit: usize,
    skip: &[i64],
    lease_until: Timestamp,
) -> Result<Vec<QueuedPush>> {
    db::rows(
        c,
        "WITH due AS (
             SELECT id, next_attempt_at FROM push_outbox
             WHERE status = 'pending' AND next_attempt_at <= $1 AND id <> ALL($3)
             ORDER BY next_attempt_at, id LIMIT $2
             FOR UPDATE SKIP LOCKED
         ),
         leased AS (
             UPDATE push_outbox o SET next_attempt_at = $4 FROM due WHERE o.id = due.id
             RETURNING o.id, o.token, o.session_id, o.message_id, o.title, o.body, o.attempts,
                       o.created_at, due.next_attempt_at AS due_at
         )
         SELECT * FROM leased ORDER BY due_at, id",
        &[&now, &(limit as i64), &skip, &lease_until],
    )
    .await?
    .iter()
    .map(|r| {
        Ok(QueuedPush {
            id: r.try_get(0)?,
            token: r.try_get(1)?,
            session_id: r.try_get(2)?,
            message_id: r.try_get(3)?,
            title: r.try_get(4)?,
            body: r.try_get(5)?,
            attempts: r.try_get(6)?,
            created_at: r.try_get(7)?,
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
        "UPDATE push_outbox SET status = $2, attempts = attempts + 1,
             next_attempt_at = COALESCE($3, next_attempt_at), last_error = $4
         WHERE id = $1 AND status = 'pending'",
        &[&id, &status, &r.retry_at, &r.error],
    )
    .await?;
    Ok(())
}

/// The devices registered to `user_id` (in one namespace, or both when `is_guest` is `None`).
pub(crate) async fn devices_of(
    c: &impl GenericClient,
    user_id: &str,
    is_guest: Option<bool>,
) -> Result<Vec<PushDevice>> {
    db::rows(
        c,
        "SELECT token, platform, is_guest, created_at, updated_at FROM push_tokens
         WHERE user_id = $1 AND ($2::BOOLEAN IS NULL OR is_guest = $2) ORDER BY created_at, token",
        &[&user_id, &is_guest],
    )
    .await?
    .iter()
    .map(|r| {
        Ok(PushDevice {
            token: r.try_get(0)?,
            platform: r.try_get(1)?,
            is_guest: r.try_get(2)?,
            created_at: r.try_get(3)?,
            updated_at: r.try_get(4)?,
        })
    })
    .collect()
}

/// The pushes queued about session `session_id`, oldest first.
pub(crate) async fn notices_about(
    c: &impl GenericClient,
    session_id: &str,
) -> Result<Vec<PushNotice>> {
    db::rows(
        c,
        "SELECT session_id, message_id, title, body, status, created_at FROM push_outbox
         WHERE session_id = $1 ORDER BY id",
        &[&session_id],
    )
    .await?
    .iter()
    .map(|r| {
        Ok(PushNotice {
            session_id: r.try_get(0)?,
            message_id: r.try_get(1)?,
            title: r.try_get(2)?,
            body: r.try_get(3)?,
            status: r.try_get(4)?,
            created_at: r.try_get(5)?,
        })
    })
    .collect()
}
