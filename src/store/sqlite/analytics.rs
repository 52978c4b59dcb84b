//! Aggregate queries for analytics, reports and wait estimates. Definitions are in
//! docs/metrics.md; each function's comment says which one it implements.

use std::collections::BTreeMap;

use rusqlite::{Connection, params};

use crate::domain::Timestamp;
use crate::domain::analytics::{AgentTotals, DayTotals, SessionUsage};
use crate::error::Result;

/// Mean first-response time, in whole seconds, of the `last` most recently answered sessions.
pub fn recent_first_response_seconds(conn: &Connection, last: i64) -> Result<Option<i64>> {
    let avg: Option<f64> = conn
        .prepare_cached(
            "SELECT AVG(first_response_at - first_user_message_at) FROM (
                 SELECT first_response_at, first_user_message_at FROM sessions INDEXED BY sessions_by_first_response
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

const DAY: &str = "date(created_at / 1000, 'unixepoch')";

fn day_entry(days: &mut BTreeMap<String, DayTotals>, date: String) -> &mut DayTotals {
    days.entry(date.clone()).or_insert_with(|| DayTotals {
        date,
        ..DayTotals::default()
    })
}

/// Keeps a row of `column`'s chat when no label is asked for (`?3` null) or the chat carries it.
macro_rules! labelled {
    ($column:literal) => {
        concat!(
            " AND (?3 IS NULL OR ",
            $column,
            " IN (SELECT session_id FROM chat_labels WHERE label_id = ?3))"
        )
    };
}

/// Per-day sums for `[from, to)` of every chat, or of the chats carrying `label`; only days
/// with activity, by date.
pub fn daily_totals(
    conn: &Connection,
    from: Timestamp,
    to: Timestamp,
    label: Option<&str>,
) -> Result<Vec<DayTotals>> {
    let mut days: BTreeMap<String, DayTotals> = BTreeMap::new();
    {
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {DAY}, COUNT(*),
                    SUM(status <> 'active'),
                    COALESCE(SUM(CASE WHEN ended_at IS NOT NULL THEN ended_at - created_at END), 0),
                    SUM(status IN ('ended_by_user', 'ended_by_admin') AND first_response_at IS NOT NULL),
                    SUM(first_response_at IS NOT NULL),
                    COALESCE(SUM(first_response_at - first_user_message_at), 0)
             FROM sessions WHERE created_at >= ?1 AND created_at < ?2 {} GROUP BY 1",
            labelled!("id")
        ))?;
        let mut rows = stmt.query(params![from, to, label])?;
        while let Some(r) = rows.next()? {
            let d = day_entry(&mut days, r.get(0)?);
            d.sessions = r.get(1)?;
            d.ended = r.get(2)?;
            d.duration_ms_sum = r.get(3)?;
            d.resolved = r.get(4)?;
            d.answered = r.get(5)?;
            d.first_response_ms_sum = r.get(6)?;
        }
    }
    {
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {DAY}, COUNT(*) FROM messages
             WHERE sender <> 'system' AND created_at >= ?1 AND created_at < ?2 {} GROUP BY 1",
            labelled!("session_id")
        ))?;
        let mut rows = stmt.query(params![from, to, label])?;
        while let Some(r) = rows.next()? {
            day_entry(&mut days, r.get(0)?).messages = r.get(1)?;
        }
    }
    {
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {DAY}, COUNT(*), SUM(rating), SUM(rating >= 4) FROM ratings
             WHERE created_at >= ?1 AND created_at < ?2 {} GROUP BY 1",
            labelled!("session_id")
        ))?;
        let mut rows = stmt.query(params![from, to, label])?;
        while let Some(r) = rows.next()? {
            let d = day_entry(&mut days, r.get(0)?);
            d.ratings = r.get(1)?;
            d.rating_sum = r.get(2)?;
            d.ratings_good = r.get(3)?;
        }
    }
    Ok(days.into_values().collect())
}

/// How many ratings of each value (index 0 is rating 1) were submitted in `[from, to)`.
pub fn rating_distribution(
    conn: &Connection,
    from: Timestamp,
    to: Timestamp,
    label: Option<&str>,
) -> Result<[i64; 5]> {
    let mut counts = [0i64; 5];
    let mut stmt = conn.prepare_cached(concat!(
        "SELECT rating, COUNT(*) FROM ratings WHERE created_at >= ?1 AND created_at < ?2",
        labelled!("session_id"),
        " GROUP BY rating"
    ))?;
    let mut rows = stmt.query(params![from, to, label])?;
    while let Some(r) = rows.next()? {
        let rating: i64 = r.get(0)?;
        if (1..=5).contains(&rating) {
            counts[(rating - 1) as usize] = r.get(1)?;
        }
    }
    Ok(counts)
}

/// User messages per UTC hour of day (index = hour) in `[from, to)`.
pub fn user_messages_by_hour(
    conn: &Connection,
    from: Timestamp,
    to: Timestamp,
    label: Option<&str>,
) -> Result<[i64; 24]> {
    let mut counts = [0i64; 24];
    let mut stmt = conn.prepare_cached(concat!(
        "SELECT CAST(strftime('%H', created_at / 1000, 'unixepoch') AS INTEGER), COUNT(*) FROM messages
         WHERE sender = 'user' AND created_at >= ?1 AND created_at < ?2",
        labelled!("session_id"),
        " GROUP BY 1"
    ))?;
    let mut rows = stmt.query(params![from, to, label])?;
    while let Some(r) = rows.next()? {
        let hour: i64 = r.get(0)?;
        if (0..24).contains(&hour) {
            counts[hour as usize] = r.get(1)?;
        }
    }
    Ok(counts)
}

/// Ratings of the range (`r`) of chats agent `a` replied in.
macro_rules! agent_rated {
    () => {
        concat!(
            "r.created_at >= ?1 AND r.created_at < ?2",
            labelled!("r.session_id"),
            " AND EXISTS (SELECT 1 FROM messages m WHERE m.session_id = r.session_id AND m.agent_id = a.id)"
        )
    };
}

pub fn agent_totals(
    conn: &Connection,
    from: Timestamp,
    to: Timestamp,
    label: Option<&str>,
) -> Result<Vec<AgentTotals>> {
    let mut stmt = conn.prepare_cached(concat!(
        "SELECT a.id, a.name, a.email, a.role,
            (SELECT COUNT(DISTINCT m.session_id) FROM messages m
              WHERE m.agent_id = a.id AND m.created_at >= ?1 AND m.created_at < ?2",
        labelled!("m.session_id"),
        "), (SELECT COUNT(*) FROM messages m
              WHERE m.agent_id = a.id AND m.created_at >= ?1 AND m.created_at < ?2",
        labelled!("m.session_id"),
        "), (SELECT COUNT(*) FROM sessions s
              WHERE s.ended_by_agent_id = a.id AND s.ended_at >= ?1 AND s.ended_at < ?2",
        labelled!("s.id"),
        "), (SELECT COUNT(*) FROM sessions s
              WHERE s.first_responder_id = a.id AND s.created_at >= ?1 AND s.created_at < ?2",
        labelled!("s.id"),
        "), (SELECT COALESCE(SUM(s.first_response_at - s.first_user_message_at), 0) FROM sessions s
              WHERE s.first_responder_id = a.id AND s.created_at >= ?1 AND s.created_at < ?2",
        labelled!("s.id"),
        "), (SELECT COUNT(*) FROM ratings r WHERE ",
        agent_rated!(),
        "), (SELECT COALESCE(SUM(r.rating), 0) FROM ratings r WHERE ",
        agent_rated!(),
        "), (SELECT COUNT(*) FROM ratings r WHERE r.rating >= 4 AND ",
        agent_rated!(),
        ") FROM agents a ORDER BY a.name, a.email"
    ))?;
    let rows = stmt
        .query_map(params![from, to, label], |r| {
            Ok(AgentTotals {
                agent_id: r.get(0)?,
                name: r.get(1)?,
                email: r.get(2)?,
                role: r.get(3)?,
                chats_handled: r.get(4)?,
                messages_sent: r.get(5)?,
                chats_ended: r.get(6)?,
                first_responses: r.get(7)?,
                first_response_ms_sum: r.get(8)?,
                ratings: r.get(9)?,
                rating_sum: r.get(10)?,
                ratings_good: r.get(11)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Sessions created in `[from, to)`, oldest first, at most `limit`.
pub fn session_usage(
    conn: &Connection,
    from: Timestamp,
    to: Timestamp,
    limit: i64,
    label: Option<&str>,
) -> Result<Vec<SessionUsage>> {
    let mut stmt = conn.prepare_cached(concat!(
        "SELECT s.id, s.user_id, p.name, s.status, s.created_at, s.ended_at,
            (SELECT COUNT(*) FROM messages m WHERE m.session_id = s.id AND m.sender = 'user'),
            (SELECT COUNT(*) FROM messages m WHERE m.session_id = s.id AND m.sender = 'admin')
         FROM sessions s LEFT JOIN personas p ON p.id = s.persona_id
         WHERE s.created_at >= ?1 AND s.created_at < ?2",
        labelled!("s.id"),
        " ORDER BY s.created_at, s.id LIMIT ?4"
    ))?;
    let rows = stmt
        .query_map(params![from, to, label, limit], |r| {
            Ok(SessionUsage {
                session_id: r.get(0)?,
                user_id: r.get(1)?,
                persona: r.get(2)?,
                status: r.get(3)?,
                created_at: r.get(4)?,
                ended_at: r.get(5)?,
                user_messages: r.get(6)?,
                agent_messages: r.get(7)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}
