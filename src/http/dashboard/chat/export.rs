//! The chat view's Export menu: the transcript as a JSON, CSV or text file, or as a page to
//! print, under the dashboard's cookie session (the same rule and audit as the admin API).

use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{MethodRouter, get};

use super::chat_id;
use crate::domain::export::TranscriptFormat;
use crate::http::dashboard::error::PageResult;
use crate::http::dashboard::hypermedia::ChatUrl;
use crate::http::dashboard::session::DashboardAuth;
use crate::http::download::download;
use crate::http::extract::AppState;
use crate::service::export;

/// One entry of the menu.
pub struct ExportLink {
    pub label: &'static str,
    pub url: String,
    /// The printable page opens in a tab of its own; the files are saved.
    pub opens_page: bool,
}

/// The menu for chat `id`.
pub fn export_links(id: &str) -> Vec<ExportLink> {
    TranscriptFormat::ALL
        .into_iter()
        .map(|format| ExportLink {
            label: match format {
                TranscriptFormat::Json => "JSON",
                TranscriptFormat::Csv => "CSV (spreadsheet)",
                TranscriptFormat::Text => "Plain text",
                TranscriptFormat::Html => "Printable page",
            },
            url: ChatUrl::Export(format).of(id),
            opens_page: format == TranscriptFormat::Html,
        })
        .collect()
}

/// `GET /admin/chats/{id}/export.<ext>` for `format`.
pub fn export_route(format: TranscriptFormat) -> MethodRouter<AppState> {
    get(
        move |ctx: State<AppState>, auth: DashboardAuth, id: Path<String>| {
            export_file(ctx, auth, id, format)
        },
    )
}

async fn export_file(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
    Path(id): Path<String>,
    format: TranscriptFormat,
) -> PageResult<Response> {
    let id = chat_id(&id)?;
    let doc = export::chat_transcript(&ctx, &session.agent, id.as_str(), format).await?;
    Ok(download(export::render(&doc, format)?))
}
