//! Attachments over HTTP: the upload endpoints of the client and admin APIs (multipart, with a
//! body limit of their own, read by [`super::uploads`]) and the signed file links.

use axum::Router;
use axum::body::Body;
use axum::extract::multipart::MultipartRejection;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Multipart, Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use tower::ServiceExt;
use tower_http::services::ServeFile;
use utoipa_axum::router::UtoipaMethodRouterExt;
use utoipa_axum::routes;

use super::api::answers::AttachmentAnswer;
use super::download::content_disposition;
use super::envelope::{ApiError, ApiOk, ApiResult, Envelope, ErrorEnvelope};
use super::extract::{AgentAuth, AppState, UserAuth, bearer_token};
use super::openapi::ApiRouter;
use super::uploads::{receive_upload, upload_body_limit};
use crate::auth::FileVariant;
use crate::error::Error;
use crate::service::agents;
use crate::service::attachments::{self, FileRequest, UploadBy};
use crate::store::attachments::StoredFile;

/// The upload endpoints, each with the upload body limit.
pub fn api_routes(ctx: &AppState) -> ApiRouter {
    ApiRouter::new()
        .routes(routes!(user_upload).layer(upload_body_limit(ctx)))
        .routes(routes!(agent_upload).layer(upload_body_limit(ctx)))
}

/// The signed file links (not part of the API document: they answer files, not JSON).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/files/{id}", get(original))
        .route("/files/{id}/thumb", get(thumbnail))
}

/// An upload: `sessionId` first, then `file`.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct UploadForm {
    /// The chat the file is for; must come before `file`.
    #[schema(pattern = "^[A-Za-z0-9_.:-]{1,128}$")]
    session_id: String,
    /// The file itself (at most `MAX_ATTACHMENT_BYTES`; images, PDF and common documents).
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// Upload a file to a chat
///
/// A multipart form with `sessionId` then `file`. The answer's `attachmentId` goes in a
/// message's `attachments`; its links are signed and expire.
#[utoipa::path(
    post,
    path = "/api/chat/attachments",
    tag = "attachments",
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "The file is stored", body = Envelope<AttachmentAnswer>),
        (status = 400, description = "`VALIDATION_ERROR`: not a multipart form, or `sessionId` or `file` missing", body = ErrorEnvelope),
        (status = 404, description = "`SESSION_NOT_FOUND`", body = ErrorEnvelope),
        (status = 409, description = "`SESSION_ENDED` or `TOO_MANY_ATTACHMENTS`", body = ErrorEnvelope),
        (status = 413, description = "`PAYLOAD_TOO_LARGE`, with `details.maxBytes`", body = ErrorEnvelope),
        (status = 415, description = "`UNSUPPORTED_FILE_TYPE`", body = ErrorEnvelope),
        (status = 507, description = "`STORAGE_FULL`", body = ErrorEnvelope),
    ),
    security(("bearerAuth" = [])),
)]
async fn user_upload(
    State(ctx): State<AppState>,
    UserAuth(user): UserAuth,
    form: Result<Multipart, MultipartRejection>,
) -> ApiResult<AttachmentAnswer> {
    let stored = receive_upload(&ctx, UploadBy::User(&user), None, form?).await?;
    Ok(ApiOk::new(
        "File uploaded successfully",
        AttachmentAnswer::of(&stored, &ctx.file_links),
    ))
}

/// Upload a file to a chat, as an agent
///
/// As the client upload; the file is then sent with `/api/admin/chat/message`.
#[utoipa::path(
    post,
    path = "/api/admin/chat/attachments",
    tag = "attachments",
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "The file is stored", body = Envelope<AttachmentAnswer>),
        (status = 400, description = "`VALIDATION_ERROR`: not a multipart form, or `sessionId` or `file` missing", body = ErrorEnvelope),
        (status = 403, description = "`FORBIDDEN`: the role may not do this", body = ErrorEnvelope),
        (status = 404, description = "`SESSION_NOT_FOUND`", body = ErrorEnvelope),
        (status = 409, description = "`SESSION_ENDED` or `TOO_MANY_ATTACHMENTS`", body = ErrorEnvelope),
        (status = 413, description = "`PAYLOAD_TOO_LARGE`, with `details.maxBytes`", body = ErrorEnvelope),
        (status = 415, description = "`UNSUPPORTED_FILE_TYPE`", body = ErrorEnvelope),
        (status = 507, description = "`STORAGE_FULL`", body = ErrorEnvelope),
    ),
    security(("agentToken" = [])),
)]
async fn agent_upload(
    State(ctx): State<AppState>,
    AgentAuth(agent): AgentAuth,
    form: Result<Multipart, MultipartRejection>,
) -> ApiResult<AttachmentAnswer> {
    let stored = receive_upload(&ctx, UploadBy::Agent(&agent), None, form?).await?;
    Ok(ApiOk::new(
        "File uploaded successfully",
        AttachmentAnswer::of(&stored, &ctx.file_links),
    ))
}

#[derive(Deserialize)]
struct LinkQuery {
    exp: Option<String>,
    sig: Option<String>,
}

async fn original(
    state: State<AppState>,
    path: Path<String>,
    query: Result<Query<LinkQuery>, QueryRejection>,
    request: Request,
) -> Response {
    serve(state, path, query.ok(), request, FileVariant::Original).await
}

async fn thumbnail(
    state: State<AppState>,
    path: Path<String>,
    query: Result<Query<LinkQuery>, QueryRejection>,
    request: Request,
) -> Response {
    serve(state, path, query.ok(), request, FileVariant::Thumbnail).await
}

/// A file for a signed link, or for a signed-in agent (bearer token or dashboard cookie) without
/// one. Range requests and conditional requests are answered by tower-http's `ServeFile`.
async fn serve(
    State(ctx): State<AppState>,
    Path(id): Path<String>,
    query: Option<Query<LinkQuery>>,
    request: Request,
    variant: FileVariant,
) -> Response {
    let opened = match authorise(&ctx, &id, query.map(|q| q.0), request.headers(), variant).await {
        Ok(file) => file,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let (path, mime) = match variant {
        FileVariant::Original => (opened.path.clone(), opened.attachment.kind.mime()),
        FileVariant::Thumbnail => (
            opened
                .thumbnail_path
                .clone()
                .expect("checked by the service"),
            thumbnail_mime(&opened),
        ),
    };
    let mut response = match ServeFile::new(path).oneshot(request).await {
        Ok(response) => response.map(Body::new),
        Err(e) => match e {},
    };
    if response.status() == StatusCode::NOT_FOUND {
        return ApiError::from(Error::internal("a stored file is missing from disk"))
            .into_response();
    }
    // The stored name has no extension: the type is the one decided from the content.
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    set_file_headers(response.headers_mut(), &opened, variant);
    response
}

async fn authorise(
    ctx: &AppState,
    id: &str,
    query: Option<LinkQuery>,
    headers: &axum::http::HeaderMap,
    variant: FileVariant,
) -> Result<StoredFile, Error> {
    if let Some(LinkQuery {
        exp: Some(exp),
        sig: Some(sig),
    }) = &query
    {
        let expires = exp.parse::<i64>().map_err(|_| Error::NotFound("File"))?;
        return attachments::open(
            ctx,
            id,
            variant,
            FileRequest::Signed {
                expires,
                signature: sig,
            },
        )
        .await;
    }
    // No signature: only a signed-in agent.
    let agent = match bearer_token(headers) {
        Some(token) => agents::authenticate_token(ctx, token).await.ok(),
        None => super::dashboard::agent_from_cookie(ctx, headers).await,
    };
    match agent {
        Some(agent) => attachments::open(ctx, id, variant, FileRequest::Agent(&agent)).await,
        None => Err(Error::NotFound("File")),
    }
}

fn thumbnail_mime(file: &StoredFile) -> &'static str {
    // Thumbnails are JPEG for JPEG photos and PNG for everything else.
    if file.attachment.kind == crate::domain::FileKind::Jpeg {
        "image/jpeg"
    } else {
        "image/png"
    }
}

/// Never active content: no sniffing, a sandbox without any source, and a download for
/// everything that is not a raster image.
fn set_file_headers(headers: &mut axum::http::HeaderMap, file: &StoredFile, variant: FileVariant) {
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox; default-src 'none'"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=3600"),
    );
    let inline = variant == FileVariant::Thumbnail || file.attachment.kind.is_raster_image();
    let disposition = content_disposition(&file.attachment.name, inline);
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
}
