//! Identifiers. Clients may choose session and message ids (the shipped app makes
//! `chat_<ms>_<rand>` and `msg_<ms>_<rand>`); the server makes them in the same shape otherwise.

use rand::Rng;
use rand::distr::Alphanumeric;

use crate::error::{Error, Result};

/// Longest client-chosen id we accept; generous for `chat_<ms>_<uuid>` styles.
pub const MAX_ID_LEN: usize = 128;

/// Longest user id (a token's `sub`) we accept, in characters.
pub const MAX_USER_ID_CHARS: usize = 128;

/// A user id a request names (a privacy request's `userId`): 1 to 128 characters.
pub fn check_user_id(raw: &str) -> Result<()> {
    if raw.is_empty() || raw.chars().count() > MAX_USER_ID_CHARS {
        return Err(Error::validation(
            "userId",
            format!("userId must be 1 to {MAX_USER_ID_CHARS} characters"),
        ));
    }
    Ok(())
}

fn check_client_id(field: &'static str, raw: &str) -> Result<()> {
    if raw.is_empty() || raw.len() > MAX_ID_LEN {
        return Err(Error::validation(
            field,
            format!("{field} must be 1 to {MAX_ID_LEN} characters"),
        ));
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':');
    if !raw.chars().all(allowed) {
        return Err(Error::validation(
            field,
            format!("{field} may contain only letters, digits, '_', '-', '.' and ':'"),
        ));
    }
    Ok(())
}

/// `<prefix>_<unix ms>_<8 random alphanumerics>`
pub fn generate(prefix: &str, now_ms: i64) -> String {
    let suffix: String = rand::rng()
        .sample_iter(&Alphanumeric)
        .take(8)
        .map(|b| char::from(b).to_ascii_lowercase())
        .collect();
    format!("{prefix}_{now_ms}_{suffix}")
}

/// A random token of `bytes` bytes, base64url without padding (session cookies, CSRF, setup).
pub fn random_token(bytes: usize) -> String {
    use base64::Engine;
    let mut buf = vec![0u8; bytes];
    rand::rng().fill(&mut buf[..]);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

macro_rules! string_id {
    ($name:ident, $field:literal, $prefix:literal) => {
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Validates an id sent by a client.
            pub fn parse(raw: &str) -> Result<Self> {
                check_client_id($field, raw)?;
                Ok(Self(raw.to_string()))
            }

            /// A fresh server-made id.
            pub fn generate(now_ms: i64) -> Self {
                Self(generate($prefix, now_ms))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

string_id!(SessionId, "sessionId", "chat");
string_id!(MessageId, "messageId", "msg");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_shipped_client_ids() {
        assert!(SessionId::parse("chat_1733514600000_k3j9x").is_ok());
        assert!(MessageId::parse("msg_1733514660000_a8f2").is_ok());
    }

    #[test]
    fn refuses_odd_ids() {
        for bad in ["", "a b", "<script>", "x/../y", &"a".repeat(129)] {
            assert!(SessionId::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn generated_ids_have_the_client_shape() {
        let id = SessionId::generate(1_733_514_600_000);
        assert!(id.as_str().starts_with("chat_1733514600000_"));
        assert!(SessionId::parse(id.as_str()).is_ok());
    }
}
