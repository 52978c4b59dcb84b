//! The reply box's uploads: `POST /admin/chats/{id}/attachments` with the dashboard's cookie
//! and CSRF token, a multipart `file`. The page script reads the answer, so it is the admin
//! API's JSON, errors in the same envelope.

use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, State};

use crate::http::api::answers::AttachmentAnswer;
use crate::http::dashboard::session::DashboardAuth;
use crate::http::envelope::{ApiOk, ApiResult};
use crate::http::extract::{AppState, session_path};
use crate::http::uploads::receive_upload;
use crate::service::attachments::UploadBy;

pub async fn upload(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
    Path(id): Path<String>,
    form: Result<Multipart, MultipartRejection>,
) -> ApiResult<AttachmentAnswer> {
    let id = session_path(&id)?;
    let stored = receive_upload(&ctx, UploadBy::Agent(&session.agent), Some(id), form?).await?;
    Ok(ApiOk::new(
        "File uploaded successfully",
        AttachmentAnswer::of(&stored, &ctx.file_links),
    ))
}
