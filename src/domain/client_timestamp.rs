//! A date-time a client stamps on a message, start or rating: kept as sent, for the record.

use super::Timestamp;
use crate::error::{Error, Result};

/// Longer than any RFC 3339 date-time; stops huge strings before parsing.
pub const MAX_CLIENT_TIMESTAMP_CHARS: usize = 64;

/// An RFC 3339 date-time, at most [`MAX_CLIENT_TIMESTAMP_CHARS`] long, kept as the client wrote it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientTimestamp(String);

impl ClientTimestamp {
    /// Parses `raw`; the error names `field` (`timestamp`, `startTime`).
    pub fn parse(field: &'static str, raw: &str) -> Result<Self> {
        if raw.len() <= MAX_CLIENT_TIMESTAMP_CHARS && Timestamp::parse_rfc3339(raw).is_some() {
            Ok(ClientTimestamp(raw.to_string()))
        } else {
            Err(Error::validation(
                field,
                format!("{field} must be an RFC 3339 date-time"),
            ))
        }
    }

    /// Like [`ClientTimestamp::parse`], absent stays `None`.
    pub fn parse_optional(field: &'static str, raw: Option<&str>) -> Result<Option<Self>> {
        raw.map(|t| Self::parse(field, t)).transpose()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_rfc3339_as_sent() {
        let t = ClientTimestamp::parse("timestamp", "2024-01-02T03:04:05+02:00").unwrap();
        assert_eq!(t.as_str(), "2024-01-02T03:04:05+02:00");
        assert!(ClientTimestamp::parse("timestamp", "2024-01-02T03:04:05.123Z").is_ok());
    }

    #[test]
    fn rejects_other_text_naming_the_field() {
        let long = format!("2024-01-02T03:04:05.{}Z", "1".repeat(60));
        for raw in ["", "yesterday", "2024-01-02", "<script>", long.as_str()] {
            match ClientTimestamp::parse("startTime", raw) {
                Err(Error::Validation { field, message }) => {
                    assert_eq!(field, "startTime");
                    assert_eq!(message, "startTime must be an RFC 3339 date-time");
                }
                other => panic!("{raw:?} gave {other:?}"),
            }
        }
    }

    #[test]
    fn absent_is_none() {
        assert_eq!(
            ClientTimestamp::parse_optional("timestamp", None).unwrap(),
            None
        );
    }
}
