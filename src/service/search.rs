//! Searching chats (SPEC.md section 12): what the person typed and the filters they picked,
//! checked once, turned into a page of hits. Every role that reads chats may search them all,
//! as it may open any chat from the queue.

use chrono::{Days, NaiveDate};

use super::{AgentPrincipal, Services};
use crate::domain::search::{MAX_QUERY_CHARS, SearchFilters, StatusFilter, parse_terms};
use crate::domain::{Channel, Permission, Timestamp};
use crate::error::{Error, Result};
use crate::store::search::{SearchHit, SearchRequest};

/// Most hits on one page.
pub const MAX_LIMIT: usize = 100;
/// Hits on a page unless asked otherwise.
pub const DEFAULT_LIMIT: usize = 20;
/// Deepest page: past it, narrowing the query is the way on.
pub const MAX_PAGE: usize = 1_000;

/// A search as it arrives (a query string, a form): text fields, each optional except the
/// query, so a malformed number is the same named validation error as anything else.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchForm {
    pub q: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub agent_id: Option<String>,
    pub status: Option<String>,
    pub rating: Option<String>,
    pub channel: Option<String>,
    pub label: Option<String>,
    pub page: Option<String>,
    pub limit: Option<String>,
}

/// A checked search.
#[derive(Clone, Debug)]
pub struct Search {
    pub query: String,
    pub filters: SearchFilters,
    pub page: usize,
    pub limit: usize,
}

impl SearchForm {
    /// Checks every field; the first bad one is a validation error naming it.
    pub fn check(&self) -> Result<Search> {
        let query = self.q.as_deref().unwrap_or_default();
        if query.trim().is_empty() {
            return Err(Error::validation("q", "q is required"));
        }
        if query.chars().count() > MAX_QUERY_CHARS {
            return Err(Error::validation(
                "q",
                format!("q is at most {MAX_QUERY_CHARS} characters"),
            ));
        }
        let filters = SearchFilters {
            from: given(&self.from)
                .map(|d| date("from", d).map(day_start))
                .transpose()?,
            until: given(&self.to)
                .map(|d| date("to", d).map(|d| day_start(d + Days::new(1))))
                .transpose()?,
            agent_id: given(&self.agent_id).map(str::to_string),
            status: given(&self.status)
                .map(|s| {
                    StatusFilter::parse(s).ok_or_else(|| {
                        Error::validation("status", "status must be active, ended or expired")
                    })
                })
                .transpose()?,
            rating: given(&self.rating)
                .map(|r| number("rating", r, 1, 5))
                .transpose()?
                .map(|r| r as i64),
            channel: given(&self.channel)
                .map(|c| {
                    Channel::parse(c).ok_or_else(|| {
                        Error::validation("channel", "channel must be app, web or offline")
                    })
                })
                .transpose()?,
            label_id: given(&self.label).map(str::to_string),
        };
        if let (Some(from), Some(until)) = (filters.from, filters.until)
            && from >= until
        {
            return Err(Error::validation("from", "from must not be after to"));
        }
        Ok(Search {
            query: query.to_string(),
            filters,
            page: given(&self.page)
                .map(|p| number("page", p, 1, MAX_PAGE))
                .transpose()?
                .unwrap_or(1),
            limit: given(&self.limit)
                .map(|l| number("limit", l, 1, MAX_LIMIT))
                .transpose()?
                .unwrap_or(DEFAULT_LIMIT),
        })
    }
}

/// A page of hits, newest first.
pub struct SearchPage {
    pub search: Search,
    pub hits: Vec<SearchHit>,
    pub has_more: bool,
}

#[tracing::instrument(skip_all, fields(agent = %actor.id))]
pub async fn search(ctx: &Services, actor: &AgentPrincipal, search: Search) -> Result<SearchPage> {
    actor.require(Permission::ViewChats)?;
    // One more than the page shows tells whether another page follows.
    let mut hits = ctx
        .store
        .search(SearchRequest {
            terms: parse_terms(&search.query),
            filters: search.filters.clone(),
            offset: (search.page - 1) * search.limit,
            limit: search.limit + 1,
        })
        .await?;
    let has_more = hits.len() > search.limit;
    hits.truncate(search.limit);
    Ok(SearchPage {
        search,
        hits,
        has_more,
    })
}

fn given(field: &Option<String>) -> Option<&str> {
    field.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

fn date(field: &'static str, raw: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| Error::validation(field, format!("{field} must be a date like 2025-12-06")))
}

fn day_start(day: NaiveDate) -> Timestamp {
    Timestamp(
        day.and_time(chrono::NaiveTime::MIN)
            .and_utc()
            .timestamp_millis(),
    )
}

fn number(field: &'static str, raw: &str, min: usize, max: usize) -> Result<usize> {
    raw.parse::<usize>()
        .ok()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| {
            Error::validation(
                field,
                format!("{field} must be a whole number from {min} to {max}"),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(q: &str) -> SearchForm {
        SearchForm {
            q: Some(q.into()),
            ..SearchForm::default()
        }
    }

    #[test]
    fn a_day_range_covers_whole_utc_days() {
        let s = SearchForm {
            from: Some("2030-03-04".into()),
            to: Some("2030-03-04".into()),
            ..form("x")
        }
        .check()
        .unwrap();
        let (from, until) = (s.filters.from.unwrap(), s.filters.until.unwrap());
        assert_eq!(until.0 - from.0, 86_400_000);
        assert_eq!(from.rfc3339(), "2030-03-04T00:00:00.000Z");
    }

    #[test]
    fn each_bad_field_is_named() {
        let cases: [(&str, SearchForm); 8] = [
            ("q", form("  ")),
            ("q", form(&"x".repeat(MAX_QUERY_CHARS + 1))),
            (
                "from",
                SearchForm {
                    from: Some("yesterday".into()),
                    ..form("x")
                },
            ),
            (
                "status",
                SearchForm {
                    status: Some("open".into()),
                    ..form("x")
                },
            ),
            (
                "rating",
                SearchForm {
                    rating: Some("6".into()),
                    ..form("x")
                },
            ),
            (
                "channel",
                SearchForm {
                    channel: Some("fax".into()),
                    ..form("x")
                },
            ),
            (
                "page",
                SearchForm {
                    page: Some("99999999999999999999".into()),
                    ..form("x")
                },
            ),
            (
                "limit",
                SearchForm {
                    limit: Some("0".into()),
                    ..form("x")
                },
            ),
        ];
        for (field, f) in cases {
            match f.check() {
                Err(Error::Validation { field: got, .. }) => assert_eq!(got, field),
                other => panic!("{field}: {other:?}"),
            }
        }
    }
}
