//! `GET/PUT /api/admin/settings/hours`.

use serde::Serialize;

use crate::domain::hours::{BusinessHours, HoursDocument, IntervalDocument};

#[derive(Serialize)]
pub struct IntervalAnswer {
    pub open: String,
    pub close: String,
}

/// One list of opening intervals per day, Monday first.
#[derive(Serialize)]
pub struct WeeklyAnswer {
    pub mon: Vec<IntervalAnswer>,
    pub tue: Vec<IntervalAnswer>,
    pub wed: Vec<IntervalAnswer>,
    pub thu: Vec<IntervalAnswer>,
    pub fri: Vec<IntervalAnswer>,
    pub sat: Vec<IntervalAnswer>,
    pub sun: Vec<IntervalAnswer>,
}

/// The business hours, normalised (intervals and dates sorted, the zone's canonical name).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HoursAnswer {
    pub enabled: bool,
    pub time_zone: String,
    pub weekly: WeeklyAnswer,
    pub closed_dates: Vec<String>,
    pub away_message: String,
}

fn day(intervals: Vec<IntervalDocument>) -> Vec<IntervalAnswer> {
    intervals
        .into_iter()
        .map(|iv| IntervalAnswer {
            open: iv.open,
            close: iv.close,
        })
        .collect()
}

impl From<&BusinessHours> for HoursAnswer {
    fn from(hours: &BusinessHours) -> Self {
        let HoursDocument {
            enabled,
            time_zone,
            weekly,
            closed_dates,
            away_message,
        } = hours.to_document();
        HoursAnswer {
            enabled,
            time_zone,
            weekly: WeeklyAnswer {
                mon: day(weekly.mon),
                tue: day(weekly.tue),
                wed: day(weekly.wed),
                thu: day(weekly.thu),
                fri: day(weekly.fri),
                sat: day(weekly.sat),
                sun: day(weekly.sun),
            },
            closed_dates,
            away_message,
        }
    }
}
