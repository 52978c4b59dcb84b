//! The registered time claims (`exp`, `nbf`, `iat`), checked against the server's own clock
//! rather than jsonwebtoken's (which reads the system time), so that a test clock moved
//! forward expires tokens exactly as the rest of the server sees time pass.

use serde::{Deserialize, Deserializer};

use crate::clock::Clock;
use crate::error::Error;

/// Clock skew forgiven on every time claim, in seconds.
pub const LEEWAY_SECS: u64 = 60;

/// Seconds since the epoch on `clock` (0 before it).
pub fn now_secs(clock: &Clock) -> u64 {
    u64::try_from(clock.now().0.div_euclid(1000)).unwrap_or(0)
}

/// Refuses a token that expired, is not valid yet, or says it was issued in the future
/// (each beyond [`LEEWAY_SECS`]).
pub fn check(exp: u64, nbf: Option<u64>, iat: Option<u64>, now: u64) -> Result<(), Error> {
    if now > exp.saturating_add(LEEWAY_SECS) {
        return Err(Error::Unauthenticated("Token has expired"));
    }
    let ahead = now.saturating_add(LEEWAY_SECS);
    if nbf.is_some_and(|nbf| nbf > ahead) {
        return Err(Error::Unauthenticated("Token is not valid yet"));
    }
    if iat.is_some_and(|iat| iat > ahead) {
        return Err(Error::Unauthenticated("Token was issued in the future"));
    }
    Ok(())
}

/// Reads a NumericDate (RFC 7519: seconds, possibly with a fraction) as whole seconds; a
/// negative or non-numeric value fails the token.
pub fn numeric_date<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    let value = serde_json::Number::deserialize(deserializer)?;
    if let Some(secs) = value.as_u64() {
        return Ok(secs);
    }
    match value.as_f64() {
        Some(secs) if secs.is_finite() && secs >= 0.0 && secs < u64::MAX as f64 => {
            Ok(secs.floor() as u64)
        }
        _ => Err(serde::de::Error::custom("not a NumericDate")),
    }
}

/// [`numeric_date`] for a claim that may be absent (use with `#[serde(default)]`).
pub fn optional_numeric_date<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<u64>, D::Error> {
    numeric_date(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leeway_applies_both_ways_and_only_once() {
        let now = 10_000;
        assert!(check(now, None, None, now).is_ok());
        assert!(check(now - LEEWAY_SECS, None, None, now).is_ok());
        assert!(check(now - LEEWAY_SECS - 1, None, None, now).is_err());
        assert!(
            check(
                now + 60,
                Some(now + LEEWAY_SECS),
                Some(now + LEEWAY_SECS),
                now
            )
            .is_ok()
        );
        assert!(check(now + 600, Some(now + LEEWAY_SECS + 1), None, now).is_err());
        assert!(check(now + 600, None, Some(now + LEEWAY_SECS + 1), now).is_err());
    }

    #[derive(Deserialize)]
    struct Dates {
        #[serde(deserialize_with = "numeric_date")]
        exp: u64,
        #[serde(default, deserialize_with = "optional_numeric_date")]
        nbf: Option<u64>,
    }

    #[test]
    fn numeric_dates_may_have_fractions_but_not_signs_or_text() {
        let d: Dates = serde_json::from_str(r#"{"exp": 1700000000.75}"#).unwrap();
        assert_eq!((d.exp, d.nbf), (1_700_000_000, None));
        let d: Dates = serde_json::from_str(r#"{"exp": 5, "nbf": 4}"#).unwrap();
        assert_eq!(d.nbf, Some(4));
        for bad in [
            r#"{"exp": -1}"#,
            r#"{"exp": "5"}"#,
            r#"{"exp": 5, "nbf": null}"#,
            "{}",
        ] {
            assert!(serde_json::from_str::<Dates>(bad).is_err(), "{bad}");
        }
    }
}
