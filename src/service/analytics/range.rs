//! Date ranges of analytics and reports: inclusive UTC calendar days.

use chrono::{Days, NaiveDate};
use serde::Serialize;

use crate::domain::Timestamp;
use crate::error::{Error, Result};
use crate::service::Services;
use crate::store::team::Scope;

/// Longest range one request may cover.
pub const MAX_RANGE_DAYS: u64 = 366;
/// Default range: the last seven days, today included.
pub const DEFAULT_RANGE_DAYS: u64 = 7;

/// Inclusive UTC dates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DateRange {
    #[schema(value_type = String, format = Date)]
    pub from: NaiveDate,
    #[schema(value_type = String, format = Date)]
    pub to: NaiveDate,
}

impl DateRange {
    /// Parses `from`/`to` (`YYYY-MM-DD`, both optional) against `today`.
    pub fn parse(from: Option<&str>, to: Option<&str>, today: NaiveDate) -> Result<Self> {
        let date = |field: &'static str, raw: &str| {
            NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").map_err(|_| {
                Error::validation(field, format!("{field} must be a date like 2025-12-06"))
            })
        };
        let to = match to.filter(|t| !t.trim().is_empty()) {
            Some(raw) => date("to", raw)?,
            None => today,
        };
        let from = match from.filter(|f| !f.trim().is_empty()) {
            Some(raw) => date("from", raw)?,
            None => to - Days::new(DEFAULT_RANGE_DAYS - 1),
        };
        if from > to {
            return Err(Error::validation("from", "from must not be after to"));
        }
        if (to - from).num_days() as u64 >= MAX_RANGE_DAYS {
            return Err(Error::validation(
                "from",
                format!("a range covers at most {MAX_RANGE_DAYS} days"),
            ));
        }
        Ok(DateRange { from, to })
    }

    /// The chats of this range, all or only those carrying `label_id`.
    pub(super) fn scope(self, label_id: Option<String>) -> Scope {
        Scope {
            from: self.start(),
            to: self.end(),
            label_id,
        }
    }

    pub(super) fn start(self) -> Timestamp {
        Timestamp(
            self.from
                .and_hms_opt(0, 0, 0)
                .unwrap_or_default()
                .and_utc()
                .timestamp_millis(),
        )
    }

    /// Midnight after the last day (exclusive end).
    pub(super) fn end(self) -> Timestamp {
        let next = self.to + Days::new(1);
        Timestamp(
            next.and_hms_opt(0, 0, 0)
                .unwrap_or_default()
                .and_utc()
                .timestamp_millis(),
        )
    }

    pub fn dates(self) -> impl Iterator<Item = NaiveDate> {
        self.from.iter_days().take_while(move |d| *d <= self.to)
    }
}

/// Today's UTC date by the server clock.
pub fn today(ctx: &Services) -> NaiveDate {
    chrono::DateTime::from_timestamp_millis(ctx.clock.now().0)
        .unwrap_or_default()
        .date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn ranges_default_and_validate() {
        let today = d("2025-12-06");
        let r = DateRange::parse(None, None, today).unwrap();
        assert_eq!((r.from, r.to), (d("2025-11-30"), today));
        assert_eq!(r.dates().count(), 7);
        assert!(DateRange::parse(Some("2025-12-07"), Some("2025-12-06"), today).is_err());
        assert!(DateRange::parse(Some("yesterday"), None, today).is_err());
        assert!(DateRange::parse(Some("2020-01-01"), Some("2025-12-06"), today).is_err());
        let one = DateRange::parse(Some("2025-12-06"), Some("2025-12-06"), today).unwrap();
        assert_eq!(one.end().0 - one.start().0, 86_400_000);
    }
}
