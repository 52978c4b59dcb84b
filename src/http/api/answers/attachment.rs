//! Files as every answer shows them: metadata plus signed, expiring links.

use serde::Serialize;

use crate::auth::{FileLinks, FileVariant};
use crate::domain::attachment::Attachment;

/// `attachments[]` of a message, and the answer to an upload.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttachmentAnswer {
    pub attachment_id: String,
    pub name: String,
    pub content_type: &'static str,
    pub size: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thumbnail_url: Option<String>,
}

impl AttachmentAnswer {
    pub fn of(a: &Attachment, links: &FileLinks) -> Self {
        AttachmentAnswer {
            attachment_id: a.id.as_str().to_string(),
            name: a.name.clone(),
            content_type: a.kind.mime(),
            size: a.size,
            width: a.width,
            height: a.height,
            url: links.url(a, FileVariant::Original),
            thumbnail_url: links.thumbnail_url(a),
        }
    }

    pub fn list(files: &[Attachment], links: &FileLinks) -> Vec<Self> {
        files
            .iter()
            .map(|a| AttachmentAnswer::of(a, links))
            .collect()
    }
}
