//! Business hours: a time zone, a weekly schedule and closed dates, validated once at the edge
//! ([`BusinessHours::parse`]), and when the business is open ([`availability_at`]). Times are
//! wall-clock times of the business's zone, so daylight-saving changes follow the zone's rules.

mod availability;

use std::collections::BTreeSet;

use chrono::NaiveDate;
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

pub use availability::{Availability, availability_at};

/// At most this many opening intervals per day.
pub const MAX_INTERVALS_PER_DAY: usize = 4;
/// At most this many closed dates (a year's worth).
pub const MAX_CLOSED_DATES: usize = 366;
/// The away message's limit, in characters.
pub const MAX_AWAY_MESSAGE_CHARS: usize = 1000;
pub const DEFAULT_AWAY_MESSAGE: &str =
    "We're away right now. Leave a message and we'll reply by email.";

/// Day keys in schedule order, Monday first (chrono's `num_days_from_monday`).
pub const DAY_KEYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// One opening interval as written: `{"open": "09:00", "close": "17:00"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntervalDocument {
    pub open: String,
    pub close: String,
}

/// The week as written, one list of intervals per day.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WeeklyDocument {
    pub mon: Vec<IntervalDocument>,
    pub tue: Vec<IntervalDocument>,
    pub wed: Vec<IntervalDocument>,
    pub thu: Vec<IntervalDocument>,
    pub fri: Vec<IntervalDocument>,
    pub sat: Vec<IntervalDocument>,
    pub sun: Vec<IntervalDocument>,
}

impl WeeklyDocument {
    /// The week from one function of the day's index (0 is Monday).
    pub fn from_days(day: impl Fn(usize) -> Vec<IntervalDocument>) -> Self {
        WeeklyDocument {
            mon: day(0),
            tue: day(1),
            wed: day(2),
            thu: day(3),
            fri: day(4),
            sat: day(5),
            sun: day(6),
        }
    }

    /// The seven lists, Monday first.
    pub fn into_days(self) -> [Vec<IntervalDocument>; 7] {
        let WeeklyDocument {
            mon,
            tue,
            wed,
            thu,
            fri,
            sat,
            sun,
        } = self;
        [mon, tue, wed, thu, fri, sat, sun]
    }

    fn days(&self) -> [&Vec<IntervalDocument>; 7] {
        [
            &self.mon, &self.tue, &self.wed, &self.thu, &self.fri, &self.sat, &self.sun,
        ]
    }
}

/// Business hours as written (the admin API's body and what storage keeps); every field is
/// required and unknown keys are refused, so a typo never silently drops a setting.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HoursDocument {
    pub enabled: bool,
    pub time_zone: String,
    pub weekly: WeeklyDocument,
    pub closed_dates: Vec<String>,
    pub away_message: String,
}

/// An opening interval in minutes after local midnight: `open < close`, `close <= 1440`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Interval {
    pub open: u16,
    pub close: u16,
}

impl Interval {
    pub fn contains(self, minute: u16) -> bool {
        self.open <= minute && minute < self.close
    }
}

/// Validated business hours.
#[derive(Clone, Debug, PartialEq)]
pub struct BusinessHours {
    pub enabled: bool,
    pub time_zone: Tz,
    /// Monday first; each day's intervals sorted and not overlapping.
    pub weekly: [Vec<Interval>; 7],
    pub closed_dates: BTreeSet<NaiveDate>,
    pub away_message: String,
}

impl Default for BusinessHours {
    /// Off; UTC; Monday to Friday 09:00-17:00; no closed dates.
    fn default() -> Self {
        let workday = vec![Interval {
            open: 9 * 60,
            close: 17 * 60,
        }];
        BusinessHours {
            enabled: false,
            time_zone: Tz::UTC,
            weekly: [
                workday.clone(),
                workday.clone(),
                workday.clone(),
                workday.clone(),
                workday,
                Vec::new(),
                Vec::new(),
            ],
            closed_dates: BTreeSet::new(),
            away_message: DEFAULT_AWAY_MESSAGE.to_string(),
        }
    }
}

impl BusinessHours {
    /// Validates a written schedule; the error names the field and says what is wrong.
    pub fn parse(doc: &HoursDocument) -> Result<Self> {
        let time_zone = parse_time_zone(&doc.time_zone)?;
        let mut weekly: [Vec<Interval>; 7] = Default::default();
        for (i, day) in doc.weekly.days().into_iter().enumerate() {
            weekly[i] = parse_day(DAY_KEYS[i], day)?;
        }
        Ok(BusinessHours {
            enabled: doc.enabled,
            time_zone,
            weekly,
            closed_dates: parse_closed_dates(&doc.closed_dates)?,
            away_message: parse_away_message(&doc.away_message)?,
        })
    }

    /// The written form, normalised (intervals sorted, dates sorted and unique).
    pub fn to_document(&self) -> HoursDocument {
        let day = |i: usize| -> Vec<IntervalDocument> {
            self.weekly[i]
                .iter()
                .map(|iv| IntervalDocument {
                    open: format_minute(iv.open),
                    close: format_minute(iv.close),
                })
                .collect()
        };
        HoursDocument {
            enabled: self.enabled,
            time_zone: self.time_zone.name().to_string(),
            weekly: WeeklyDocument::from_days(day),
            closed_dates: self
                .closed_dates
                .iter()
                .map(|d| d.format("%Y-%m-%d").to_string())
                .collect(),
            away_message: self.away_message.clone(),
        }
    }
}

impl BusinessHours {
    /// The week in one line, for the audit log: `mon 09:00-12:00 13:00-17:00, ..., sun closed`.
    pub fn weekly_summary(&self) -> String {
        DAY_KEYS
            .iter()
            .zip(&self.weekly)
            .map(|(day, intervals)| {
                if intervals.is_empty() {
                    format!("{day} closed")
                } else {
                    let times: Vec<String> = intervals
                        .iter()
                        .map(|iv| format!("{}-{}", format_minute(iv.open), format_minute(iv.close)))
                        .collect();
                    format!("{day} {}", times.join(" "))
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A zone of the IANA time zone database, by its exact name (`Europe/Berlin`, `UTC`).
pub fn parse_time_zone(raw: &str) -> Result<Tz> {
    raw.trim().parse::<Tz>().map_err(|_| {
        Error::validation(
            "timeZone",
            "timeZone must be a time zone name such as Europe/Berlin",
        )
    })
}

/// Every zone name the tz database knows, for pickers.
pub fn time_zone_names() -> impl Iterator<Item = &'static str> {
    chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name())
}

/// `HH:MM` -> minutes after midnight; `24:00` (1440) only where `allow_end_of_day`.
pub fn parse_minute(raw: &str, allow_end_of_day: bool) -> Option<u16> {
    let bytes = raw.as_bytes();
    if bytes.len() != 5 || bytes[2] != b':' {
        return None;
    }
    let digits = |a: u8, b: u8| -> Option<u16> {
        (a.is_ascii_digit() && b.is_ascii_digit()).then(|| u16::from((a - b'0') * 10 + (b - b'0')))
    };
    let hour = digits(bytes[0], bytes[1])?;
    let minute = digits(bytes[3], bytes[4])?;
    match (hour, minute) {
        (24, 0) if allow_end_of_day => Some(1440),
        (h, m) if h < 24 && m < 60 => Some(h * 60 + m),
        _ => None,
    }
}

/// Minutes after midnight -> `HH:MM` (1440 -> `24:00`).
pub fn format_minute(minute: u16) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

fn parse_day(day: &'static str, raw: &[IntervalDocument]) -> Result<Vec<Interval>> {
    if raw.len() > MAX_INTERVALS_PER_DAY {
        return Err(Error::validation(
            "weekly",
            format!("weekly.{day} has more than {MAX_INTERVALS_PER_DAY} intervals"),
        ));
    }
    let mut intervals = Vec::with_capacity(raw.len());
    for iv in raw {
        let bad_time = |which: &str, value: &str| {
            Error::validation(
                "weekly",
                format!(
                    "weekly.{day}: {which} time {:?} must be HH:MM from 00:00 to 23:59 (24:00 as a close)",
                    value.chars().take(16).collect::<String>()
                ),
            )
        };
        let open = parse_minute(&iv.open, false).ok_or_else(|| bad_time("open", &iv.open))?;
        let close = parse_minute(&iv.close, true).ok_or_else(|| bad_time("close", &iv.close))?;
        if open >= close {
            return Err(Error::validation(
                "weekly",
                format!(
                    "weekly.{day}: the interval {}-{} must open before it closes",
                    iv.open, iv.close
                ),
            ));
        }
        intervals.push(Interval { open, close });
    }
    intervals.sort();
    if let Some(pair) = intervals.windows(2).find(|w| w[1].open < w[0].close) {
        return Err(Error::validation(
            "weekly",
            format!(
                "weekly.{day}: the intervals {}-{} and {}-{} overlap",
                format_minute(pair[0].open),
                format_minute(pair[0].close),
                format_minute(pair[1].open),
                format_minute(pair[1].close)
            ),
        ));
    }
    Ok(intervals)
}

fn parse_closed_dates(raw: &[String]) -> Result<BTreeSet<NaiveDate>> {
    if raw.len() > MAX_CLOSED_DATES {
        return Err(Error::validation(
            "closedDates",
            format!("closedDates may list at most {MAX_CLOSED_DATES} dates"),
        ));
    }
    raw.iter()
        .map(|d| {
            let d = d.trim();
            (d.len() == 10)
                .then(|| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
                .flatten()
                .ok_or_else(|| {
                    Error::validation(
                        "closedDates",
                        format!(
                            "closedDates: {:?} is not a date written YYYY-MM-DD",
                            d.chars().take(16).collect::<String>()
                        ),
                    )
                })
        })
        .collect()
}

fn parse_away_message(raw: &str) -> Result<String> {
    crate::domain::text::required_text("awayMessage", raw, MAX_AWAY_MESSAGE_CHARS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> HoursDocument {
        BusinessHours::default().to_document()
    }

    fn iv(open: &str, close: &str) -> IntervalDocument {
        IntervalDocument {
            open: open.into(),
            close: close.into(),
        }
    }

    fn field_of(result: Result<BusinessHours>) -> &'static str {
        match result {
            Err(Error::Validation { field, .. }) => field,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn the_default_round_trips() {
        let hours = BusinessHours::default();
        assert_eq!(BusinessHours::parse(&hours.to_document()).unwrap(), hours);
        assert_eq!(hours.to_document().weekly.mon, vec![iv("09:00", "17:00")]);
        assert!(hours.to_document().weekly.sun.is_empty());
        assert_eq!(
            hours.weekly_summary(),
            "mon 09:00-17:00, tue 09:00-17:00, wed 09:00-17:00, thu 09:00-17:00, \
             fri 09:00-17:00, sat closed, sun closed"
        );
    }

    #[test]
    fn times_are_hh_mm_and_24_00_closes_only() {
        assert_eq!(parse_minute("00:00", false), Some(0));
        assert_eq!(parse_minute("23:59", false), Some(1439));
        assert_eq!(parse_minute("24:00", true), Some(1440));
        for bad in [
            "24:00", "25:00", "9:00", "09:60", "09-00", "0900", "+9:00", "", "09:00 ",
        ] {
            assert_eq!(parse_minute(bad, false), None, "{bad}");
        }
        assert_eq!(parse_minute("24:01", true), None);
        assert_eq!(format_minute(1440), "24:00");
    }

    #[test]
    fn intervals_must_open_before_closing_and_not_overlap() {
        let mut d = doc();
        d.weekly.sat = vec![iv("13:00", "24:00"), iv("08:00", "12:00")];
        let hours = BusinessHours::parse(&d).unwrap();
        assert_eq!(hours.weekly[5][0].open, 8 * 60, "sorted");
        d.weekly.sat = vec![iv("08:00", "12:00"), iv("12:00", "13:00")];
        assert!(BusinessHours::parse(&d).is_ok(), "touching is fine");

        for bad in [
            vec![iv("17:00", "09:00")],
            vec![iv("09:00", "09:00")],
            vec![iv("09:00", "25:00")],
            vec![iv("24:00", "24:00")],
            vec![iv("08:00", "12:00"), iv("11:00", "13:00")],
            vec![iv("00:00", "01:00"); 5],
        ] {
            let mut d = doc();
            d.weekly.tue = bad.clone();
            assert_eq!(field_of(BusinessHours::parse(&d)), "weekly", "{bad:?}");
        }
    }

    #[test]
    fn zones_dates_and_away_message_are_checked() {
        let mut d = doc();
        d.time_zone = "Mars/Olympus_Mons".into();
        assert_eq!(field_of(BusinessHours::parse(&d)), "timeZone");
        d.time_zone = "America/New_York".into();
        assert!(BusinessHours::parse(&d).is_ok());

        let mut d = doc();
        d.closed_dates = vec!["2026-02-30".into()];
        assert_eq!(field_of(BusinessHours::parse(&d)), "closedDates");
        d.closed_dates = vec!["2026-2-3".into()];
        assert_eq!(field_of(BusinessHours::parse(&d)), "closedDates");
        d.closed_dates = vec![
            "2026-12-25".into(),
            "2026-01-01".into(),
            "2026-12-25".into(),
        ];
        assert_eq!(
            BusinessHours::parse(&d).unwrap().to_document().closed_dates,
            vec!["2026-01-01", "2026-12-25"]
        );
        d.closed_dates = vec!["2026-12-25".into(); MAX_CLOSED_DATES + 1];
        assert_eq!(field_of(BusinessHours::parse(&d)), "closedDates");

        let mut d = doc();
        d.away_message = "x".repeat(MAX_AWAY_MESSAGE_CHARS + 1);
        assert_eq!(field_of(BusinessHours::parse(&d)), "awayMessage");
        d.away_message = "  ".into();
        assert_eq!(field_of(BusinessHours::parse(&d)), "awayMessage");
        d.away_message = "é".repeat(MAX_AWAY_MESSAGE_CHARS);
        assert!(BusinessHours::parse(&d).is_ok(), "characters, not bytes");
    }

    #[test]
    fn unknown_keys_are_refused() {
        let mut value = serde_json::to_value(doc()).unwrap();
        value["timezone"] = "UTC".into();
        assert!(serde_json::from_value::<HoursDocument>(value).is_err());
        let mut value = serde_json::to_value(doc()).unwrap();
        value["weekly"]["mon"][0]["opens"] = "09:00".into();
        assert!(serde_json::from_value::<HoursDocument>(value).is_err());
    }
}
