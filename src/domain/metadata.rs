//! Free-form metadata a client attaches to a chat (app version, plan, page).

use serde_json::Value;

use crate::error::{Error, Result};

/// Serialised metadata is capped so that one chat cannot carry an unbounded blob.
pub const MAX_METADATA_BYTES: usize = 4096;

/// A JSON object of at most [`MAX_METADATA_BYTES`] bytes, kept serialised.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Metadata(String);

impl Metadata {
    /// `None` and JSON `null` mean no metadata; anything but an object is refused.
    pub fn parse_optional(value: Option<Value>) -> Result<Option<Self>> {
        match value {
            None | Some(Value::Null) => Ok(None),
            Some(value @ Value::Object(_)) => {
                let text = value.to_string();
                if text.len() > MAX_METADATA_BYTES {
                    return Err(Error::validation(
                        "metadata",
                        format!("metadata must be at most {MAX_METADATA_BYTES} bytes of JSON"),
                    ));
                }
                Ok(Some(Metadata(text)))
            }
            Some(_) => Err(Error::validation(
                "metadata",
                "metadata must be a JSON object",
            )),
        }
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
    use serde_json::json;

    use super::*;

    #[test]
    fn objects_are_kept_serialised() {
        let m = Metadata::parse_optional(Some(json!({ "plan": "gold" })))
            .unwrap()
            .unwrap();
        assert_eq!(m.as_str(), r#"{"plan":"gold"}"#);
        assert_eq!(Metadata::parse_optional(None).unwrap(), None);
        assert_eq!(Metadata::parse_optional(Some(Value::Null)).unwrap(), None);
    }

    #[test]
    fn non_objects_and_large_objects_are_refused() {
        let big = json!({ "x": "y".repeat(MAX_METADATA_BYTES) });
        for value in [json!("text"), json!([1]), json!(3), json!(true), big] {
            match Metadata::parse_optional(Some(value)) {
                Err(Error::Validation { field, .. }) => assert_eq!(field, "metadata"),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn the_limit_is_inclusive() {
        // {"x":"…"} is 8 bytes of framing.
        let fits = json!({ "x": "y".repeat(MAX_METADATA_BYTES - 8) });
        assert!(Metadata::parse_optional(Some(fits)).unwrap().is_some());
    }
}
