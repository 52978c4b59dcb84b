//! Exports: a chat's transcript in four formats, and everything stored about one person.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::domain::export::TranscriptFormat;
use crate::http::download::download;
use crate::http::envelope::{ApiError, ApiOk, ApiResult, Envelope, ErrorEnvelope};
use crate::http::extract::{AgentAuth, ApiPath, ApiQuery, AppState, session_path};
use crate::service::export::person::{self, PersonExport};
use crate::service::export::{self, TranscriptExport};

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `json` (the default: the document in the envelope), `csv`, `text` or `html` (a file).
    #[param(pattern = "^(json|csv|text|html)$")]
    format: Option<String>,
}

/// Export a chat's transcript
///
/// The chat (user, channel, status, times, assigned agent, rating), every message in order with
/// the real agent behind each reply and the name the user saw, and the internal notes, marked
/// as internal. `json` answers the document in the envelope; `csv` (one row per message or
/// note), `text` and `html` (a printable page) are files named `chat-<id>.<ext>`. Every role
/// that reads chats may export them; each export is audited (`chat_export`).
#[utoipa::path(
    get,
    path = "/api/admin/chat/session/{session_id}/export",
    tag = "admin: chats",
    params(
        ("session_id" = String, Path, description = "The chat's id"),
        ExportQuery,
    ),
    responses(
        (status = 200, description = "The transcript", content(
            (Envelope<TranscriptExport> = "application/json"),
            (String = "text/csv"),
            (String = "text/plain"),
            (String = "text/html"),
        )),
        (status = 403, description = "`FORBIDDEN`: the role may not do this", body = ErrorEnvelope),
        (status = 404, description = "`SESSION_NOT_FOUND`", body = ErrorEnvelope),
    ),
    security(("agentToken" = [])),
)]
pub async fn export_chat(
    State(ctx): State<AppState>,
    AgentAuth(agent): AgentAuth,
    ApiPath(session_id): ApiPath<String>,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    let format = TranscriptFormat::parse(q.format.as_deref())?;
    let session_id = session_path(&session_id)?;
    let doc = export::chat_transcript(&ctx, &agent, session_id.as_str(), format).await?;
    if format == TranscriptFormat::Json {
        return Ok(ApiOk::new("Transcript exported", doc).into_response());
    }
    Ok(download(export::render(&doc, format)?))
}

/// Export everything stored about one person
///
/// Every chat of the user id (as a user of the business's sign-in and as a guest) with its
/// messages, notes, rating and files' metadata, their push devices and the emails about their
/// chats. An id nothing is stored under answers a document with empty lists. Super admins
/// only; audited (`user_export`) without the content.
#[utoipa::path(
    get,
    path = "/api/admin/users/{user_id}/export",
    tag = "admin: privacy",
    params(
        ("user_id" = String, Path, description = "The user id (a token's `sub`, or a guest's id)"),
    ),
    responses(
        (status = 200, description = "Everything stored about the person", body = Envelope<PersonExport>),
        (status = 403, description = "`FORBIDDEN`: only super admins", body = ErrorEnvelope),
    ),
    security(("agentToken" = [])),
)]
pub async fn export_user(
    State(ctx): State<AppState>,
    AgentAuth(agent): AgentAuth,
    ApiPath(user_id): ApiPath<String>,
) -> ApiResult<PersonExport> {
    let doc = person::export_for_agent(&ctx, &agent, &user_id).await?;
    Ok(ApiOk::new("User data exported", doc))
}
