//! [`SearchStore`] on SQLite's FTS5 (migration 11). Each source is asked for its newest
//! `offset + limit` hits by rowid alone (the index's own order: messages by `seq`, documents by
//! insertion), the lists are merged by time, and snippets are cut only for the page kept, so
//! a deep page does not highlight every hit it skips.

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params};

use super::{SqliteStore, messages};
use crate::domain::Timestamp;
use crate::domain::search::{HitSource, SearchFilters, StatusFilter, Term};
use crate::error::Result;
use crate::store::SearchStore;
use crate::store::search::{HitChat, SearchHit, SearchRequest};

#[async_trait]
impl SearchStore for SqliteStore {
    async fn search(&self, request: SearchRequest) -> Result<Vec<SearchHit>> {
        if request.terms.is_empty() || request.limit == 0 {
            return Ok(Vec::new());
        }
        // Messages reach the index behind their send: a search finds every one sent before it.
        self.catch_up_search_index().await?;
        self.read(move |c| search(c, &request)).await
    }
}

/// A hit before its snippet: which source, which row, when.
#[derive(Clone, Copy)]
struct Found {
    source: &'static Source,
    rowid: i64,
    at: Timestamp,
}

fn search(c: &Connection, request: &SearchRequest) -> Result<Vec<SearchHit>> {
    let mut terms = Vec::with_capacity(request.terms.len());
    for term in &request.terms {
        if has_words(c, term)? {
            terms.push(term.clone());
        }
    }
    if terms.is_empty() {
        return Ok(Vec::new());
    }
    let query = fts5_query(&terms);
    let wanted = request.offset.saturating_add(request.limit);
    let seqs = messages::seqs_stamped_between(c, request.filters.from, request.filters.until)?;
    let mut found = newest(c, &MESSAGES, &query, &request.filters, wanted, seqs)?;
    found.extend(newest(
        c,
        &DOCS,
        &query,
        &request.filters,
        wanted,
        ALL_ROWIDS,
    )?);
    // Stable: a source's own order stands among hits of the same time.
    found.sort_by_key(|f| std::cmp::Reverse(f.at.0));
    found
        .into_iter()
        .skip(request.offset)
        .take(request.limit)
        .map(|f| hit(c, &query, f))
        .filter_map(Result::transpose)
        .collect()
}

/// `terms` in FTS5's syntax: each one a quoted string (quotes doubled), so nothing typed is an
/// operator or a column name; a prefix gets FTS5's `*` after its closing quote.
fn fts5_query(terms: &[Term]) -> String {
    let quoted: Vec<String> = terms
        .iter()
        .map(|t| {
            let q = format!("\"{}\"", t.text().replace('"', "\"\""));
            match t {
                Term::Prefix(_) => q + "*",
                Term::Phrase(_) => q,
            }
        })
        .collect();
    quoted.join(" ")
}

/// Whether the tokenizer finds a word in `term`. A term can hold letters to Rust and still none
/// to FTS5 (a combining mark alone), and FTS5 refuses an empty phrase with a syntax error; the
/// only exact judge is FTS5 itself, asked about a row that cannot exist.
fn has_words(c: &Connection, term: &Term) -> Result<bool> {
    let probe = c
        .prepare_cached("SELECT 1 FROM doc_search WHERE doc_search MATCH ?1 AND rowid = -1")?
        .query_row([fts5_query(std::slice::from_ref(term))], |_| Ok(()))
        .optional();
    match probe {
        Ok(_) => Ok(true),
        Err(rusqlite::Error::SqliteFailure(_, Some(message)))
            if message.starts_with("fts5: syntax error") =>
        {
            Ok(false)
        }
        Err(e) => Err(e.into()),
    }
}

/// The filters every source applies to its chat (`s`), rating (`r`), hit time (`at`) and
/// the chat's labels.
const FILTERS: &str = "
    AND (?2 IS NULL OR at >= ?2) AND (?3 IS NULL OR at < ?3)
    AND (?4 IS NULL OR s.assigned_agent_id = ?4)
    AND (?5 IS NULL OR s.status = ?5
         OR (?5 = 'ended' AND s.status IN ('ended_by_user', 'ended_by_admin')))
    AND (?6 IS NULL OR r.rating = ?6)
    AND (?7 IS NULL OR s.channel = ?7)
    AND (?11 IS NULL OR EXISTS
         (SELECT 1 FROM chat_labels cl WHERE cl.label_id = ?11 AND cl.session_id = s.id))";

/// One FTS5 index and how its hits are read: `ids` lists matches (rowid, time) with the chat
/// (`s`) and rating (`r`) the filters look at; `hit` reads one match with its snippet and chat.
struct Source {
    /// The FTS5 table: its rowid order is newest first for free.
    table: &'static str,
    ids: &'static str,
    hit: &'static str,
}

/// The chat columns every hit carries after its own five (see [`hit`]).
macro_rules! chat_columns {
    () => {
        "s.user_name, s.user_email, s.status, s.channel, s.assigned_agent_id, r.rating, s.created_at"
    };
}

/// Message text, external content on `messages`.
static MESSAGES: Source = Source {
    table: "message_search",
    ids: "SELECT m.seq, m.created_at AS at
          FROM message_search
          JOIN messages m ON m.seq = message_search.rowid
          JOIN sessions s ON s.id = m.session_id
          LEFT JOIN ratings r ON r.session_id = m.session_id
          WHERE message_search MATCH ?1
            AND message_search.rowid >= ?9 AND message_search.rowid <= ?10",
    hit: concat!(
        "SELECT m.session_id, 'message', m.id, m.created_at,
                snippet(message_search, 0, char(2), char(3), '…', 16), ",
        chat_columns!(),
        " FROM message_search
          JOIN messages m ON m.seq = message_search.rowid
          JOIN sessions s ON s.id = m.session_id
          LEFT JOIN ratings r ON r.session_id = m.session_id
          WHERE message_search MATCH ?1 AND message_search.rowid = ?2"
    ),
};

/// Customers and notes, external content on `search_docs`.
static DOCS: Source = Source {
    table: "doc_search",
    ids: "SELECT d.id, d.created_at AS at
          FROM doc_search
          JOIN search_docs d ON d.id = doc_search.rowid
          JOIN sessions s ON s.id = d.session_id
          LEFT JOIN ratings r ON r.session_id = d.session_id
          WHERE doc_search MATCH ?1
            AND doc_search.rowid >= ?9 AND doc_search.rowid <= ?10",
    hit: concat!(
        "SELECT d.session_id, d.source, d.item_id, d.created_at,
                snippet(doc_search, 0, char(2), char(3), '…', 16), ",
        chat_columns!(),
        " FROM doc_search
          JOIN search_docs d ON d.id = doc_search.rowid
          JOIN sessions s ON s.id = d.session_id
          LEFT JOIN ratings r ON r.session_id = d.session_id
          WHERE doc_search MATCH ?1 AND doc_search.rowid = ?2"
    ),
};

/// Rowids from and to, inclusive.
type RowidRange = (i64, i64);
const ALL_ROWIDS: RowidRange = (i64::MIN, i64::MAX);

fn newest(
    c: &Connection,
    source: &'static Source,
    query: &str,
    f: &SearchFilters,
    limit: usize,
    rowids: RowidRange,
) -> Result<Vec<Found>> {
    // The rowid bounds are plain comparisons in `ids` (no `IS NULL OR`), so FTS5 sees them and
    // seeks, and ordering by the FTS table's own rowid needs no sort.
    let sql = format!(
        "{} {FILTERS} ORDER BY {}.rowid DESC LIMIT ?8",
        source.ids, source.table
    );
    let status = f.status.map(|s| match s {
        StatusFilter::Active => "active",
        StatusFilter::Ended => "ended",
        StatusFilter::Expired => "expired",
    });
    let mut stmt = c.prepare_cached(&sql)?;
    let rows = stmt.query_map(
        params![
            query,
            f.from,
            f.until,
            f.agent_id,
            status,
            f.rating,
            f.channel,
            i64::try_from(limit).unwrap_or(i64::MAX),
            rowids.0,
            rowids.1,
            f.label_id,
        ],
        |r| {
            Ok(Found {
                source,
                rowid: r.get(0)?,
                at: r.get(1)?,
            })
        },
    )?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The hit `f` with its snippet; none if its row went away since it was found.
fn hit(c: &Connection, query: &str, f: Found) -> Result<Option<SearchHit>> {
    let hit = c
        .prepare_cached(f.source.hit)?
        .query_row(params![query, f.rowid], |r| {
            let source: String = r.get(1)?;
            Ok(SearchHit {
                session_id: r.get(0)?,
                source: match source.as_str() {
                    "message" => HitSource::Message,
                    "note" => HitSource::Note,
                    _ => HitSource::Customer,
                },
                item_id: r.get(2)?,
                created_at: r.get(3)?,
                snippet: r.get(4)?,
                chat: HitChat {
                    user_name: r.get(5)?,
                    user_email: r.get(6)?,
                    status: r.get(7)?,
                    channel: r.get(8)?,
                    assigned_agent_id: r.get(9)?,
                    rating: r.get(10)?,
                    created_at: r.get(11)?,
                },
            })
        })
        .optional()?;
    Ok(hit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::search::{MATCH_END, MATCH_START, parse_terms};

    /// A migrated database with one chat by Zoë and one message.
    fn seeded() -> Connection {
        let c = super::super::migrate::in_memory();
        c.execute_batch(
            "INSERT INTO sessions (id, user_id, user_name, user_email, created_at, last_activity_at)
                 VALUES ('s1', 'u1', 'Zoë Ünal', 'zoe@example.com', 1, 1);
             INSERT INTO messages (id, session_id, sender, body, created_at)
                 VALUES ('m1', 's1', 'user', 'Where is my café refund?', 2);",
        )
        .unwrap();
        // What the writer does between batches (search_index.rs).
        assert_eq!(
            super::super::search_index::index_waiting(&c, 10).unwrap(),
            1
        );
        c
    }

    fn find(c: &Connection, q: &str) -> Vec<SearchHit> {
        search(
            c,
            &SearchRequest {
                terms: parse_terms(q),
                filters: SearchFilters::default(),
                offset: 0,
                limit: 10,
            },
        )
        .unwrap()
    }

    #[test]
    fn words_the_tokenizer_drops_match_nothing_and_fail_nothing() {
        let c = seeded();
        // Letters to Rust but no token to FTS5: a combining mark alone, an emoji beside one.
        for q in ["\u{0903}", "\u{0301}", "😀\u{0301}", "\u{200d}"] {
            assert!(find(&c, q).is_empty(), "{q:?}");
        }
    }

    #[test]
    fn a_message_and_its_customer_are_found_with_marks() {
        let c = seeded();
        let hits = find(&c, "cafe refu*");
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].source, HitSource::Message);
        assert!(
            hits[0]
                .snippet
                .contains(&format!("{MATCH_START}café{MATCH_END}")),
            "{}",
            hits[0].snippet
        );
        let hits = find(&c, "zoe@example.com");
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].source, HitSource::Customer);
        assert_eq!(hits[0].item_id, None);
    }

    #[test]
    fn every_term_is_a_quoted_string() {
        assert_eq!(
            fts5_query(&parse_terms(r#"AND refu* "late parcel" NEAR( col:x"#)),
            r#""AND" "refu"* "late parcel" "NEAR(" "col:x""#
        );
    }
}
