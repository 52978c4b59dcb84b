//! Aggregate queries for analytics, reports and wait estimates. Definitions are in
//! docs/metrics.md; each function's comment says which one it implements.

use rusqlite::{Connection, params};

use crate::domain::Timestamp;
use crate::error::Result;

/// Mean first-response time, in whole seconds, of the `last` most recently answered sessions.
pub fn recent_first_response_seconds(conn: &Connection, last: i64) -> Result<Option<i64>> {
    let avg: Option<f64> = conn
        .prepare_cached(
            "SELECT AVG(first_response_at - first_user_message_at) FROM (
                 SELECT first_response_at, first_user_message_at FROM sessions
                 WHERE first_response_at IS NOT NULL ORDER BY first_response_at DESC LIMIT ?1)",
        )?
        .query_row([last], |r| r.get(0))?;
    Ok(avg.map(|ms| (ms / 1000.0).round() as i64))
}

/// Mean first-response time (seconds) of sessions first answered in `[from, to)`.
pub fn average_first_response_between(
    conn: &Connection,
    from: Timestamp,
    to: Timestamp,
) -> Result<Option<i64>> {
    let avg: Option<f64> = conn
        .prepare_cached(
            "SELECT AVG(first_response_at - first_user_message_at) FROM sessions
             WHERE first_response_at >= ?1 AND first_response_at < ?2",
        )?
        .query_row(params![from, to], |r| r.get(0))?;
    Ok(avg.map(|ms| (ms / 1000.0).round() as i64))
}

/// Agent messages sent in `[from, to)`.
pub fn agent_messages_between(conn: &Connection, from: Timestamp, to: Timestamp) -> Result<i64> {
    Ok(conn
        .prepare_cached("SELECT COUNT(*) FROM messages WHERE sender = 'admin' AND created_at >= ?1 AND created_at < ?2")?
        .query_row(params![from, to], |r| r.get(0))?)
}
