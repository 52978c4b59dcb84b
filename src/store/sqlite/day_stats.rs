//! The `day_stats` and `agent_day_stats` tables: the figures of finished days, written once a
//! day can no longer change, kept when retention deletes the chats they came from, and read
//! by analytics instead of counting a year of rows.

use std::collections::BTreeSet;

use chrono::{Days, NaiveDate, NaiveTime};
use rusqlite::{Connection, params};

use super::day_figures::{Chats, Counted, count};
use crate::domain::Timestamp;
use crate::domain::analytics::{AgentWork, DayFigures};
use crate::error::Result;

/// The key of the figures of every chat.
pub const ALL: &str = "";

/// The UTC day `t` falls on.
pub fn day_of(t: Timestamp) -> NaiveDate {
    chrono::DateTime::from_timestamp_millis(t.0).map_or(NaiveDate::MIN, |d| d.date_naive())
}

/// The first millisecond of `day`.
pub fn start_of(day: NaiveDate) -> Timestamp {
    Timestamp(day.and_time(NaiveTime::MIN).and_utc().timestamp_millis())
}

fn text(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

/// The days in `[first, last]` whose figures are written.
pub fn written_days(
    conn: &Connection,
    first: NaiveDate,
    last: NaiveDate,
) -> Result<BTreeSet<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT day FROM day_stats WHERE label_id = '' AND day >= ?1 AND day <= ?2",
    )?;
    let days = stmt
        .query_map(params![text(first), text(last)], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(days)
}

/// The written figures of `[first, last]` under `key`, or under every label when `key` is
/// `None`.
pub fn read(
    conn: &Connection,
    key: Option<&str>,
    first: NaiveDate,
    last: NaiveDate,
) -> Result<Counted> {
    let mut out = Counted::default();
    let (first, last) = (text(first), text(last));
    // '' sorts before every label id: "every label" is the keys above it.
    let (low, high, every_label) = match key {
        Some(k) => (k.to_string(), k.to_string(), false),
        None => (String::new(), String::from("\u{10FFFF}"), true),
    };
    {
        let mut stmt = conn.prepare_cached(
            "SELECT label_id, day, sessions, ended, duration_ms_sum, resolved, answered,
                    first_response_ms_sum, messages, ratings, rating_sum, ratings_good,
                    rating_counts, user_messages_by_hour
             FROM day_stats WHERE label_id >= ?1 AND label_id <= ?2 AND day >= ?3 AND day <= ?4",
        )?;
        let mut rows = stmt.query(params![low, high, first, last])?;
        while let Some(r) = rows.next()? {
            let label: String = r.get(0)?;
            if every_label && label.is_empty() {
                continue;
            }
            let rating_counts: String = r.get(12)?;
            let hours: String = r.get(13)?;
            let figures = out.days.entry((label, r.get(1)?)).or_default();
            let t = &mut figures.totals;
            t.sessions = r.get(2)?;
            t.ended = r.get(3)?;
            t.duration_ms_sum = r.get(4)?;
            t.resolved = r.get(5)?;
            t.answered = r.get(6)?;
            t.first_response_ms_sum = r.get(7)?;
            t.messages = r.get(8)?;
            t.ratings = r.get(9)?;
            t.rating_sum = r.get(10)?;
            t.ratings_good = r.get(11)?;
            figures.rating_counts = serde_json::from_str(&rating_counts).unwrap_or_default();
            figures.user_messages_by_hour = serde_json::from_str(&hours).unwrap_or([0; 24]);
        }
    }
    let mut stmt = conn.prepare_cached(
        "SELECT label_id, day, agent_id, chats_handled, messages_sent, chats_ended,
                first_responses, first_response_ms_sum, ratings, rating_sum, ratings_good
         FROM agent_day_stats WHERE label_id >= ?1 AND label_id <= ?2 AND day >= ?3 AND day <= ?4",
    )?;
    let mut rows = stmt.query(params![low, high, first, last])?;
    while let Some(r) = rows.next()? {
        let label: String = r.get(0)?;
        if every_label && label.is_empty() {
            continue;
        }
        out.agents.insert(
            (label, r.get(1)?, r.get(2)?),
            AgentWork {
                chats_handled: r.get(3)?,
                messages_sent: r.get(4)?,
                chats_ended: r.get(5)?,
                first_responses: r.get(6)?,
                first_response_ms_sum: r.get(7)?,
                ratings: r.get(8)?,
                rating_sum: r.get(9)?,
                ratings_good: r.get(10)?,
            },
        );
    }
    Ok(out)
}

/// Adds `sign` times the figures of `counted` (filed under `key`s of their own) to the
/// written rows under `as_key` (or their own keys when `None`), creating rows as needed.
fn add(conn: &Connection, counted: &Counted, as_key: Option<&str>, sign: i64) -> Result<()> {
    for ((key, day), figures) in &counted.days {
        let key = as_key.unwrap_or(key);
        let mut sum = stored_day(conn, key, day)?.unwrap_or_default();
        sum.add_scaled(figures, sign);
        let t = &sum.totals;
        conn.prepare_cached(
            "INSERT OR REPLACE INTO day_stats (label_id, day, sessions, ended, duration_ms_sum,
                 resolved, answered, first_response_ms_sum, messages, ratings, rating_sum,
                 ratings_good, rating_counts, user_messages_by_hour)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        )?
        .execute(params![
            key,
            day,
            t.sessions,
            t.ended,
            t.duration_ms_sum,
            t.resolved,
            t.answered,
            t.first_response_ms_sum,
            t.messages,
            t.ratings,
            t.rating_sum,
            t.ratings_good,
            serde_json::to_string(&sum.rating_counts).expect("numbers serialize"),
            serde_json::to_string(&sum.user_messages_by_hour.to_vec()).expect("numbers serialize"),
        ])?;
    }
    for ((key, day, agent), work) in &counted.agents {
        let key = as_key.unwrap_or(key);
        let mut sum: AgentWork = conn
            .prepare_cached(
                "SELECT chats_handled, messages_sent, chats_ended, first_responses,
                        first_response_ms_sum, ratings, rating_sum, ratings_good
                 FROM agent_day_stats WHERE label_id = ?1 AND day = ?2 AND agent_id = ?3",
            )?
            .query_row(params![key, day, agent], |r| {
                Ok(AgentWork {
                    chats_handled: r.get(0)?,
                    messages_sent: r.get(1)?,
                    chats_ended: r.get(2)?,
                    first_responses: r.get(3)?,
                    first_response_ms_sum: r.get(4)?,
                    ratings: r.get(5)?,
                    rating_sum: r.get(6)?,
                    ratings_good: r.get(7)?,
                })
            })
            .or_else(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => Ok(AgentWork::default()),
                e => Err(e),
            })?;
        sum.add_scaled(work, sign);
        conn.prepare_cached(
            "INSERT OR REPLACE INTO agent_day_stats (label_id, day, agent_id, chats_handled,
                 messages_sent, chats_ended, first_responses, first_response_ms_sum, ratings,
                 rating_sum, ratings_good)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )?
        .execute(params![
            key,
            day,
            agent,
            sum.chats_handled,
            sum.messages_sent,
            sum.chats_ended,
            sum.first_responses,
            sum.first_response_ms_sum,
            sum.ratings,
            sum.rating_sum,
            sum.ratings_good,
        ])?;
    }
    Ok(())
}

fn stored_day(conn: &Connection, key: &str, day: &str) -> Result<Option<DayFigures>> {
    let day_date = NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap_or(NaiveDate::MIN);
    Ok(read(conn, Some(key), day_date, day_date)?
        .days
        .into_values()
        .next())
}

/// Whether no chat started on `day` is still going on: only then are its figures final.
fn is_settled(conn: &Connection, day: NaiveDate) -> Result<bool> {
    let going_on: Option<i64> = conn
        .prepare_cached(
            "SELECT 1 FROM sessions INDEXED BY sessions_active
             WHERE status = 'active' AND created_at >= ?1 AND created_at < ?2 LIMIT 1",
        )?
        .query_row(params![start_of(day), start_of(day + Days::new(1))], |r| {
            r.get(0)
        })
        .or_else(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Ok(None),
            e => Err(e),
        })?;
    Ok(going_on.is_none())
}

/// Writes the figures of `day` (every chat, and each label's chats) if they are not written
/// yet and the day is settled; true when it wrote them.
pub fn write_day(conn: &Connection, day: NaiveDate) -> Result<bool> {
    if !written_days(conn, day, day)?.is_empty() || !is_settled(conn, day)? {
        return Ok(false);
    }
    let (from, to) = (start_of(day), start_of(day + Days::new(1)));
    let mut all = count(conn, Chats::All, from, to)?;
    // The row of every chat marks the day as written, even when nothing happened on it.
    all.days.entry((ALL.to_string(), text(day))).or_default();
    add(conn, &all, None, 1)?;
    add(conn, &count(conn, Chats::EveryLabel, from, to)?, None, 1)?;
    Ok(true)
}

/// Moves one chat's share of the written days into (`sign` 1) or out of (-1) the figures of
/// `label_id`: a chat labelled after its days were written counts under the label like any.
pub fn shift_chat(conn: &Connection, session_id: &str, label_id: &str, sign: i64) -> Result<()> {
    let mut share = count(conn, Chats::One(session_id), Timestamp(0), Timestamp(0))?;
    let days: Vec<&String> = share
        .days
        .keys()
        .map(|(_, d)| d)
        .chain(share.agents.keys().map(|(_, d, _)| d))
        .collect();
    let (Some(first), Some(last)) = (days.iter().min(), days.iter().max()) else {
        return Ok(());
    };
    let parse = |d: &str| NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap_or(NaiveDate::MIN);
    let written = written_days(conn, parse(first), parse(last))?;
    share.days.retain(|(_, day), _| written.contains(day));
    share.agents.retain(|(_, day, _), _| written.contains(day));
    add(conn, &share, Some(label_id), sign)
}

/// The days before `today` not written yet, oldest first, at most `limit`: from the first
/// day anything was stored. Days with a chat still going on are among them and are skipped
/// by [`write_day`] until it ends.
pub fn days_to_write(conn: &Connection, today: NaiveDate, limit: usize) -> Result<Vec<NaiveDate>> {
    let first: Option<i64> =
        conn.query_row("SELECT MIN(created_at) FROM sessions", [], |r| r.get(0))?;
    let Some(first) = first else {
        return Ok(Vec::new());
    };
    let Some(yesterday) = today.pred_opt() else {
        return Ok(Vec::new());
    };
    let first = day_of(Timestamp(first));
    if first > yesterday {
        return Ok(Vec::new());
    }
    let written = written_days(conn, first, yesterday)?;
    Ok(first
        .iter_days()
        .take_while(|d| *d <= yesterday)
        .filter(|d| !written.contains(&text(*d)))
        .take(limit)
        .collect())
}
