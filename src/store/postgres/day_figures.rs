//! Counting chats into per-day figures: the one place that defines, in SQL, what each figure
//! of docs/metrics.md counts. A window of time is counted for every chat, for one label's
//! chats or for each label at once; one chat is counted whole (its share of every day).

use std::collections::BTreeMap;

use deadpool_postgres::GenericClient;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use super::db;
use crate::domain::Timestamp;
use crate::domain::analytics::{AgentWork, DayFigures};
use crate::error::Result;

/// Which chats are counted, and under which key their figures are filed.
#[derive(Clone, Copy, Debug)]
pub enum Chats<'a> {
    /// Every chat, under the key ''.
    All,
    /// The chats carrying this label, under its id.
    Label(&'a str),
    /// Every labelled chat, under each of its labels.
    EveryLabel,
    /// One chat, whatever the window, under the key ''.
    One(&'a str),
}

/// (key, day): a day's figures for every chat ('') or one label.
pub type DayKey = (String, String);
/// (key, day, agent id).
pub type AgentKey = (String, String, String);

#[derive(Debug, Default)]
pub struct Counted {
    pub days: BTreeMap<DayKey, DayFigures>,
    pub agents: BTreeMap<AgentKey, AgentWork>,
}

/// How a query is narrowed to the chats: the join, the key and the condition, for the time
/// column `time` (whose UTC day is `day`) and the chat-id column `chat`.
struct Narrow {
    join: String,
    key: &'static str,
    day: String,
    condition: String,
    params: Vec<Box<dyn ToSql + Sync + Send>>,
}

impl Narrow {
    /// `SELECT key, day, <columns> FROM <table> <join> WHERE <filter> <condition>`, grouped by
    /// the key, the day and `more` leading columns besides.
    fn select(&self, columns: &str, table: &str, filter: &str, more: usize) -> String {
        let groups: Vec<String> = (1..=2 + more).map(|i| i.to_string()).collect();
        format!(
            "SELECT {key}, {day}, {columns} FROM {table} {join} WHERE {filter} {condition}
             GROUP BY {groups}",
            key = self.key,
            day = self.day,
            join = self.join,
            condition = self.condition,
            groups = groups.join(", "),
        )
    }

    /// Each row `sql` (whose first two columns are the key and the day) answers, with its key.
    async fn rows(&self, c: &impl GenericClient, sql: &str) -> Result<Vec<(DayKey, Row)>> {
        let params: Vec<&(dyn ToSql + Sync)> = self
            .params
            .iter()
            .map(|p| p.as_ref() as &(dyn ToSql + Sync))
            .collect();
        db::rows(c, sql, &params)
            .await?
            .into_iter()
            .map(|r| Ok(((r.try_get(0)?, r.try_get(1)?), r)))
            .collect()
    }
}

impl Chats<'_> {
    fn narrow(&self, chat: &str, time: &str, from: Timestamp, to: Timestamp) -> Narrow {
        let labels = format!("JOIN chat_labels cl ON cl.session_id = {chat}");
        let window = format!("{time} >= $1 AND {time} < $2");
        let span = || -> Vec<Box<dyn ToSql + Sync + Send>> { vec![Box::new(from), Box::new(to)] };
        // The key of every chat is typed: an untyped '' cannot be grouped.
        let (join, key, condition, params) = match self {
            Chats::All => (String::new(), "''::TEXT", window, span()),
            Chats::Label(id) => {
                let mut params = span();
                params.push(Box::new(id.to_string()));
                (
                    labels,
                    "cl.label_id",
                    format!("{window} AND cl.label_id = $3"),
                    params,
                )
            }
            Chats::EveryLabel => (labels, "cl.label_id", window, span()),
            Chats::One(id) => (
                String::new(),
                "''::TEXT",
                format!("{chat} = $1"),
                vec![Box::new(id.to_string()) as Box<dyn ToSql + Sync + Send>],
            ),
        };
        Narrow {
            join,
            key,
            day: day_of(time),
            condition,
            params,
        }
    }
}

/// The UTC day of the millisecond time `time` (SQL), as 'YYYY-MM-DD'. The milliseconds are
/// divided as integers (towards zero), as the SQLite engine's `date(time / 1000,
/// 'unixepoch')` does, so both engines file every instant under the same day.
fn day_of(time: &str) -> String {
    format!("to_char(to_timestamp({time} / 1000) AT TIME ZONE 'UTC', 'YYYY-MM-DD')")
}

/// The UTC hour (0-23) of the millisecond time `time` (SQL), divided as [`day_of`] does.
fn hour_of(time: &str) -> String {
    format!("EXTRACT(HOUR FROM to_timestamp({time} / 1000) AT TIME ZONE 'UTC')::BIGINT")
}

/// Counts `chats` in `[from, to)` (ignored for [`Chats::One`]).
pub(crate) async fn count(
    c: &impl GenericClient,
    chats: Chats<'_>,
    from: Timestamp,
    to: Timestamp,
) -> Result<Counted> {
    let mut out = Counted::default();
    count_sessions(c, chats, from, to, &mut out).await?;
    count_messages(c, chats, from, to, &mut out).await?;
    count_ratings(c, chats, from, to, &mut out).await?;
    count_agent_work(c, chats, from, to, &mut out).await?;
    Ok(out)
}

/// Sessions by the day they started: how many, ended, resolved, answered, and the sums.
async fn count_sessions(
    c: &impl GenericClient,
    chats: Chats<'_>,
    from: Timestamp,
    to: Timestamp,
    out: &mut Counted,
) -> Result<()> {
    let n = chats.narrow("s.id", "s.created_at", from, to);
    let sql = n.select(
        "COUNT(*), COUNT(*) FILTER (WHERE s.status <> 'active'),
         COALESCE(SUM(CASE WHEN s.ended_at IS NOT NULL THEN s.ended_at - s.created_at END), 0)::BIGINT,
         COUNT(*) FILTER (WHERE s.status IN ('ended_by_user', 'ended_by_admin')
                            AND s.first_response_at IS NOT NULL),
         COUNT(s.first_response_at),
         COALESCE(SUM(s.first_response_at - s.first_user_message_at), 0)::BIGINT",
        "sessions s",
        "",
        0,
    );
    for (key, r) in n.rows(c, &sql).await? {
        let t = &mut out.days.entry(key).or_default().totals;
        t.sessions += r.try_get::<_, i64>(2)?;
        t.ended += r.try_get::<_, i64>(3)?;
        t.duration_ms_sum += r.try_get::<_, i64>(4)?;
        t.resolved += r.try_get::<_, i64>(5)?;
        t.answered += r.try_get::<_, i64>(6)?;
        t.first_response_ms_sum += r.try_get::<_, i64>(7)?;
    }
    Ok(())
}

/// Adds `count` to `slots[index]`, when there is such a slot (an hour, a rating value).
fn add_at(slots: &mut [i64], index: i64, count: i64) {
    if let Some(slot) = usize::try_from(index).ok().and_then(|i| slots.get_mut(i)) {
        *slot += count;
    }
}

/// Messages by the day they were sent: user and agent messages, and user messages by hour.
async fn count_messages(
    c: &impl GenericClient,
    chats: Chats<'_>,
    from: Timestamp,
    to: Timestamp,
    out: &mut Counted,
) -> Result<()> {
    let n = chats.narrow("m.session_id", "m.created_at", from, to);
    let sql = n.select(
        &format!(
            "{hour}, COUNT(*) FILTER (WHERE m.sender <> 'system'),
             COUNT(*) FILTER (WHERE m.sender = 'user')",
            hour = hour_of("m.created_at"),
        ),
        "messages m",
        "",
        1,
    );
    for (key, r) in n.rows(c, &sql).await? {
        let day = out.days.entry(key).or_default();
        day.totals.messages += r.try_get::<_, i64>(3)?;
        add_at(&mut day.user_messages_by_hour, r.try_get(2)?, r.try_get(4)?);
    }
    Ok(())
}

/// Ratings by the day they were given, by value.
async fn count_ratings(
    c: &impl GenericClient,
    chats: Chats<'_>,
    from: Timestamp,
    to: Timestamp,
    out: &mut Counted,
) -> Result<()> {
    let n = chats.narrow("r.session_id", "r.created_at", from, to);
    let sql = n.select("r.rating, COUNT(*)", "ratings r", "", 1);
    for (key, r) in n.rows(c, &sql).await? {
        let day = out.days.entry(key).or_default();
        let (rating, count): (i64, i64) = (r.try_get(2)?, r.try_get(3)?);
        day.totals.ratings += count;
        day.totals.rating_sum += rating * count;
        if rating >= 4 {
            day.totals.ratings_good += count;
        }
        add_at(&mut day.rating_counts, rating - 1, count);
    }
    Ok(())
}

type AddWork = fn(&mut AgentWork, &Row) -> Result<()>;

/// Each agent's messages and chats, ended chats, first responses and the ratings of chats
/// they replied in.
async fn count_agent_work(
    c: &impl GenericClient,
    chats: Chats<'_>,
    from: Timestamp,
    to: Timestamp,
    out: &mut Counted,
) -> Result<()> {
    let mut queries: Vec<(Narrow, String, AddWork)> = Vec::new();
    let n = chats.narrow("m.session_id", "m.created_at", from, to);
    let sql = n.select(
        "m.agent_id, COUNT(DISTINCT m.session_id), COUNT(*)",
        "messages m",
        "m.agent_id IS NOT NULL AND",
        1,
    );
    queries.push((n, sql, |w, r| {
        w.chats_handled += r.try_get::<_, i64>(3)?;
        w.messages_sent += r.try_get::<_, i64>(4)?;
        Ok(())
    }));
    let n = chats.narrow("s.id", "s.ended_at", from, to);
    let sql = n.select(
        "s.ended_by_agent_id, COUNT(*)",
        "sessions s",
        "s.status <> 'active' AND s.ended_by_agent_id IS NOT NULL AND",
        1,
    );
    queries.push((n, sql, |w, r| {
        w.chats_ended += r.try_get::<_, i64>(3)?;
        Ok(())
    }));
    let n = chats.narrow("s.id", "s.created_at", from, to);
    let sql = n.select(
        "s.first_responder_id, COUNT(*),
         COALESCE(SUM(s.first_response_at - s.first_user_message_at), 0)::BIGINT",
        "sessions s",
        "s.first_responder_id IS NOT NULL AND",
        1,
    );
    queries.push((n, sql, |w, r| {
        w.first_responses += r.try_get::<_, i64>(3)?;
        w.first_response_ms_sum += r.try_get::<_, i64>(4)?;
        Ok(())
    }));
    // A rating counts once for every agent who replied in its chat: the distinct pairs are
    // taken first, so the outer query groups them like the others.
    let n = chats.narrow("r.session_id", "r.created_at", from, to);
    let sql = format!(
        "SELECT k, {day}, agent_id, COUNT(*), SUM(rating)::BIGINT,
                COUNT(*) FILTER (WHERE rating >= 4) FROM (
             SELECT DISTINCT {key} AS k, r.id, r.created_at, r.rating, m.agent_id
             FROM ratings r {join} JOIN messages m ON m.session_id = r.session_id
             WHERE m.agent_id IS NOT NULL AND {condition}) AS pairs
         GROUP BY 1, 2, 3",
        key = n.key,
        day = day_of("created_at"),
        join = n.join,
        condition = n.condition,
    );
    queries.push((n, sql, |w, r| {
        w.ratings += r.try_get::<_, i64>(3)?;
        w.rating_sum += r.try_get::<_, i64>(4)?;
        w.ratings_good += r.try_get::<_, i64>(5)?;
        Ok(())
    }));
    // Each query's third column is the agent.
    for (n, sql, add) in &queries {
        for ((key, day), r) in n.rows(c, sql).await? {
            let agent: String = r.try_get(2)?;
            add(out.agents.entry((key, day, agent)).or_default(), &r)?;
        }
    }
    Ok(())
}
