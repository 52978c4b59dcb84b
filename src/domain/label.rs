//! Labels: names with a colour that agents put on chats (`refund`, `bug`) to find and count
//! them later.

use super::Timestamp;
use super::text::required_text;
use crate::error::{Error, Result};

pub const MAX_NAME_CHARS: usize = 40;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub id: String,
    /// Unique among labels, ignoring case.
    pub name: String,
    pub colour: Colour,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A label's editable fields, already validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabelFields {
    pub name: String,
    pub colour: Colour,
}

impl LabelFields {
    /// A name of 1..=40 characters without control characters, and a `#rrggbb` colour.
    pub fn parse(name: &str, colour: &str) -> Result<Self> {
        let name = required_text("name", name, MAX_NAME_CHARS)?;
        if name.chars().any(char::is_control) {
            return Err(Error::validation(
                "name",
                "name must not contain control characters",
            ));
        }
        Ok(LabelFields {
            name,
            colour: Colour::parse(colour)?,
        })
    }
}

/// Whether two label names are the same name ignoring case, in every script (not only the
/// ASCII letters SQLite's `NOCASE` folds): `Rückgabe` and `RÜCKGABE` are one label.
pub fn same_name(a: &str, b: &str) -> bool {
    a.to_lowercase() == b.to_lowercase()
}

/// A colour as `#rrggbb`, lower case: safe in an SVG `fill` attribute as it is (the pages allow
/// no inline style).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Colour(String);

impl Colour {
    pub fn parse(raw: &str) -> Result<Self> {
        let raw = raw.trim();
        let hex = raw.strip_prefix('#').unwrap_or("");
        if hex.len() != 6 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(Error::validation(
                "colour",
                "colour must be a hex colour such as #3b82f6",
            ));
        }
        Ok(Colour(format!("#{}", hex.to_ascii_lowercase())))
    }

    /// For values the store wrote, which were parsed before they were stored.
    pub fn from_stored(raw: String) -> Self {
        Colour(raw)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_are_six_hex_digits() {
        assert_eq!(Colour::parse(" #3B82F6 ").unwrap().as_str(), "#3b82f6");
        for bad in [
            "", "#", "3b82f6", "#3b82f", "#3b82f60", "#ggg000", "red", "#12345\"",
        ] {
            assert!(Colour::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn names_are_bounded_plain_text() {
        assert_eq!(
            LabelFields::parse("  refund ", "#000000").unwrap().name,
            "refund"
        );
        assert!(LabelFields::parse("", "#000000").is_err());
        assert!(LabelFields::parse(&"x".repeat(41), "#000000").is_err());
        assert!(LabelFields::parse("a\u{7}b", "#000000").is_err());
        assert!(LabelFields::parse(&"é".repeat(40), "#000000").is_ok());
    }

    #[test]
    fn names_are_the_same_ignoring_case_in_any_script() {
        assert!(same_name("Refund", "rEFUND"));
        assert!(same_name("Rückgabe", "RÜCKGABE"));
        assert!(same_name("Éléphant", "éLÉPHANT"));
        assert!(!same_name("Refund", "Refunds"));
    }
}
