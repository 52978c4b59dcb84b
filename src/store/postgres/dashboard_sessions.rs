//! The `dashboard_sessions` table: signed-in dashboard browsers. Only a SHA-256 of the cookie
//! value is stored, so a copy of the database does not sign anyone in.

use deadpool_postgres::GenericClient;

use super::db;
use crate::domain::Timestamp;
use crate::domain::dashboard_session::DashboardSessionRecord;
use crate::error::Result;

pub(crate) async fn insert(c: &impl GenericClient, row: &DashboardSessionRecord) -> Result<()> {
    db::exec(
        c,
        "INSERT INTO dashboard_sessions (token_hash, agent_id, csrf_token, created_at, last_seen_at)
         VALUES ($1, $2, $3, $4, $5)",
        &[
            &row.token_hash,
            &row.agent_id,
            &row.csrf_token,
            &row.created_at,
            &row.last_seen_at,
        ],
    )
    .await?;
    Ok(())
}

pub(crate) async fn get(
    c: &impl GenericClient,
    token_hash: &str,
) -> Result<Option<DashboardSessionRecord>> {
    db::row_opt(
        c,
        "SELECT token_hash, agent_id, csrf_token, created_at, last_seen_at FROM dashboard_sessions
         WHERE token_hash = $1",
        &[&token_hash],
    )
    .await?
    .map(|r| {
        Ok(DashboardSessionRecord {
            token_hash: r.try_get(0)?,
            agent_id: r.try_get(1)?,
            csrf_token: r.try_get(2)?,
            created_at: r.try_get(3)?,
            last_seen_at: r.try_get(4)?,
        })
    })
    .transpose()
}

/// Moves `last_seen_at` forward; an older time is ignored.
pub(crate) async fn touch(c: &impl GenericClient, token_hash: &str, at: Timestamp) -> Result<()> {
    db::exec(
        c,
        "UPDATE dashboard_sessions SET last_seen_at = $2 WHERE token_hash = $1 AND last_seen_at < $2",
        &[&token_hash, &at],
    )
    .await?;
    Ok(())
}

pub(crate) async fn delete(c: &impl GenericClient, token_hash: &str) -> Result<()> {
    db::exec(
        c,
        "DELETE FROM dashboard_sessions WHERE token_hash = $1",
        &[&token_hash],
    )
    .await?;
    Ok(())
}

pub(crate) async fn delete_for_agent(c: &impl GenericClient, agent_id: &str) -> Result<()> {
    db::exec(
        c,
        "DELETE FROM dashboard_sessions WHERE agent_id = $1",
        &[&agent_id],
    )
    .await?;
    Ok(())
}

/// Removes sessions idle since before `cutoff`; returns how many.
pub(crate) async fn delete_idle(c: &impl GenericClient, cutoff: Timestamp) -> Result<usize> {
    let deleted = db::exec(
        c,
        "DELETE FROM dashboard_sessions WHERE last_seen_at < $1",
        &[&cutoff],
    )
    .await?;
    Ok(usize::try_from(deleted).unwrap_or(usize::MAX))
}
