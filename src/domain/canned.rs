//! Canned responses: reusable replies with a unique shortcut (`/refund`).

use super::Timestamp;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CannedResponse {
    pub id: String,
    pub title: String,
    /// Unique among canned responses, stored with its leading `/`.
    pub shortcut: String,
    pub body: String,
    pub created_by: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A canned response's editable fields, already validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CannedFields {
    pub title: String,
    pub shortcut: String,
    pub body: String,
}
