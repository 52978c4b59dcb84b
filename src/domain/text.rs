//! Validated text: message bodies and the bounded strings of forms and admin requests.

use crate::error::{Error, Result};

/// A message body: trimmed, 1..=max characters (characters, not bytes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageText(String);

impl MessageText {
    pub fn parse(raw: &str, max_chars: usize) -> Result<Self> {
        Ok(MessageText(required_text("message", raw, max_chars)?))
    }

    /// Absent or blank is `None` (a message that carries files needs no words).
    pub fn parse_optional(raw: Option<&str>, max_chars: usize) -> Result<Option<Self>> {
        Ok(optional_text("message", raw, max_chars)?.map(MessageText))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// Trims `raw` and requires 1..=max characters; the error names `field`.
pub fn required_text(field: &'static str, raw: &str, max_chars: usize) -> Result<String> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(Error::validation(
            field,
            format!("{field} must not be empty"),
        ));
    }
    check_len(field, trimmed, max_chars)?;
    Ok(trimmed.to_string())
}

/// Like [`required_text`] but absent or blank means `None`.
pub fn optional_text(
    field: &'static str,
    raw: Option<&str>,
    max_chars: usize,
) -> Result<Option<String>> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => {
            check_len(field, text, max_chars)?;
            Ok(Some(text.to_string()))
        }
    }
}

fn check_len(field: &'static str, text: &str, max_chars: usize) -> Result<()> {
    // Count characters only as far as needed: a 60 KiB body must not cost a full scan twice.
    if text.chars().nth(max_chars).is_some() {
        return Err(Error::validation(
            field,
            format!("{field} must be at most {max_chars} characters"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_bounds_by_characters() {
        assert_eq!(MessageText::parse("  hi \n", 10).unwrap().as_str(), "hi");
        assert!(MessageText::parse("   ", 10).is_err());
        assert!(MessageText::parse(&"é".repeat(10), 10).is_ok());
        assert!(MessageText::parse(&"é".repeat(11), 10).is_err());
        assert!(MessageText::parse(&"😀".repeat(1000), 1000).is_ok());
    }

    #[test]
    fn optional_blank_is_none() {
        assert_eq!(optional_text("bio", Some("  "), 5).unwrap(), None);
        assert_eq!(optional_text("bio", None, 5).unwrap(), None);
        assert!(optional_text("bio", Some("toolong"), 5).is_err());
    }
}
