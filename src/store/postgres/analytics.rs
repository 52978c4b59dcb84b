//! Aggregate queries for analytics, reports and wait estimates. Definitions are in
//! docs/metrics.md; each function's comment says which one it implements. The functions that
//! read several statements expect a connection whose statements agree (a REPEATABLE READ
//! transaction), as the SQLite engine's reads do.

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate};
use deadpool_postgres::GenericClient;

use super::day_figures::{Chats, Counted, count};
use super::day_stats::{self, day_of, start_of};
use super::db;
use crate::domain::Timestamp;
use crate::domain::analytics::{AgentTotals, AgentWork, DayTotals, SessionUsage};
use crate::error::Result;

/// Milliseconds to whole seconds, as the SQLite engine rounds them.
fn seconds(avg_ms: Option<f64>) -> Option<i64> {
    avg_ms.map(|ms| (ms / 1000.0).round() as i64)
}

/// Mean first-response time, in whole seconds, of the `last` most recently answered sessions.
pub(crate) async fn recent_first_response_seconds(
    c: &impl GenericClient,
    last: i64,
) -> Result<Option<i64>> {
    let avg: Option<f64> = db::row(
        c,
        "SELECT AVG(first_response_at - first_user_message_at)::FLOAT8 FROM (
             SELECT first_response_at, first_user_message_at FROM sessions
             WHERE first_response_at IS NOT NULL ORDER BY first_response_at DESC LIMIT $1) AS recent",
        &[&last],
    )
    .await?
    .try_get(0)?;
    Ok(seconds(avg))
}

/// Mean first-response time (seconds) of sessions first answered in `[from, to)`.
pub(crate) async fn average_first_response_between(
    c: &impl GenericClient,
    from: Timestamp,
    to: Timestamp,
) -> Result<Option<i64>> {
    let avg: Option<f64> = db::row(
        c,
        "SELECT AVG(first_response_at - first_user_message_at)::FLOAT8 FROM sessions
         WHERE first_response_at >= $1 AND first_response_at < $2",
        &[&from, &to],
    )
    .await?
    .try_get(0)?;
    Ok(seconds(avg))
}

/// Agent messages sent in `[from, to)`.
pub(crate) async fn agent_messages_between(
    c: &impl GenericClient,
    from: Timestamp,
    to: Timestamp,
) -> Result<i64> {
    Ok(db::row(
        c,
        "SELECT COUNT(*) FROM messages WHERE sender = 'admin' AND created_at >= $1 AND created_at < $2",
        &[&from, &to],
    )
    .await?
    .try_get(0)?)
}

/// The figures of `chats` (every chat, one label's, or each label's) over the whole UTC
/// days of `[from, to)`: written days from `day_stats`, the rest counted now.
pub(crate) async fn figures(
    c: &impl GenericClient,
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
    let written = day_stats::written_days(c, first, last).await?;
    let mut out = day_stats::read(c, key, first, last).await?;
    // The runs of days not written yet, each counted with one set of queries.
    let mut runs: Vec<(NaiveDate, NaiveDate)> = Vec::new();
    let mut run: Option<(NaiveDate, NaiveDate)> = None;
    for day in first.iter_days().take_while(|d| *d <= last) {
        if written.contains(&day.format("%Y-%m-%d").to_string()) {
            runs.extend(run.take());
        } else {
            run = Some(run.map_or((day, day), |(a, _)| (a, day)));
        }
    }
    runs.extend(run);
    for (a, b) in runs {
        let now = count(c, chats, start_of(a), start_of(b + Days::new(1))).await?;
        merge(&mut out, now);
    }
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
pub(crate) async fn totals(
    c: &impl GenericClient,
    from: Timestamp,
    to: Timestamp,
    label: Option<&str>,
) -> Result<(Vec<DayTotals>, [i64; 5], [i64; 24])> {
    let chats = label.map_or(Chats::All, Chats::Label);
    let counted = figures(c, chats, from, to).await?;
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

/// Every agent's work in `[from, to)`, by name (then email, ignoring the case of ASCII
/// letters, as on SQLite); agents who did nothing get a row of zeros.
pub(crate) async fn agent_totals(
    c: &impl GenericClient,
    from: Timestamp,
    to: Timestamp,
    label: Option<&str>,
) -> Result<Vec<AgentTotals>> {
    let chats = label.map_or(Chats::All, Chats::Label);
    let mut work: BTreeMap<String, AgentWork> = BTreeMap::new();
    for ((_, _, agent), w) in figures(c, chats, from, to).await?.agents {
        work.entry(agent).or_default().add_scaled(&w, 1);
    }
    db::rows(
        c,
        "SELECT id, name, email, role FROM agents
         ORDER BY name COLLATE \"C\", lower(email COLLATE \"C\")",
        &[],
    )
    .await?
    .iter()
    .map(|r| {
        let agent_id: String = r.try_get(0)?;
        let w = work.remove(&agent_id).unwrap_or_default();
        Ok(AgentTotals {
            agent_id,
            name: r.try_get(1)?,
            email: r.try_get(2)?,
            role: r.try_get(3)?,
            chats_handled: w.chats_handled,
            messages_sent: w.messages_sent,
            chats_ended: w.chats_ended,
            first_responses: w.first_responses,
            first_response_ms_sum: w.first_response_ms_sum,
            ratings: w.ratings,
            rating_sum: w.rating_sum,
            ratings_good: w.ratings_good,
        })
    })
    .collect()
}

/// Each label's sums over `[from, to)`, by label id.
pub(crate) async fn label_totals(
    c: &impl GenericClient,
    from: Timestamp,
    to: Timestamp,
) -> Result<BTreeMap<String, DayTotals>> {
    let mut sums: BTreeMap<String, DayTotals> = BTreeMap::new();
    for ((label, _), f) in figures(c, Chats::EveryLabel, from, to).await?.days {
        sums.entry(label).or_default().add(&f.totals);
    }
    Ok(sums)
}

/// Sessions created in `[from, to)`, oldest first, at most `limit`.
pub(crate) async fn session_usage(
    c: &impl GenericClient,
    from: Timestamp,
    to: Timestamp,
    limit: i64,
    label: Option<&str>,
) -> Result<Vec<SessionUsage>> {
    db::rows(
        c,
        "SELECT s.id, s.user_id, p.name, s.status, s.created_at, s.ended_at,
            (SELECT COUNT(*) FROM messages m WHERE m.session_id = s.id AND m.sender = 'user'),
            (SELECT COUNT(*) FROM messages m WHERE m.session_id = s.id AND m.sender = 'admin')
         FROM sessions s LEFT JOIN personas p ON p.id = s.persona_id
         WHERE s.created_at >= $1 AND s.created_at < $2
           AND ($3::TEXT IS NULL OR s.id IN (SELECT session_id FROM chat_labels WHERE label_id = $3))
         ORDER BY s.created_at, s.id COLLATE \"C\" LIMIT $4",
        &[&from, &to, &label, &limit],
    )
    .await?
    .iter()
    .map(|r| {
        Ok(SessionUsage {
            session_id: r.try_get(0)?,
            user_id: r.try_get(1)?,
            persona: r.try_get(2)?,
            status: r.try_get(3)?,
            created_at: r.try_get(4)?,
            ended_at: r.try_get(5)?,
            user_messages: r.try_get(6)?,
            agent_messages: r.try_get(7)?,
        })
    })
    .collect()
}
