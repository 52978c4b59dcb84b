//! Aggregate queries for analytics, reports and wait estimates. Definitions are in
//! docs/metrics.md; each function's comment says which one it implements.

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate};
use rusqlite::{Connection, params};

use super::day_figures::{Chats, Counted, count};
use super::day_stats::{self, day_of, start_of};
use crate::domain::Timestamp;
use crate::domain::analytics::{AgentTotals, AgentWork, DayTotals, SessionUsage};
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

/// The figures of `chats` (every chat, one label's, or each label's) over the whole UTC
/// days of `[from, to)`: written days from `day_stats`, the rest counted now.
pub fn figures(
    conn: &Connection,
    chats: Chats<'_>,
    from: Timestamp,
    to: Timestamp,
) -> Result<Counted> {
    let (first, last) = (day_of(from), day_of(Timestamp(to.0 - 1)));
    if last < first {
        return Ok(Counted::default());
    }
    let key = match chats {
        Chats::All => Some(day_stats::ALL),
        Chats::Label(id) => Some(id),
        Chats::EveryLabel => None,
        Chats::One(_) => unreachable!("one chat is never asked for by range"),
    };
    let written = day_stats::written_days(conn, first, last)?;
    let mut out = day_stats::read(conn, key, first, last)?;
    let mut run: Option<(NaiveDate, NaiveDate)> = None;
    let count_run = |run: Option<(NaiveDate, NaiveDate)>, out: &mut Counted| -> Result<()> {
        if let Some((a, b)) = run {
            let now = count(conn, chats, start_of(a), start_of(b + Days::new(1)))?;
            merge(out, now);
        }
        Ok(())
    };
    for day in first.iter_days().take_while(|d| *d <= last) {
        if written.contains(&day.format("%Y-%m-%d").to_string()) {
            count_run(run.take(), &mut out)?;
        } else {
            run = Some(run.map_or((day, day), |(a, _)| (a, day)));
        }
    }
    count_run(run, &mut out)?;
    Ok(out)
}

fn merge(into: &mut Counted, from: Counted) {
    for (key, figures) in from.days {
        into.days.entry(key).or_default().add_scaled(&figures, 1);
    }
    for (key, work) in from.agents {
        into.agents.entry(key).or_default().add_scaled(&work, 1);
    }
}

/// The analytics page's sums of `[from, to)`: days with activity (by date), ratings by value
/// and user messages by hour.
pub fn totals(
    conn: &Connection,
    from: Timestamp,
    to: Timestamp,
    label: Option<&str>,
) -> Result<(Vec<DayTotals>, [i64; 5], [i64; 24])> {
    let chats = label.map_or(Chats::All, Chats::Label);
    let counted = figures(conn, chats, from, to)?;
    let mut ratings = [0; 5];
    let mut hours = [0; 24];
    let mut days = Vec::new();
    for ((_, day), f) in counted.days {
        for (sum, n) in ratings.iter_mut().zip(f.rating_counts) {
            *sum += n;
        }
        for (sum, n) in hours.iter_mut().zip(f.user_messages_by_hour) {
            *sum += n;
        }
        if f.totals != DayTotals::default() {
            days.push(DayTotals {
                date: day,
                ..f.totals
            });
        }
    }
    Ok((days, ratings, hours))
}

/// Every agent's work in `[from, to)`, by name; agents who did nothing get a row of zeros.
pub fn agent_totals(
    conn: &Connection,
    from: Timestamp,
    to: Timestamp,
    label: Option<&str>,
) -> Result<Vec<AgentTotals>> {
    let chats = label.map_or(Chats::All, Chats::Label);
    let mut work: BTreeMap<String, AgentWork> = BTreeMap::new();
    for ((_, _, agent), w) in figures(conn, chats, from, to)?.agents {
        work.entry(agent).or_default().add_scaled(&w, 1);
    }
    let mut stmt =
        conn.prepare_cached("SELECT id, name, email, role FROM agents ORDER BY name, email")?;
    let rows = stmt
        .query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?
        .collect::<rusqlite::Result<Vec<(String, String, String, String)>>>()?;
    Ok(rows
        .into_iter()
        .map(|(agent_id, name, email, role)| {
            let w = work.remove(&agent_id).unwrap_or_default();
            AgentTotals {
                agent_id,
                name,
                email,
                role,
                chats_handled: w.chats_handled,
                messages_sent: w.messages_sent,
                chats_ended: w.chats_ended,
                first_responses: w.first_responses,
                first_response_ms_sum: w.first_response_ms_sum,
                ratings: w.ratings,
                rating_sum: w.rating_sum,
                ratings_good: w.ratings_good,
            }
        })
        .collect())
}

/// Each label's sums over `[from, to)`, by label id.
pub fn label_totals(
    conn: &Connection,
    from: Timestamp,
    to: Timestamp,
) -> Result<BTreeMap<String, DayTotals>> {
    let mut sums: BTreeMap<String, DayTotals> = BTreeMap::new();
    for ((label, _), f) in figures(conn, Chats::EveryLabel, from, to)?.days {
        sums.entry(label).or_default().add(&f.totals);
    }
    Ok(sums)
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
        " AND (?3 IS NULL OR s.id IN (SELECT session_id FROM chat_labels WHERE label_id = ?3))",
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
