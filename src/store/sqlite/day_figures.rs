//! Counting chats into per-day figures: the one place that defines, in SQL, what each figure
//! of docs/metrics.md counts. A window of time is counted for every chat, for one label's
//! chats or for each label at once; one chat is counted whole (its share of every day).

use std::collections::BTreeMap;

use rusqlite::types::Value;
use rusqlite::{Connection, params_from_iter};

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
    params: Vec<Value>,
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
}

impl Chats<'_> {
    fn narrow(&self, chat: &str, time: &str, from: Timestamp, to: Timestamp) -> Narrow {
        let labels = format!("JOIN chat_labels cl ON cl.session_id = {chat}");
        let window = format!("{time} >= ?1 AND {time} < ?2");
        let span = vec![Value::Integer(from.0), Value::Integer(to.0)];
        let (join, key, condition, params) = match self {
            Chats::All => (String::new(), "''", window, span),
            Chats::Label(id) => (
                labels,
                "cl.label_id",
                format!("{window} AND cl.label_id = ?3"),
                [span, vec![Value::Text(id.to_string())]].concat(),
            ),
            Chats::EveryLabel => (labels, "cl.label_id", window, span),
            Chats::One(id) => (
                String::new(),
                "''",
                format!("{chat} = ?1"),
                vec![Value::Text(id.to_string())],
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

fn day_of(time: &str) -> String {
    format!("date({time} / 1000, 'unixepoch')")
}

/// Runs `sql` (whose first two columns are the key and the day) for each row.
fn each_row(
    conn: &Connection,
    sql: &str,
    params: &[Value],
    mut f: impl FnMut(DayKey, &rusqlite::Row<'_>) -> rusqlite::Result<()>,
) -> Result<()> {
    let mut stmt = conn.prepare_cached(sql)?;
    let mut rows = stmt.query(params_from_iter(params))?;
    while let Some(r) = rows.next()? {
        f((r.get(0)?, r.get(1)?), r)?;
    }
    Ok(())
}

/// Counts `chats` in `[from, to)` (ignored for [`Chats::One`]).
pub fn count(
    conn: &Connection,
    chats: Chats<'_>,
    from: Timestamp,
    to: Timestamp,
) -> Result<Counted> {
    let mut out = Counted::default();
    count_sessions(conn, chats, from, to, &mut out)?;
    count_messages(conn, chats, from, to, &mut out)?;
    count_ratings(conn, chats, from, to, &mut out)?;
    count_agent_work(conn, chats, from, to, &mut out)?;
    Ok(out)
}

/// Sessions by the day they started: how many, ended, resolved, answered, and the sums.
fn count_sessions(
    conn: &Connection,
    chats: Chats<'_>,
    from: Timestamp,
    to: Timestamp,
    out: &mut Counted,
) -> Result<()> {
    let n = chats.narrow("s.id", "s.created_at", from, to);
    let sql = n.select(
        "COUNT(*), SUM(s.status <> 'active'),
         COALESCE(SUM(CASE WHEN s.ended_at IS NOT NULL THEN s.ended_at - s.created_at END), 0),
         SUM(s.status IN ('ended_by_user', 'ended_by_admin') AND s.first_response_at IS NOT NULL),
         SUM(s.first_response_at IS NOT NULL),
         COALESCE(SUM(s.first_response_at - s.first_user_message_at), 0)",
        "sessions s",
        "",
        0,
    );
    each_row(conn, &sql, &n.params, |key, r| {
        let t = &mut out.days.entry(key).or_default().totals;
        t.sessions += r.get::<_, i64>(2)?;
        t.ended += r.get::<_, i64>(3)?;
        t.duration_ms_sum += r.get::<_, i64>(4)?;
        t.resolved += r.get::<_, i64>(5)?;
        t.answered += r.get::<_, i64>(6)?;
        t.first_response_ms_sum += r.get::<_, i64>(7)?;
        Ok(())
    })
}

/// Adds `count` to `slots[index]`, when there is such a slot (an hour, a rating value).
fn add_at(slots: &mut [i64], index: i64, count: i64) {
    if let Some(slot) = usize::try_from(index).ok().and_then(|i| slots.get_mut(i)) {
        *slot += count;
    }
}

/// Messages by the day they were sent: user and agent messages, and user messages by hour.
fn count_messages(
    conn: &Connection,
    chats: Chats<'_>,
    from: Timestamp,
    to: Timestamp,
    out: &mut Counted,
) -> Result<()> {
    let n = chats.narrow("m.session_id", "m.created_at", from, to);
    let sql = n.select(
        "CAST(strftime('%H', m.created_at / 1000, 'unixepoch') AS INTEGER),
         SUM(m.sender <> 'system'), SUM(m.sender = 'user')",
        "messages m",
        "",
        1,
    );
    each_row(conn, &sql, &n.params, |key, r| {
        let day = out.days.entry(key).or_default();
        day.totals.messages += r.get::<_, i64>(3)?;
        add_at(&mut day.user_messages_by_hour, r.get(2)?, r.get(4)?);
        Ok(())
    })
}

/// Ratings by the day they were given, by value.
fn count_ratings(
    conn: &Connection,
    chats: Chats<'_>,
    from: Timestamp,
    to: Timestamp,
    out: &mut Counted,
) -> Result<()> {
    let n = chats.narrow("r.session_id", "r.created_at", from, to);
    let sql = n.select("r.rating, COUNT(*)", "ratings r", "", 1);
    each_row(conn, &sql, &n.params, |key, r| {
        let day = out.days.entry(key).or_default();
        let (rating, count): (i64, i64) = (r.get(2)?, r.get(3)?);
        day.totals.ratings += count;
        day.totals.rating_sum += rating * count;
        if rating >= 4 {
            day.totals.ratings_good += count;
        }
        add_at(&mut day.rating_counts, rating - 1, count);
        Ok(())
    })
}

type AddWork = dyn Fn(&mut AgentWork, &rusqlite::Row<'_>) -> rusqlite::Result<()>;

/// Each agent's messages and chats, ended chats, first responses and the ratings of chats
/// they replied in.
fn count_agent_work(
    conn: &Connection,
    chats: Chats<'_>,
    from: Timestamp,
    to: Timestamp,
    out: &mut Counted,
) -> Result<()> {
    // Each query's third column is the agent.
    let mut work = |sql: String, n: &Narrow, add: &AddWork| {
        each_row(conn, &sql, &n.params, |(key, day), r| {
            let agent: String = r.get(2)?;
            add(out.agents.entry((key, day, agent)).or_default(), r)
        })
    };
    let n = chats.narrow("m.session_id", "m.created_at", from, to);
    let sql = n.select(
        "m.agent_id, COUNT(DISTINCT m.session_id), COUNT(*)",
        "messages m",
        "m.agent_id IS NOT NULL AND",
        1,
    );
    work(sql, &n, &|w, r| {
        w.chats_handled += r.get::<_, i64>(3)?;
        w.messages_sent += r.get::<_, i64>(4)?;
        Ok(())
    })?;
    let n = chats.narrow("s.id", "s.ended_at", from, to);
    let sql = n.select(
        "s.ended_by_agent_id, COUNT(*)",
        "sessions s",
        "s.status <> 'active' AND s.ended_by_agent_id IS NOT NULL AND",
        1,
    );
    work(sql, &n, &|w, r| {
        w.chats_ended += r.get::<_, i64>(3)?;
        Ok(())
    })?;
    let n = chats.narrow("s.id", "s.created_at", from, to);
    let sql = n.select(
        "s.first_responder_id, COUNT(*),
         COALESCE(SUM(s.first_response_at - s.first_user_message_at), 0)",
        "sessions s",
        "s.first_responder_id IS NOT NULL AND",
        1,
    );
    work(sql, &n, &|w, r| {
        w.first_responses += r.get::<_, i64>(3)?;
        w.first_response_ms_sum += r.get::<_, i64>(4)?;
        Ok(())
    })?;
    // A rating counts once for every agent who replied in its chat: the distinct pairs are
    // taken first, so the outer query groups them like the others.
    let n = chats.narrow("r.session_id", "r.created_at", from, to);
    let sql = format!(
        "SELECT k, {day}, agent_id, COUNT(*), SUM(rating), SUM(rating >= 4) FROM (
             SELECT DISTINCT {key} AS k, r.id, r.created_at, r.rating, m.agent_id
             FROM ratings r {join} JOIN messages m ON m.session_id = r.session_id
             WHERE m.agent_id IS NOT NULL AND {condition})
         GROUP BY 1, 2, 3",
        key = n.key,
        day = day_of("created_at"),
        join = n.join,
        condition = n.condition,
    );
    work(sql, &n, &|w, r| {
        w.ratings += r.get::<_, i64>(3)?;
        w.rating_sum += r.get::<_, i64>(4)?;
        w.ratings_good += r.get::<_, i64>(5)?;
        Ok(())
    })
}
