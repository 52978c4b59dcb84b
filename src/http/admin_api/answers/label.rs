//! Labels as the admin API shows them.

use serde::Serialize;

use crate::domain::Timestamp;
use crate::domain::label::Label;

/// A label: its name and `#rrggbb` colour.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LabelAnswer {
    pub label_id: String,
    pub name: String,
    #[schema(example = "#3b82f6")]
    pub colour: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl From<&Label> for LabelAnswer {
    fn from(l: &Label) -> Self {
        LabelAnswer {
            label_id: l.id.clone(),
            name: l.name.clone(),
            colour: l.colour.as_str().to_string(),
            created_at: l.created_at,
            updated_at: l.updated_at,
        }
    }
}

impl LabelAnswer {
    pub fn all(labels: &[Label]) -> Vec<LabelAnswer> {
        labels.iter().map(LabelAnswer::from).collect()
    }
}

/// `GET /api/admin/labels`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct LabelList {
    pub labels: Vec<LabelAnswer>,
}

/// One label created, changed or read.
#[derive(Serialize, utoipa::ToSchema)]
pub struct OneLabel {
    pub label: LabelAnswer,
}

/// A label was deleted and taken off every chat.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LabelDeleted {
    pub label_id: String,
}

/// A chat's labels after a change.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChatLabelsAnswer {
    pub session_id: String,
    pub labels: Vec<LabelAnswer>,
}
