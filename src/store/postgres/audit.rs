//! The `audit_events` table: who did what to which session, when. Written in the same
//! transaction as the action it records, so the log never disagrees with the data.

use deadpool_postgres::GenericClient;

use super::db;
use crate::domain::Timestamp;
use crate::domain::audit::{AuditEvent, AuditFilter, NewAuditEvent};
use crate::error::Result;

pub(crate) async fn record(
    c: &impl GenericClient,
    at: Timestamp,
    agent_id: Option<&str>,
    action: &str,
    session_id: Option<&str>,
    detail: Option<&serde_json::Value>,
) -> Result<()> {
    let detail = detail.map(serde_json::Value::to_string);
    db::exec(
        c,
        "INSERT INTO audit_events (at, agent_id, action, session_id, detail) VALUES ($1, $2, $3, $4, $5)",
        &[&at, &agent_id, &action, &session_id, &detail],
    )
    .await?;
    Ok(())
}

/// Records a prepared event.
pub(crate) async fn record_event(c: &impl GenericClient, e: &NewAuditEvent) -> Result<()> {
    record(
        c,
        e.at,
        e.agent_id.as_deref(),
        &e.action,
        e.session_id.as_deref(),
        e.detail.as_ref(),
    )
    .await
}

/// Newest first.
pub(crate) async fn list(
    c: &impl GenericClient,
    filter: &AuditFilter,
    offset: i64,
    limit: i64,
) -> Result<Vec<AuditEvent>> {
    db::rows(
        c,
        "SELECT e.seq, e.at, e.agent_id, a.name, e.action, e.session_id, e.detail
         FROM audit_events e LEFT JOIN agents a ON a.id = e.agent_id
         WHERE ($1::TEXT IS NULL OR e.session_id = $1) AND ($2::TEXT IS NULL OR e.agent_id = $2)
           AND ($3::TEXT IS NULL OR e.action = $3)
         ORDER BY e.seq DESC LIMIT $4 OFFSET $5",
        &[
            &filter.session_id,
            &filter.agent_id,
            &filter.action,
            &limit,
            &offset,
        ],
    )
    .await?
    .iter()
    .map(|r| {
        let detail: Option<String> = r.try_get(6)?;
        Ok(AuditEvent {
            seq: r.try_get(0)?,
            at: r.try_get(1)?,
            agent_id: r.try_get(2)?,
            agent_name: r.try_get(3)?,
            action: r.try_get(4)?,
            session_id: r.try_get(5)?,
            detail: detail.and_then(|d| serde_json::from_str(&d).ok()),
        })
    })
    .collect()
}

pub(crate) async fn count(c: &impl GenericClient, filter: &AuditFilter) -> Result<i64> {
    Ok(db::row(
        c,
        "SELECT COUNT(*) FROM audit_events e
         WHERE ($1::TEXT IS NULL OR e.session_id = $1) AND ($2::TEXT IS NULL OR e.agent_id = $2)
           AND ($3::TEXT IS NULL OR e.action = $3)",
        &[&filter.session_id, &filter.agent_id, &filter.action],
    )
    .await?
    .try_get(0)?)
}
