//! What an export asks for: the format of a chat's transcript, and the range and format of an
//! export of every message stored in a stretch of time. Checked here once, at the edge.

use chrono::{Days, NaiveDate, NaiveTime};

use super::Timestamp;
use crate::error::{Error, Result};

/// The formats a chat's transcript is exported in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TranscriptFormat {
    Json,
    /// One row per message or internal note (RFC 4180).
    Csv,
    /// Plain text, one paragraph per message or note.
    Text,
    /// A self-contained page to read or print.
    Html,
}

impl TranscriptFormat {
    pub const ALL: [TranscriptFormat; 4] = [
        TranscriptFormat::Json,
        TranscriptFormat::Csv,
        TranscriptFormat::Text,
        TranscriptFormat::Html,
    ];

    /// `json` (when absent), `csv`, `text` or `html`; anything else is a validation error.
    pub fn parse(raw: Option<&str>) -> Result<Self> {
        match raw.map(str::trim) {
            None | Some("json") => Ok(TranscriptFormat::Json),
            Some("csv") => Ok(TranscriptFormat::Csv),
            Some("text") => Ok(TranscriptFormat::Text),
            Some("html") => Ok(TranscriptFormat::Html),
            Some(_) => Err(Error::validation(
                "format",
                "format must be json, csv, text or html",
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TranscriptFormat::Json => "json",
            TranscriptFormat::Csv => "csv",
            TranscriptFormat::Text => "text",
            TranscriptFormat::Html => "html",
        }
    }

    /// The file name's extension.
    pub fn extension(self) -> &'static str {
        match self {
            TranscriptFormat::Text => "txt",
            other => other.as_str(),
        }
    }

    /// The media type the file is served as.
    pub fn media_type(self) -> &'static str {
        match self {
            TranscriptFormat::Json => "application/json",
            TranscriptFormat::Csv => "text/csv; charset=utf-8",
            TranscriptFormat::Text => "text/plain; charset=utf-8",
            TranscriptFormat::Html => "text/html; charset=utf-8",
        }
    }

    /// `chat-<id>.<ext>`: the name a download of chat `session_id` is saved under.
    pub fn file_name(self, session_id: &str) -> String {
        format!("chat-{session_id}.{}", self.extension())
    }
}

/// The formats of a range export: one JSON object a line, or CSV.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum RangeFormat {
    #[default]
    Jsonl,
    Csv,
}

impl RangeFormat {
    pub fn parse(raw: &str) -> Result<Self> {
        match raw {
            "jsonl" => Ok(RangeFormat::Jsonl),
            "csv" => Ok(RangeFormat::Csv),
            _ => Err(Error::validation("format", "--format must be jsonl or csv")),
        }
    }
}

/// A stretch of time: from (inclusive) until (exclusive), in server time (UTC).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExportRange {
    pub from: Timestamp,
    pub until: Timestamp,
}

impl ExportRange {
    /// `from` and `to` as a person writes them: a day (`2026-01-31`, UTC; a `to` day counts
    /// whole) or an RFC 3339 instant (`2026-01-31T12:00:00Z`; a `to` instant counts itself).
    /// A range that ends before it starts is a validation error.
    pub fn parse(from: &str, to: &str) -> Result<Self> {
        let from = Bound::parse("from", from)?.start();
        let until = Bound::parse("to", to)?.end()?;
        if until <= from {
            return Err(Error::validation("from", "--from must not be after --to"));
        }
        Ok(ExportRange { from, until })
    }
}

/// One end of a range as given.
enum Bound {
    Day(NaiveDate),
    Instant(Timestamp),
}

impl Bound {
    fn parse(field: &'static str, raw: &str) -> Result<Bound> {
        let raw = raw.trim();
        if let Ok(day) = NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
            return Ok(Bound::Day(day));
        }
        Timestamp::parse_rfc3339(raw)
            .map(Bound::Instant)
            .ok_or_else(|| {
                Error::validation(
                    field,
                    format!(
                        "--{field} must be a day like 2026-01-31 or an RFC 3339 time like \
                     2026-01-31T12:00:00Z, not {raw:?}"
                    ),
                )
            })
    }

    /// The first millisecond the bound includes.
    fn start(&self) -> Timestamp {
        match self {
            Bound::Day(day) => day_start(*day),
            Bound::Instant(at) => *at,
        }
    }

    /// The first millisecond after the bound: the next day's start, or the instant's next
    /// millisecond.
    fn end(&self) -> Result<Timestamp> {
        match self {
            Bound::Day(day) => day
                .checked_add_days(Days::new(1))
                .map(day_start)
                .ok_or_else(|| Error::validation("to", "--to is too far in the future")),
            Bound::Instant(at) => Ok(at.plus_millis(1)),
        }
    }
}

fn day_start(day: NaiveDate) -> Timestamp {
    Timestamp(day.and_time(NaiveTime::MIN).and_utc().timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(raw: &str) -> Timestamp {
        Timestamp::parse_rfc3339(raw).unwrap()
    }

    #[test]
    fn days_cover_whole_utc_days() {
        let r = ExportRange::parse("2026-01-01", "2026-01-31").unwrap();
        assert_eq!(r.from, at("2026-01-01T00:00:00Z"));
        assert_eq!(r.until, at("2026-02-01T00:00:00Z"));
        let one = ExportRange::parse("2026-03-04", "2026-03-04").unwrap();
        assert_eq!(one.until.0 - one.from.0, 86_400_000);
    }

    #[test]
    fn instants_count_themselves() {
        let r =
            ExportRange::parse("2026-01-01T10:00:00+01:00", "2026-01-01T09:30:00.250Z").unwrap();
        assert_eq!(r.from, at("2026-01-01T09:00:00Z"));
        assert_eq!(r.until, at("2026-01-01T09:30:00.251Z"));
        assert!(ExportRange::parse("2026-01-01T09:00:00Z", "2026-01-01T09:00:00Z").is_ok());
    }

    #[test]
    fn bad_ends_are_named() {
        let field = |from: &str, to: &str| match ExportRange::parse(from, to) {
            Err(Error::Validation { field, .. }) => field,
            other => panic!("{from}..{to}: {other:?}"),
        };
        assert_eq!(field("yesterday", "2026-01-01"), "from");
        assert_eq!(field("2026-01-01", "2026-13-01"), "to");
        assert_eq!(field("2026-02-01", "2026-01-31"), "from");
        assert_eq!(
            field("2026-01-01T00:00:01Z", "2025-12-31T23:59:59Z"),
            "from"
        );
        assert_eq!(field("", ""), "from");
    }

    #[test]
    fn formats_parse_and_name_their_files() {
        assert_eq!(
            TranscriptFormat::parse(None).unwrap(),
            TranscriptFormat::Json
        );
        assert_eq!(
            TranscriptFormat::parse(Some("text"))
                .unwrap()
                .file_name("chat_1"),
            "chat-chat_1.txt"
        );
        assert!(TranscriptFormat::parse(Some("pdf")).is_err());
        assert!(TranscriptFormat::parse(Some("")).is_err());
        assert_eq!(RangeFormat::parse("csv").unwrap(), RangeFormat::Csv);
        assert!(RangeFormat::parse("xml").is_err());
    }
}
