//! The one spelling of a token we accept: three dot-separated parts in canonical unpadded
//! base64url (RFC 7515 section 2). Padding, the `+`/`/` alphabet, whitespace and non-zero
//! trailing bits would all let one token be written several ways; every such spelling is
//! refused before any decoding, whatever the JWT library happens to tolerate.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

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

/// Canonical unpadded base64url: the base64 crate's strict URL-safe decoder refuses padding,
/// other alphabets, whitespace, impossible lengths and non-zero trailing bits. Runs only for a
/// token not yet in the verifier's cache.
fn is_canonical_part(part: &[u8]) -> bool {
    !part.is_empty() && URL_SAFE_NO_PAD.decode(part).is_ok()
}

#[cfg(test)]
mod tests {

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
