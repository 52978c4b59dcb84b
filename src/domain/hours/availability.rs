//! Open or closed at an instant, and when it next opens. The schedule is wall-clock time in the
//! business's zone: the business is open while the local clock reads inside an interval of a
//! day that is not a closed date. So an interval that starts inside a spring-forward gap opens
//! when the clock jumps past its start, and a repeated fall-back hour counts twice.

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, Offset, TimeZone, Timelike};
use chrono_tz::Tz;

use super::BusinessHours;
use crate::domain::Timestamp;

/// What [`availability_at`] answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Availability {
    pub open: bool,
    /// When closed: the first instant it opens again, `None` if it never does.
    pub next_open_at: Option<Timestamp>,
}

/// Days looked ahead for the next opening: closed dates cover at most 366 days, so a week
/// beyond them meets every weekday once more.
const LOOKAHEAD_DAYS: i64 = 366 + 8;

/// Open or closed at `now`; hours that are not enabled are always open.
pub fn availability_at(now: Timestamp, hours: &BusinessHours) -> Availability {
    if !hours.enabled || is_open_at(now, hours) {
        return Availability {
            open: true,
            next_open_at: None,
        };
    }
    Availability {
        open: false,
        next_open_at: next_open(now, hours),
    }
}

fn local(at: Timestamp, tz: Tz) -> DateTime<Tz> {
    let utc = DateTime::from_timestamp_millis(at.0).unwrap_or_default();
    utc.with_timezone(&tz)
}

/// The local clock at `at` is inside an interval of a day that is not closed.
fn is_open_at(at: Timestamp, hours: &BusinessHours) -> bool {
    let t = local(at, hours.time_zone);
    if hours.closed_dates.contains(&t.date_naive()) {
        return false;
    }
    let minute = (t.hour() * 60 + t.minute()) as u16;
    let day = t.weekday().num_days_from_monday() as usize;
    hours.weekly[day].iter().any(|iv| iv.contains(minute))
}

/// The business only ever opens when the local clock reaches an interval's start, or when the
/// clock jumps at an offset change. Scans day by day from today and takes the earliest of
/// those instants that is after `now` and open.
fn next_open(now: Timestamp, hours: &BusinessHours) -> Option<Timestamp> {
    if hours.weekly.iter().all(Vec::is_empty) {
        return None;
    }
    let tz = hours.time_zone;
    let today = local(now, tz).date_naive();
    for offset in 0..LOOKAHEAD_DAYS {
        let day = today.checked_add_signed(Duration::days(offset))?;
        let found = candidates(day, hours)
            .into_iter()
            .filter(|&c| c > now && is_open_at(c, hours))
            .min();
        if found.is_some() {
            return found;
        }
    }
    None
}

/// Instants at which the business may open on local `day`: each interval's start (both
/// instants when the fall-back repeats it; none when a gap skips it), and any offset change
/// near the day (covers starts skipped by a gap and intervals re-entered by a fall-back).
fn candidates(day: NaiveDate, hours: &BusinessHours) -> Vec<Timestamp> {
    let tz = hours.time_zone;
    let mut out = Vec::new();
    if hours.closed_dates.contains(&day) {
        return out;
    }
    let weekday = day.weekday().num_days_from_monday() as usize;
    for iv in &hours.weekly[weekday] {
        let Some(start) = day.and_hms_opt(u32::from(iv.open / 60), u32::from(iv.open % 60), 0)
        else {
            continue;
        };
        match tz.from_local_datetime(&start) {
            LocalResult::Single(t) => out.push(Timestamp(t.timestamp_millis())),
            LocalResult::Ambiguous(a, b) => {
                out.push(Timestamp(a.timestamp_millis()));
                out.push(Timestamp(b.timestamp_millis()));
            }
            LocalResult::None => {}
        }
    }
    // Only a change the local calendar puts on this day, so days stay in order.
    out.extend(offset_change_near(day, tz).filter(|&t| local(t, tz).date_naive() == day));
    out
}

/// Offsets never exceed 15 hours, so this window in UTC contains the whole local day.
const WINDOW_MS: i64 = 15 * 3_600_000;

fn offset_at(at: i64, tz: Tz) -> i32 {
    local(Timestamp(at), tz).offset().fix().local_minus_utc()
}

/// The first instant with the new offset, if the offset changes around local `day` (at most
/// once there: real zones change it at most twice a year).
fn offset_change_near(day: NaiveDate, tz: Tz) -> Option<Timestamp> {
    let midnight = day.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis();
    let (mut lo, mut hi) = (midnight - WINDOW_MS, midnight + 86_400_000 + WINDOW_MS);
    let before = offset_at(lo, tz);
    if offset_at(hi, tz) == before {
        return None;
    }
    // Invariant: offset at lo is `before`, at hi it is not. Transitions fall on whole seconds.
    while hi - lo > 1000 {
        let mid = lo + (hi - lo) / 2000 * 1000;
        if offset_at(mid, tz) == before {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some(Timestamp(hi))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::hours::{BusinessHours, IntervalDocument};

    fn at(rfc3339: &str) -> Timestamp {
        Timestamp::parse_rfc3339(rfc3339).unwrap()
    }

    fn iv(open: &str, close: &str) -> IntervalDocument {
        IntervalDocument {
            open: open.into(),
            close: close.into(),
        }
    }

    /// Enabled, in `zone`, with every day set to `intervals`.
    fn every_day(zone: &str, intervals: Vec<IntervalDocument>) -> BusinessHours {
        let mut d = BusinessHours::default().to_document();
        d.enabled = true;
        d.time_zone = zone.into();
        for day in [
            &mut d.weekly.mon,
            &mut d.weekly.tue,
            &mut d.weekly.wed,
            &mut d.weekly.thu,
            &mut d.weekly.fri,
            &mut d.weekly.sat,
            &mut d.weekly.sun,
        ] {
            *day = intervals.clone();
        }
        BusinessHours::parse(&d).unwrap()
    }

    fn closed_until(now: &str, hours: &BusinessHours) -> Option<String> {
        let a = availability_at(at(now), hours);
        assert!(!a.open, "expected closed at {now}");
        a.next_open_at.map(Timestamp::rfc3339)
    }

    fn is_open(now: &str, hours: &BusinessHours) -> bool {
        availability_at(at(now), hours).open
    }

    #[test]
    fn disabled_hours_are_always_open() {
        let hours = BusinessHours::default();
        assert_eq!(
            availability_at(at("2026-12-06T03:00:00Z"), &hours),
            Availability {
                open: true,
                next_open_at: None
            }
        );
    }

    #[test]
    fn weekdays_nine_to_five_in_utc() {
        let hours = BusinessHours {
            enabled: true,
            ..BusinessHours::default()
        };
        // 2026-12-04 is a Friday.
        assert!(is_open("2026-12-04T09:00:00Z", &hours));
        assert!(is_open("2026-12-04T16:59:59.999Z", &hours));
        assert_eq!(
            closed_until("2026-12-04T17:00:00Z", &hours).as_deref(),
            Some("2026-12-07T09:00:00.000Z"),
            "Friday evening waits for Monday"
        );
        assert_eq!(
            closed_until("2026-12-07T08:59:59Z", &hours).as_deref(),
            Some("2026-12-07T09:00:00.000Z")
        );
    }

    #[test]
    fn midnight_edges() {
        let hours = every_day("UTC", vec![iv("00:00", "02:00"), iv("22:00", "24:00")]);
        assert!(is_open("2026-06-10T00:00:00Z", &hours));
        assert!(is_open("2026-06-10T23:59:59Z", &hours));
        assert!(is_open("2026-06-10T22:00:00Z", &hours));
        assert_eq!(
            closed_until("2026-06-10T02:00:00Z", &hours).as_deref(),
            Some("2026-06-10T22:00:00.000Z")
        );
        let late = every_day("UTC", vec![iv("23:30", "24:00")]);
        assert_eq!(
            closed_until("2026-06-10T23:00:00Z", &late).as_deref(),
            Some("2026-06-10T23:30:00.000Z")
        );
        assert_eq!(
            closed_until("2026-06-11T00:00:00Z", &late).as_deref(),
            Some("2026-06-11T23:30:00.000Z"),
            "24:00 closes at midnight"
        );
    }

    #[test]
    fn closed_dates_are_skipped_in_the_local_calendar() {
        let mut hours = every_day("Europe/Berlin", vec![iv("09:00", "17:00")]);
        hours
            .closed_dates
            .insert(NaiveDate::from_ymd_opt(2026, 12, 24).unwrap());
        hours
            .closed_dates
            .insert(NaiveDate::from_ymd_opt(2026, 12, 25).unwrap());
        // 10:00 in Berlin (UTC+1) on a closed date.
        assert_eq!(
            closed_until("2026-12-24T09:00:00Z", &hours).as_deref(),
            Some("2026-12-26T08:00:00.000Z")
        );
        // 23:30 UTC on the 23rd is already the 24th in Berlin.
        assert_eq!(
            closed_until("2026-12-23T23:30:00Z", &hours).as_deref(),
            Some("2026-12-26T08:00:00.000Z")
        );
    }

    #[test]
    fn no_open_interval_means_no_next_opening() {
        let hours = every_day("Europe/Berlin", vec![]);
        assert_eq!(closed_until("2026-06-10T12:00:00Z", &hours), None);

        let mut only_closed = every_day("UTC", vec![]);
        only_closed.weekly[0] = vec![crate::domain::hours::Interval {
            open: 600,
            close: 700,
        }];
        // Every Monday for more than a year is closed.
        let mut day = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
        while only_closed.closed_dates.len() < 366 {
            only_closed.closed_dates.insert(day);
            day = day.succ_opt().unwrap();
        }
        assert_eq!(
            closed_until("2026-06-01T00:00:00Z", &only_closed).as_deref(),
            Some("2027-06-07T10:00:00.000Z"),
            "the first Monday after a year of closed dates"
        );
    }

    #[test]
    fn spring_forward_in_berlin() {
        // 2026-03-29: clocks go from 02:00 CET (UTC+1) to 03:00 CEST (UTC+2) at 01:00 UTC.
        let hours = every_day("Europe/Berlin", vec![iv("09:00", "17:00")]);
        assert_eq!(
            closed_until("2026-03-28T20:00:00Z", &hours).as_deref(),
            Some("2026-03-29T07:00:00.000Z"),
            "09:00 CEST is 07:00 UTC, no longer 08:00"
        );
        assert!(is_open("2026-03-29T07:00:00Z", &hours));
        assert!(!is_open("2026-03-29T06:59:59Z", &hours));

        // An opening inside the gap opens when the clock jumps past it.
        let gap = every_day("Europe/Berlin", vec![iv("02:30", "04:00")]);
        assert_eq!(
            closed_until("2026-03-29T00:30:00Z", &gap).as_deref(),
            Some("2026-03-29T01:00:00.000Z")
        );
        assert!(is_open("2026-03-29T01:00:00Z", &gap));
        assert!(!is_open("2026-03-29T02:00:00Z", &gap), "04:00 CEST closes");

        // An interval wholly inside the gap does not open that day.
        let lost = every_day("Europe/Berlin", vec![iv("02:10", "02:50")]);
        assert_eq!(
            closed_until("2026-03-29T00:30:00Z", &lost).as_deref(),
            Some("2026-03-30T00:10:00.000Z")
        );
    }

    #[test]
    fn fall_back_in_new_york() {
        // 2026-11-01: clocks go from 02:00 EDT (UTC-4) back to 01:00 EST (UTC-5) at 06:00 UTC.
        let hours = every_day("America/New_York", vec![iv("09:00", "17:00")]);
        assert_eq!(
            closed_until("2026-11-01T03:00:00Z", &hours).as_deref(),
            Some("2026-11-01T14:00:00.000Z"),
            "09:00 EST is 14:00 UTC, no longer 13:00"
        );
        assert!(!is_open("2026-11-01T13:30:00Z", &hours));

        // The repeated hour opens twice.
        let repeated = every_day("America/New_York", vec![iv("01:00", "01:30")]);
        assert!(is_open("2026-11-01T05:10:00Z", &repeated), "01:10 EDT");
        assert_eq!(
            closed_until("2026-11-01T05:45:00Z", &repeated).as_deref(),
            Some("2026-11-01T06:00:00.000Z"),
            "after 01:30 EDT it opens again at 01:00 EST"
        );
        assert!(is_open("2026-11-01T06:10:00Z", &repeated), "01:10 EST");

        // An interval the clock falls back into opens at the change itself.
        let reentered = every_day("America/New_York", vec![iv("00:30", "01:45")]);
        assert_eq!(
            closed_until("2026-11-01T05:50:00Z", &reentered).as_deref(),
            Some("2026-11-01T06:00:00.000Z")
        );
    }
}
