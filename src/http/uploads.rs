//! Reading an upload: the multipart form of the client API, the admin API and the dashboard's
//! reply box, its body limit, and its errors in the envelope.

use axum::extract::DefaultBodyLimit;
use axum::extract::Multipart;
use axum::extract::multipart::{Field, MultipartError, MultipartRejection};
use axum::http::StatusCode;
use futures_util::TryStreamExt;

use super::envelope::ApiError;
use super::extract::AppState;
use crate::domain::SessionId;
use crate::domain::attachment::Attachment;
use crate::error::Error;
use crate::service::attachments::{self, UploadBy};

/// Room for the multipart framing and the `sessionId` field around the file itself.
const MULTIPART_OVERHEAD: u64 = 64 * 1024;

/// The body limit of an upload route (the dashboard's too): the largest file and its framing.
pub fn upload_body_limit(ctx: &AppState) -> DefaultBodyLimit {
    let limit = usize::try_from(ctx.settings.attachments.max_bytes + MULTIPART_OVERHEAD)
        .unwrap_or(usize::MAX);
    DefaultBodyLimit::max(limit)
}

impl From<MultipartRejection> for ApiError {
    fn from(rejection: MultipartRejection) -> Self {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
            format!(
                "Send the file as multipart/form-data: {}",
                rejection.body_text()
            ),
        )
    }
}

/// Reads a multipart upload (`sessionId`, then `file`) and stores the file. `session_id` is
/// given when the URL names the session (the dashboard); otherwise the form must carry it
/// before the file, so the session is checked before a byte of the file is read.
pub async fn receive_upload(
    ctx: &AppState,
    by: UploadBy<'_>,
    mut session_id: Option<SessionId>,
    mut form: Multipart,
) -> Result<Attachment, Error> {
    let max_bytes = ctx.settings.attachments.max_bytes;
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| form_error(e, max_bytes))?
    {
        match field.name() {
            Some("sessionId") if session_id.is_none() => {
                let text = field.text().await.map_err(|e| form_error(e, max_bytes))?;
                session_id = Some(SessionId::parse(text.trim())?);
            }
            Some("file") => {
                let Some(session_id) = session_id.take() else {
                    return Err(Error::validation(
                        "sessionId",
                        "sessionId must be sent before file",
                    ));
                };
                let name = field.file_name().unwrap_or_default().to_string();
                return attachments::upload(
                    ctx,
                    by,
                    session_id,
                    &name,
                    file_bytes(field, max_bytes),
                )
                .await;
            }
            // Other fields are skipped (drained) so a client's extras do no harm.
            _ => {}
        }
    }
    Err(match session_id {
        None => Error::validation("sessionId", "sessionId is required"),
        Some(_) => Error::validation("file", "file is required"),
    })
}

fn file_bytes(
    field: Field<'_>,
    max_bytes: u64,
) -> impl futures_util::Stream<Item = Result<bytes::Bytes, Error>> + Unpin + '_ {
    field.map_err(move |e| form_error(e, max_bytes))
}

/// A body cut off at the size limit is the file being too large; anything else is a malformed
/// form.
fn form_error(e: MultipartError, max_bytes: u64) -> Error {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        Error::FileTooLarge { max_bytes }
    } else {
        Error::validation(
            "file",
            format!("The upload could not be read: {}", e.body_text()),
        )
    }
}
