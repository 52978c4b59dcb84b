//! [`SearchStore`] on PostgreSQL's full-text search: `messages.search_words` and
//! `search_docs.search_words` are `tsvector` columns PostgreSQL keeps itself, with GIN
//! indexes. As on SQLite, each source is asked for its newest `offset + limit` hits (messages
//! by `seq`, documents by id), the lists are merged by time, and snippets are cut only for
//! the page kept, so a deep page does not highlight every hit it skips.

use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

use super::search_query::{Lexeme, TermWords, tsquery};
use super::{PgStore, db, messages};
use crate::domain::Timestamp;
use crate::domain::search::{HitSource, MATCH_END, MATCH_START, SearchFilters, StatusFilter, Term};
use crate::error::Result;
use crate::store::SearchStore;
use crate::store::search::{HitChat, SearchHit, SearchRequest};

#[async_trait]
impl SearchStore for PgStore {
    async fn search(&self, request: SearchRequest) -> Result<Vec<SearchHit>> {
        if request.terms.is_empty() || request.limit == 0 {
            return Ok(Vec::new());
        }
        let c = self.reader().await?;
        search(&c, &request).await
    }
}

/// A hit before its snippet: which source, which row, when.
#[derive(Clone, Copy)]
struct Found {
    source: &'static Source,
    id: i64,
    at: Timestamp,
}

async fn search(c: &impl GenericClient, request: &SearchRequest) -> Result<Vec<SearchHit>> {
    let Some(query) = tsquery(&term_words(c, &request.terms).await?) else {
        return Ok(Vec::new());
    };
    let wanted = request.offset.saturating_add(request.limit);
    let seqs =
        messages::seqs_stamped_between(c, request.filters.from, request.filters.until).await?;
    let mut found = newest(c, &MESSAGES, &query, &request.filters, wanted, seqs).await?;
    found.extend(newest(c, &DOCS, &query, &request.filters, wanted, ALL_IDS).await?);
    // Stable: a source's own order stands among hits of the same time.
    found.sort_by_key(|f| std::cmp::Reverse(f.at.0));
    let mut hits = Vec::new();
    for f in found.into_iter().skip(request.offset).take(request.limit) {
        hits.extend(hit(c, &query, f).await?);
    }
    Ok(hits)
}

/// The words of each term as the index holds them: the term's text goes through the very
/// `frontdesk_words` that fills `search_words`, so each lexeme comes with the position a text
/// holding the term would give it. A term in which the parser finds no word has none.
async fn term_words(c: &impl GenericClient, terms: &[Term]) -> Result<Vec<TermWords>> {
    let texts: Vec<&str> = terms.iter().map(Term::text).collect();
    let rows = db::rows(
        c,
        "SELECT t.ord, w.lexeme, p.pos
         FROM unnest($1::TEXT[]) WITH ORDINALITY AS t(body, ord)
         CROSS JOIN LATERAL unnest(frontdesk_words(t.body)) AS w
         CROSS JOIN LATERAL unnest(w.positions) AS p(pos)
         ORDER BY t.ord, p.pos",
        &[&texts],
    )
    .await?;
    let mut words: Vec<TermWords> = terms.iter().map(TermWords::of).collect();
    for r in &rows {
        let ord: i64 = r.try_get(0)?;
        let term = usize::try_from(ord - 1).ok().and_then(|i| words.get_mut(i));
        if let Some(term) = term {
            term.lexemes.push(Lexeme {
                text: r.try_get(1)?,
                position: r.try_get(2)?,
            });
        }
    }
    Ok(words)
}

/// The filters every source applies to its chat (`s`), rating (`r`), hit time (`at`) and
/// the chat's labels.
fn filters(at: &str) -> String {
    format!(
        "AND ($2::BIGINT IS NULL OR {at} >= $2) AND ($3::BIGINT IS NULL OR {at} < $3)
         AND ($4::TEXT IS NULL OR s.assigned_agent_id = $4)
         AND ($5::TEXT IS NULL OR s.status = $5
              OR ($5 = 'ended' AND s.status IN ('ended_by_user', 'ended_by_admin')))
         AND ($6::BIGINT IS NULL OR r.rating = $6)
         AND ($7::TEXT IS NULL OR s.channel = $7)
         AND ($11::TEXT IS NULL OR EXISTS
              (SELECT 1 FROM chat_labels cl WHERE cl.label_id = $11 AND cl.session_id = s.id))"
    )
}

/// One searched table and how its hits are read: `ids` lists matches (id, time) with the chat
/// (`s`) and rating (`r`) the filters look at, `at` names the hit's time and `order` the id
/// (storage order, newest last); `hit` reads one match with its headline and chat.
struct Source {
    ids: &'static str,
    at: &'static str,
    order: &'static str,
    hit: &'static str,
}

/// The chat columns every hit carries after its own six (see [`hit`]).
macro_rules! chat_columns {
    () => {
        "s.user_name, s.user_email, s.status, s.channel, s.assigned_agent_id, r.rating, s.created_at"
    };
}

/// Message text.
static MESSAGES: Source = Source {
    ids: "SELECT m.seq, m.created_at
          FROM messages m
          JOIN sessions s ON s.id = m.session_id
          LEFT JOIN ratings r ON r.session_id = m.session_id
          WHERE m.search_words @@ $1::TEXT::tsquery AND m.seq >= $9 AND m.seq <= $10",
    at: "m.created_at",
    order: "m.seq",
    hit: concat!(
        "SELECT m.session_id, 'message'::TEXT, m.id, m.created_at,
                ts_headline('frontdesk_search', replace(m.body, '<', $4), $1::TEXT::tsquery, $3),
                m.body, ",
        chat_columns!(),
        " FROM messages m
          JOIN sessions s ON s.id = m.session_id
          LEFT JOIN ratings r ON r.session_id = m.session_id
          WHERE m.seq = $2 AND m.search_words @@ $1::TEXT::tsquery"
    ),
};

/// Customers and notes.
static DOCS: Source = Source {
    ids: "SELECT d.id, d.created_at
          FROM search_docs d
          JOIN sessions s ON s.id = d.session_id
          LEFT JOIN ratings r ON r.session_id = d.session_id
          WHERE d.search_words @@ $1::TEXT::tsquery AND d.id >= $9 AND d.id <= $10",
    at: "d.created_at",
    order: "d.id",
    hit: concat!(
        "SELECT d.session_id, d.source, d.item_id, d.created_at,
                ts_headline('frontdesk_search', replace(d.body, '<', $4), $1::TEXT::tsquery, $3),
                d.body, ",
        chat_columns!(),
        " FROM search_docs d
          JOIN sessions s ON s.id = d.session_id
          LEFT JOIN ratings r ON r.session_id = d.session_id
          WHERE d.id = $2 AND d.search_words @@ $1::TEXT::tsquery"
    ),
};

/// Ids from and to, inclusive.
type IdRange = (i64, i64);
const ALL_IDS: IdRange = (i64::MIN, i64::MAX);

async fn newest(
    c: &impl GenericClient,
    source: &'static Source,
    query: &str,
    f: &SearchFilters,
    limit: usize,
    ids: IdRange,
) -> Result<Vec<Found>> {
    let sql = format!(
        "{} {} ORDER BY {} DESC LIMIT $8",
        source.ids,
        filters(source.at),
        source.order
    );
    let status = f.status.map(|s| match s {
        StatusFilter::Active => "active",
        StatusFilter::Ended => "ended",
        StatusFilter::Expired => "expired",
    });
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    // Planned for this query's own words (not through the statement cache): a cached generic
    // plan cannot tell a rare word, best found through the GIN index, from a common one, best
    // found walking the ids newest first, and the wrong one reads the whole table.
    let rows = c
        .query(
            sql.as_str(),
            &[
                &query,
                &f.from,
                &f.until,
                &f.agent_id,
                &status,
                &f.rating,
                &f.channel,
                &limit,
                &ids.0,
                &ids.1,
                &f.label_id,
            ],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Found {
                source,
                id: r.try_get(0)?,
                at: r.try_get(1)?,
            })
        })
        .collect()
}

/// What `<` becomes while `ts_headline` reads a text: its parser takes `<b>` for markup and
/// leaves it out of the headline, where a stored message's text must show as written. A
/// private-use character no client sends in a search hit stands in, and is turned back.
const TAG_OPEN_STAND_IN: &str = "\u{E000}";

/// How `ts_headline` cuts snippets: matches between the domain's marks, about 16 words around
/// the best match (FTS5's `snippet` takes 16 tokens), short words kept. Its plain mode (no
/// fragments) keeps a short text whole, leading punctuation included, as FTS5 does.
fn headline_options() -> String {
    format!(
        "StartSel={MATCH_START}, StopSel={MATCH_END}, MaxWords=16, MinWords=8, ShortWord=0, \
         MaxFragments=0"
    )
}

/// The hit `f` with its snippet; none if its row went away since it was found.
async fn hit(c: &impl GenericClient, query: &str, f: Found) -> Result<Option<SearchHit>> {
    let options = headline_options();
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 4] =
        [&query, &f.id, &options, &TAG_OPEN_STAND_IN];
    let Some(r) = db::row_opt(c, f.source.hit, &params).await? else {
        return Ok(None);
    };
    Ok(Some(read_hit(&r)?))
}

fn read_hit(r: &Row) -> Result<SearchHit> {
    let source: String = r.try_get(1)?;
    let headline = r.try_get::<_, String>(4)?.replace(TAG_OPEN_STAND_IN, "<");
    let body: String = r.try_get(5)?;
    Ok(SearchHit {
        session_id: r.try_get(0)?,
        source: match source.as_str() {
            "message" => HitSource::Message,
            "note" => HitSource::Note,
            _ => HitSource::Customer,
        },
        item_id: r.try_get(2)?,
        created_at: r.try_get(3)?,
        snippet: with_ellipses(&headline, &body),
        chat: HitChat {
            user_name: r.try_get(6)?,
            user_email: r.try_get(7)?,
            status: r.try_get(8)?,
            channel: r.try_get(9)?,
            assigned_agent_id: r.try_get(10)?,
            rating: r.try_get(11)?,
            created_at: r.try_get(12)?,
        },
    })
}

/// `headline` with "…" where it cuts `body` short, at either end, as FTS5's snippets have it
/// (`ts_headline` cuts without saying so).
fn with_ellipses(headline: &str, body: &str) -> String {
    let unmarked = |s: &str| -> String {
        s.chars()
            .filter(|c| *c != MATCH_START && *c != MATCH_END)
            .collect()
    };
    let (shown, body) = (unmarked(headline), unmarked(body));
    let (shown, body) = (shown.trim(), body.trim());
    let mut snippet = String::with_capacity(headline.len() + 6);
    if !body.starts_with(shown) {
        snippet.push('…');
    }
    snippet.push_str(headline);
    if !body.ends_with(shown) {
        snippet.push('…');
    }
    snippet
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_headline_says_where_it_cuts_the_text() {
        let m = |w: &str| format!("{MATCH_START}{w}{MATCH_END}");
        let body = "one two refund three four";
        assert_eq!(
            with_ellipses(&format!("one two {}", m("refund")), body),
            format!("one two {}…", m("refund"))
        );
        assert_eq!(
            with_ellipses(&format!("two {} three", m("refund")), body),
            format!("…two {} three…", m("refund"))
        );
        assert_eq!(
            with_ellipses(&format!("{} three four", m("refund")), body),
            format!("…{} three four", m("refund"))
        );
        let whole = format!("one two {} three four", m("refund"));
        assert_eq!(with_ellipses(&whole, &format!("  {body}\n")), whole);
    }
}
