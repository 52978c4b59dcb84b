//! A rating as a user sends it: a whole number 1..=5.

use serde_json::Value;

use crate::error::{Error, Result};

/// A validated rating value, 1..=5. (`Rating` is already the stored rating record.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RatingValue(i64);

impl RatingValue {
    /// Accepts a JSON whole number 1..=5 (`4` or `4.0`); anything else is INVALID_RATING.
    pub fn parse(value: &Value) -> Result<Self> {
        match value.as_i64() {
            Some(r) => Self::from_number(r),
            None => match value.as_f64() {
                Some(f) if f.fract() == 0.0 && (1.0..=5.0).contains(&f) => {
                    Ok(RatingValue(f as i64))
                }
                _ => Err(Error::InvalidRating),
            },
        }
    }

    /// A rating from a number already read (a form field, say).
    pub fn from_number(rating: i64) -> Result<Self> {
        if (1..=5).contains(&rating) {
            Ok(RatingValue(rating))
        } else {
            Err(Error::InvalidRating)
        }
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn whole_numbers_one_to_five() {
        for (value, want) in [
            (json!(1), Some(1)),
            (json!(5), Some(5)),
            (json!(4.0), Some(4)),
        ] {
            assert_eq!(RatingValue::parse(&value).ok().map(RatingValue::get), want);
        }
    }

    #[test]
    fn everything_else_is_invalid_rating() {
        for value in [
            json!(0),
            json!(6),
            json!(-1),
            json!(4.5),
            json!("5"),
            json!(null),
            json!(true),
            json!([5]),
            json!(i64::MAX),
            json!(u64::MAX),
            json!(1e300),
        ] {
            assert!(
                matches!(RatingValue::parse(&value), Err(Error::InvalidRating)),
                "{value}"
            );
        }
    }
}
