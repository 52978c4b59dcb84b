//! Agent passwords: argon2id with a fresh salt each. Both calls are CPU-heavy and blocking;
//! callers run them off the async runtime.

use std::sync::LazyLock;

use argon2::{Argon2, PasswordHasher, PasswordVerifier};

use crate::error::{Error, Result};

pub const MIN_PASSWORD_CHARS: usize = 8;
pub const MAX_PASSWORD_CHARS: usize = 256;

/// A hash of a password nobody knows, verified when the email is unknown so that unknown
/// emails and wrong passwords take the same time.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    hash(&crate::domain::ids::random_token(24)).expect("hashing a random password")
});

pub fn check_policy(password: &str) -> Result<()> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(Error::validation(
            "password",
            format!("password must be at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(Error::validation(
            "password",
            format!("password must be at most {MAX_PASSWORD_CHARS} characters"),
        ));
    }
    Ok(())
}

pub fn hash(password: &str) -> Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| Error::internal_from("argon2", e.to_string()))
}

/// True when `password` matches `stored`; with no stored hash, burns the same time and fails.
pub fn verify(password: &str, stored: Option<&str>) -> bool {
    let (hash, known) = match stored {
        Some(h) => (h, true),
        None => (DUMMY_HASH.as_str(), false),
    };
    let matches = Argon2::default()
        .verify_password(password.as_bytes(), hash)
        .is_ok();
    matches && known
}

/// Computes the dummy hash ahead of the first login so the first unknown-email attempt is
/// not slower than the rest.
pub fn warm_up() {
    LazyLock::force(&DUMMY_HASH);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_unknown() {
        let h = hash("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse", Some(&h)));
        assert!(!verify("wrong horse", Some(&h)));
        assert!(!verify("correct horse", None));
    }

    #[test]
    fn an_unknown_email_costs_what_a_wrong_password_costs() {
        // `$argon2id$v=19$m=..,t=..,p=..$salt$hash`: the same algorithm, version and cost
        // parameters mean the same work, which a timing test could only approximate.
        let cost = |phc: &str| phc.split('$').take(4).collect::<Vec<_>>().join("$");
        let real = hash("a real password").unwrap();
        assert!(cost(&real).contains("m="), "{real}");
        assert_eq!(cost(&DUMMY_HASH), cost(&real));
        assert!(!verify("a real password", None));
    }
}
