//! An email address a user gives when starting a chat.

use super::text::optional_text;
use crate::error::{Error, Result};

/// RFC 5321 caps a forward path at 254 characters.
pub const MAX_EMAIL_CHARS: usize = 254;

/// A trimmed, bounded, plausible address: one `@` with text on both sides, a dot in the
/// domain, no spaces or control characters. Deliverability is not checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// Parses `raw`; absent or blank is `None`, the error names `field`.
    pub fn parse_optional(field: &'static str, raw: Option<&str>) -> Result<Option<Self>> {
        let Some(text) = optional_text(field, raw, MAX_EMAIL_CHARS)? else {
            return Ok(None);
        };
        if plausible(&text) {
            Ok(Some(Email(text)))
        } else {
            Err(Error::validation(
                field,
                format!("{field} must be an email address"),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

fn plausible(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !text.chars().any(|c| c.is_whitespace() || c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &str) -> Result<Option<Email>> {
        Email::parse_optional("userInfo.email", Some(raw))
    }

    #[test]
    fn accepts_plausible_addresses_trimmed() {
        assert_eq!(
            parse(" ann@example.com ").unwrap().unwrap().as_str(),
            "ann@example.com"
        );
        assert!(parse("a.b+tag@mail.example.co.uk").unwrap().is_some());
        assert_eq!(parse("   ").unwrap(), None);
        assert_eq!(Email::parse_optional("userInfo.email", None).unwrap(), None);
    }

    #[test]
    fn rejects_implausible_or_long() {
        let long = format!("{}@example.com", "a".repeat(250));
        for raw in [
            "ann",
            "@example.com",
            "ann@",
            "ann@localhost",
            "ann@@example.com",
            "a b@example.com",
            "ann@example.com\u{0}",
            "<script>@x.y z",
            long.as_str(),
        ] {
            match parse(raw) {
                Err(Error::Validation { field, .. }) => assert_eq!(field, "userInfo.email"),
                other => panic!("{raw:?} gave {other:?}"),
            }
        }
    }
}
