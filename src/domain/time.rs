//! Server time as milliseconds since the Unix epoch, shown as RFC 3339 UTC with milliseconds.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Serialize, Serializer};

/// A point in time, in whole milliseconds since 1970-01-01 UTC (what SQLite stores).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub fn from_millis(ms: i64) -> Self {
        Timestamp(ms)
    }

    pub fn millis(self) -> i64 {
        self.0
    }

    /// `2025-12-06T15:31:00.000Z`
    pub fn rfc3339(self) -> String {
        DateTime::<Utc>::from_timestamp_millis(self.0)
            .unwrap_or_default()
            .to_rfc3339_opts(SecondsFormat::Millis, true)
    }

    /// Parses an RFC 3339 timestamp (any offset) as sent by clients.
    pub fn parse_rfc3339(raw: &str) -> Option<Self> {
        DateTime::parse_from_rfc3339(raw)
            .ok()
            .map(|t| Timestamp(t.timestamp_millis()))
    }

    /// Whole seconds from `self` to `later` (never negative).
    pub fn seconds_until(self, later: Timestamp) -> i64 {
        ((later.0 - self.0) / 1000).max(0)
    }

    pub fn plus_millis(self, ms: i64) -> Self {
        Timestamp(self.0.saturating_add(ms))
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.rfc3339())
    }
}

/// In a schema: a string in RFC 3339 date-time format, as serialised above.
impl utoipa::PartialSchema for Timestamp {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
            .examples(["2025-12-06T15:31:00.000Z"])
            .into()
    }
}

impl utoipa::ToSchema for Timestamp {}

/// "just now", "2m ago", "3h ago", "2d ago": what the live queue shows.
pub fn human_age(seconds: i64) -> String {
    match seconds {
        s if s < 60 => "just now".to_string(),
        s if s < 3600 => format!("{}m ago", s / 60),
        s if s < 86_400 => format!("{}h ago", s / 3600),
        s => format!("{}d ago", s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_milliseconds_and_z() {
        assert_eq!(
            Timestamp(1_765_035_060_000).rfc3339(),
            "2025-12-06T15:31:00.000Z"
        );
        assert_eq!(
            Timestamp::parse_rfc3339("2025-12-06T16:31:00.123+01:00"),
            Some(Timestamp(1_765_035_060_123))
        );
        assert_eq!(Timestamp::parse_rfc3339("yesterday"), None);
    }

    #[test]
    fn human_ages() {
        assert_eq!(human_age(5), "just now");
        assert_eq!(human_age(125), "2m ago");
        assert_eq!(human_age(7200), "2h ago");
        assert_eq!(human_age(200_000), "2d ago");
    }
}
