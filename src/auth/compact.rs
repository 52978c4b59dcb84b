//! The one spelling of a token we accept: three dot-separated parts in canonical unpadded
//! base64url (RFC 7515 section 2). Padding, the `+`/`/` alphabet, whitespace and non-zero
//! trailing bits would all let one token be written several ways; every such spelling is
//! refused before any decoding, whatever the JWT library happens to tolerate.

use crate::error::Error;

/// `Ok` when `token` is `header.payload.signature`, each part canonical base64url.
pub fn check_canonical(token: &str) -> Result<(), Error> {
    let mut parts = 0;
    for part in token.split('.') {
        parts += 1;
        if parts > 3 || !is_canonical_part(part.as_bytes()) {
            return Err(not_canonical());
        }
    }
    if parts != 3 {
        return Err(not_canonical());
    }
    Ok(())
}

fn not_canonical() -> Error {
    Error::Unauthenticated("Malformed token")
}

/// Canonical unpadded base64url: alphabet `A-Z a-z 0-9 - _`, a length that is not 1 more than
/// a multiple of 4, and zero bits after the last whole byte.
fn is_canonical_part(part: &[u8]) -> bool {
    let Some(&last) = part.last() else {
        return false;
    };
    if !part.iter().all(|&b| sextet(b).is_some()) {
        return false;
    }
    let unused_bits_mask = match part.len() % 4 {
        0 => 0,
        2 => 0b1111,
        3 => 0b11,
        _ => return false,
    };
    sextet(last).is_some_and(|v| v & unused_bits_mask == 0)
}

fn sextet(b: u8) -> Option<u8> {
    match b {
        b'A'..=b'Z' => Some(b - b'A'),
        b'a'..=b'z' => Some(b - b'a' + 26),
        b'0'..=b'9' => Some(b - b'0' + 52),
        b'-' => Some(62),
        b'_' => Some(63),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::*;

    #[test]
    fn every_canonical_encoding_passes() {
        for len in 1..40 {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            let part = URL_SAFE_NO_PAD.encode(&bytes);
            assert!(is_canonical_part(part.as_bytes()), "{part}");
            assert!(check_canonical(&format!("{part}.{part}.{part}")).is_ok());
        }
    }

    #[test]
    fn other_spellings_fail() {
        let good = "eyJhIjoxfQ"; // {"a":1}, two unused bits
        assert!(check_canonical(&format!("{good}.{good}.{good}")).is_ok());
        for bad in [
            format!("{good}==.{good}.{good}"),
            format!("{good}.eyJhIjoxfR.{good}"), // same bytes, non-zero trailing bits
            format!("{good}.{good}.a+b/"),
            format!("{good}.{good} .{good}"),
            format!("{good}.{good}.{good}\n"),
            format!("{good}.{good}."),
            format!("{good}.{good}"),
            format!("{good}.{good}.{good}.{good}"),
            format!("{good}.{good}.abcde"), // a length no encoding has
        ] {
            assert!(check_canonical(&bad).is_err(), "{bad:?}");
        }
    }
}
