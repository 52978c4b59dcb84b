//! The `day_stats` and `agent_day_stats` tables: the figures of finished days, written once a
//! day can no longer change, kept when retention deletes the chats they came from, and read
//! by analytics instead of counting a year of rows.

use std::collections::BTreeSet;

use chrono::{Days, NaiveDate, NaiveTime};
use deadpool_postgres::GenericClient;

use super::day_figures::{Chats, Counted, count};
use super::db;
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

fn parse(day: &str) -> NaiveDate {
    NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap_or(NaiveDate::MIN)
}

/// The days in `[first, last]` whose figures are written.
pub(crate) async fn written_days(
    c: &impl GenericClient,
    first: NaiveDate,
    last: NaiveDate,
) -> Result<BTreeSet<String>> {
    db::rows(
        c,
        "SELECT day FROM day_stats WHERE label_id = '' AND day >= $1 AND day <= $2",
        &[&text(first), &text(last)],
    )
    .await?
    .iter()
    .map(|r| Ok(r.try_get(0)?))
    .collect()
}

/// The written figures of `[first, last]` under `key`, or under every label when `key` is
/// `None`.
pub(crate) async fn read(
    c: &impl GenericClient,
    key: Option<&str>,
    first: NaiveDate,
    last: NaiveDate,
) -> Result<Counted> {
    let mut out = Counted::default();
    let (first, last) = (text(first), text(last));
    // No key: every label, which is every key but the one of every chat ('').
    let keys = "($1::TEXT IS NULL AND label_id <> '' OR label_id = $1)";
    for r in db::rows(
        c,
        &format!(
            "SELECT label_id, day, sessions, ended, duration_ms_sum, resolved, answered,
                    first_response_ms_sum, messages, ratings, rating_sum, ratings_good,
                    rating_counts, user_messages_by_hour
             FROM day_stats WHERE {keys} AND day >= $2 AND day <= $3"
        ),
        &[&key, &first, &last],
    )
    .await?
    {
        let rating_counts: String = r.try_get(12)?;
        let hours: String = r.try_get(13)?;
        let figures = out.days.entry((r.try_get(0)?, r.try_get(1)?)).or_default();
        let t = &mut figures.totals;
        t.sessions = r.try_get(2)?;
        t.ended = r.try_get(3)?;
        t.duration_ms_sum = r.try_get(4)?;
        t.resolved = r.try_get(5)?;
        t.answered = r.try_get(6)?;
        t.first_response_ms_sum = r.try_get(7)?;
        t.messages = r.try_get(8)?;
        t.ratings = r.try_get(9)?;
        t.rating_sum = r.try_get(10)?;
        t.ratings_good = r.try_get(11)?;
        figures.rating_counts = serde_json::from_str(&rating_counts).unwrap_or_default();
        figures.user_messages_by_hour = serde_json::from_str(&hours).unwrap_or([0; 24]);
    }
    for r in db::rows(
        c,
        &format!(
            "SELECT label_id, day, agent_id, chats_handled, messages_sent, chats_ended,
                    first_responses, first_response_ms_sum, ratings, rating_sum, ratings_good
             FROM agent_day_stats WHERE {keys} AND day >= $2 AND day <= $3"
        ),
        &[&key, &first, &last],
    )
    .await?
    {
        out.agents.insert(
            (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?),
            AgentWork {
                chats_handled: r.try_get(3)?,
                messages_sent: r.try_get(4)?,
                chats_ended: r.try_get(5)?,
                first_responses: r.try_get(6)?,
                first_response_ms_sum: r.try_get(7)?,
                ratings: r.try_get(8)?,
                rating_sum: r.try_get(9)?,
                ratings_good: r.try_get(10)?,
            },
        );
    }
    Ok(out)
}

/// Adds `sign` times the figures of `counted` (filed under `key`s of their own) to the
/// written rows under `as_key` (or their own keys when `None`), creating rows as needed.
async fn add(
    c: &impl GenericClient,
    counted: &Counted,
    as_key: Option<&str>,
    sign: i64,
) -> Result<()> {
    for ((key, day), figures) in &counted.days {
        let key = as_key.unwrap_or(key);
        let mut sum = stored_day(c, key, day).await?.unwrap_or_default();
        sum.add_scaled(figures, sign);
        let t = &sum.totals;
        db::exec(
            c,
            "INSERT INTO day_stats (label_id, day, sessions, ended, duration_ms_sum, resolved,
                 answered, first_response_ms_sum, messages, ratings, rating_sum, ratings_good,
                 rating_counts, user_messages_by_hour)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
             ON CONFLICT (label_id, day) DO UPDATE SET sessions = excluded.sessions,
                 ended = excluded.ended, duration_ms_sum = excluded.duration_ms_sum,
                 resolved = excluded.resolved, answered = excluded.answered,
                 first_response_ms_sum = excluded.first_response_ms_sum,
                 messages = excluded.messages, ratings = excluded.ratings,
                 rating_sum = excluded.rating_sum, ratings_good = excluded.ratings_good,
                 rating_counts = excluded.rating_counts,
                 user_messages_by_hour = excluded.user_messages_by_hour",
            &[
                &key,
                day,
                &t.sessions,
                &t.ended,
                &t.duration_ms_sum,
                &t.resolved,
                &t.answered,
                &t.first_response_ms_sum,
                &t.messages,
                &t.ratings,
                &t.rating_sum,
                &t.ratings_good,
                &serde_json::to_string(&sum.rating_counts).expect("numbers serialize"),
                &serde_json::to_string(&sum.user_messages_by_hour.to_vec())
                    .expect("numbers serialize"),
            ],
        )
        .await?;
    }
    for ((key, day, agent), work) in &counted.agents {
        let key = as_key.unwrap_or(key);
        let mut sum = stored_agent_day(c, key, day, agent)
            .await?
            .unwrap_or_default();
        sum.add_scaled(work, sign);
        db::exec(
            c,
            "INSERT INTO agent_day_stats (label_id, day, agent_id, chats_handled, messages_sent,
                 chats_ended, first_responses, first_response_ms_sum, ratings, rating_sum,
                 ratings_good)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
             ON CONFLICT (label_id, day, agent_id) DO UPDATE SET
                 chats_handled = excluded.chats_handled, messages_sent = excluded.messages_sent,
                 chats_ended = excluded.chats_ended, first_responses = excluded.first_responses,
                 first_response_ms_sum = excluded.first_response_ms_sum,
                 ratings = excluded.ratings, rating_sum = excluded.rating_sum,
                 ratings_good = excluded.ratings_good",
            &[
                &key,
                day,
                agent,
                &sum.chats_handled,
                &sum.messages_sent,
                &sum.chats_ended,
                &sum.first_responses,
                &sum.first_response_ms_sum,
                &sum.ratings,
                &sum.rating_sum,
                &sum.ratings_good,
            ],
        )
        .await?;
    }
    Ok(())
}

async fn stored_day(c: &impl GenericClient, key: &str, day: &str) -> Result<Option<DayFigures>> {
    let day = parse(day);
    Ok(read(c, Some(key), day, day)
        .await?
        .days
        .into_values()
        .next())
}

async fn stored_agent_day(
    c: &impl GenericClient,
    key: &str,
    day: &str,
    agent: &str,
) -> Result<Option<AgentWork>> {
    db::row_opt(
        c,
        "SELECT chats_handled, messages_sent, chats_ended, first_responses,
                first_response_ms_sum, ratings, rating_sum, ratings_good
         FROM agent_day_stats WHERE label_id = $1 AND day = $2 AND agent_id = $3",
        &[&key, &day, &agent],
    )
    .await?
    .map(|r| {
        Ok(AgentWork {
            chats_handled: r.try_get(0)?,
            messages_sent: r.try_get(1)?,
            chats_ended: r.try_get(2)?,
            first_responses: r.try_get(3)?,
            first_response_ms_sum: r.try_get(4)?,
            ratings: r.try_get(5)?,
            rating_sum: r.try_get(6)?,
            ratings_good: r.try_get(7)?,
        })
    })
    .transpose()
}

/// Whether no chat started on `day` is still going on: only then are its figures final.
async fn is_settled(c: &impl GenericClient, day: NaiveDate) -> Result<bool> {
    let going_on = db::row_opt(
        c,
        "SELECT 1 FROM sessions
         WHERE status = 'active' AND created_at >= $1 AND created_at < $2 LIMIT 1",
        &[&start_of(day), &start_of(day + Days::new(1))],
    )
    .await?;
    Ok(going_on.is_none())
}

/// Writes the figures of `day` (every chat, and each label's chats) if they are not written
/// yet and the day is settled; true when it wrote them. Replicas writing the same day at once
/// conflict in their SERIALIZABLE transactions: the one that runs again finds it written.
pub(crate) async fn write_day(c: &impl GenericClient, day: NaiveDate) -> Result<bool> {
    if !written_days(c, day, day).await?.is_empty() || !is_settled(c, day).await? {
        return Ok(false);
    }
    let (from, to) = (start_of(day), start_of(day + Days::new(1)));
    let mut all = count(c, Chats::All, from, to).await?;
    // The row of every chat marks the day as written, even when nothing happened on it.
    all.days.entry((ALL.to_string(), text(day))).or_default();
    add(c, &all, None, 1).await?;
    add(c, &count(c, Chats::EveryLabel, from, to).await?, None, 1).await?;
    Ok(true)
}

/// Moves one chat's share of the written days into (`sign` 1) or out of (-1) the figures of
/// `label_id`: a chat labelled after its days were written counts under the label like any.
pub(crate) async fn shift_chat(
    c: &impl GenericClient,
    session_id: &str,
    label_id: &str,
    sign: i64,
) -> Result<()> {
    let mut share = count(c, Chats::One(session_id), Timestamp(0), Timestamp(0)).await?;
    let days: Vec<&String> = share
        .days
        .keys()
        .map(|(_, d)| d)
        .chain(share.agents.keys().map(|(_, d, _)| d))
        .collect();
    let (Some(first), Some(last)) = (days.iter().min(), days.iter().max()) else {
        return Ok(());
    };
    let written = written_days(c, parse(first), parse(last)).await?;
    share.days.retain(|(_, day), _| written.contains(day));
    share.agents.retain(|(_, day, _), _| written.contains(day));
    add(c, &share, Some(label_id), sign).await
}

/// The days before `today` not written yet, oldest first, at most `limit`: from the first
/// day anything was stored. Days with a chat still going on are among them and are skipped
/// by [`write_day`] until it ends.
pub(crate) async fn days_to_write(
    c: &impl GenericClient,
    today: NaiveDate,
    limit: usize,
) -> Result<Vec<NaiveDate>> {
    let first: Option<Timestamp> = db::row(c, "SELECT MIN(created_at) FROM sessions", &[])
        .await?
        .try_get(0)?;
    let Some(first) = first else {
        return Ok(Vec::new());
    };
    let Some(yesterday) = today.pred_opt() else {
        return Ok(Vec::new());
    };
    let first = day_of(first);
    if first > yesterday {
        return Ok(Vec::new());
    }
    let written = written_days(c, first, yesterday).await?;
    Ok(first
        .iter_days()
        .take_while(|d| *d <= yesterday)
        .filter(|d| !written.contains(&text(*d)))
        .take(limit)
        .collect())
}
