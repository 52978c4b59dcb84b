//! Exports (SPEC.md section 12): a chat's transcript as JSON, CSV, plain text or a printable
//! page; every message stored in a stretch of time, streamed for the command line (`range`);
//! and everything stored about one person, for privacy requests (`person`).

mod csv;
mod html;
pub mod person;
pub mod range;
mod text;
mod transcript;

use chrono::DateTime;
use serde_json::json;

use super::{AgentPrincipal, Services};
use crate::domain::audit::NewAuditEvent;
use crate::domain::export::TranscriptFormat;
use crate::domain::{Permission, Timestamp};
use crate::error::{Error, Result};

pub use transcript::{ChatTranscript, TranscriptExport};

/// A transcript written out as a file.
#[derive(Debug)]
pub struct Download {
    pub file_name: String,
    pub media_type: &'static str,
    /// To show in the browser (the printable page) rather than save.
    pub inline: bool,
    /// The SHA-256 (base64) of the page's one inline style block; `None` for files that are
    /// not pages. Nothing else in a download may load or run.
    pub style_sha256: Option<&'static str>,
    pub body: Vec<u8>,
}

/// The transcript of chat `session_id`, for an agent whose role may read chats. The export is
/// audited (`chat_export`, with the format, never the content) before it is handed over.
#[tracing::instrument(skip_all, err(level = "debug"), fields(agent_id = %actor.id, session_id = %session_id))]
pub async fn chat_transcript(
    ctx: &Services,
    actor: &AgentPrincipal,
    session_id: &str,
    format: TranscriptFormat,
) -> Result<TranscriptExport> {
    actor.require(Permission::ViewChats)?;
    let record = super::transcript::current_record(ctx, session_id).await?;
    let now = ctx.clock.now();
    ctx.store
        .record_audit(NewAuditEvent {
            at: now,
            agent_id: Some(actor.id.clone()),
            action: "chat_export".into(),
            session_id: Some(session_id.to_string()),
            detail: Some(json!({ "format": format.as_str() })),
        })
        .await?;
    Ok(TranscriptExport {
        exported_at: now,
        transcript: ChatTranscript::of(&record),
    })
}

/// `doc` as a file in `format`. JSON is the document itself, indented for people.
pub fn render(doc: &TranscriptExport, format: TranscriptFormat) -> Result<Download> {
    let (body, style_sha256) = match format {
        TranscriptFormat::Json => (
            serde_json::to_vec_pretty(doc)
                .map_err(|e| Error::internal_from("writing a transcript as JSON", e))?,
            None,
        ),
        TranscriptFormat::Csv => (csv::transcript_csv(doc)?, None),
        TranscriptFormat::Text => (text::transcript_text(doc).into_bytes(), None),
        TranscriptFormat::Html => (
            html::transcript_html(doc)?.into_bytes(),
            Some(html::STYLE_SHA256.as_str()),
        ),
    };
    Ok(Download {
        file_name: format.file_name(&doc.transcript.chat.session_id),
        media_type: format.media_type(),
        inline: format == TranscriptFormat::Html,
        style_sha256,
        body,
    })
}

/// `2026-01-31 14:05:09 UTC`: times as the text and page formats show them.
fn utc(t: Timestamp) -> String {
    DateTime::from_timestamp_millis(t.0)
        .unwrap_or_default()
        .format("%Y-%m-%d %H:%M:%S UTC")
        .to_string()
}

#[cfg(test)]
mod tests;
