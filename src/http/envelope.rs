//! The JSON envelope every API answer uses, and `ApiError`: how a domain error (or a transport
//! failure such as malformed JSON) is shown to API clients.
//!
//! Success: `{"success": true, "data": {...}, "message": "..."}`.
//! Error: `{"success": false, "message": "...", "error": {"code", "message", "details"},
//! "timestamp": "..."}`. The top-level `message` repeats the human text because the shipped
//! mobile client shows `body.message`.

use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};

use super::request_id;
use crate::domain::Timestamp;
use crate::error::{Error, InternalError};

/// A successful answer: `data` plus a human message.
pub struct ApiOk<T> {
    pub data: T,
    pub message: &'static str,
}

impl<T: Serialize> ApiOk<T> {
    pub fn new(message: &'static str, data: T) -> Self {
        ApiOk { data, message }
    }
}

/// The body of every success: what `ApiOk` writes, and its schema in the OpenAPI document.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Envelope<T> {
    /// Always `true`.
    pub success: bool,
    pub data: T,
    /// A human-readable summary of what was done.
    pub message: &'static str,
}

impl<T: Serialize> IntoResponse for ApiOk<T> {
    fn into_response(self) -> Response {
        let body = Envelope {
            success: true,
            data: self.data,
            message: self.message,
        };
        // Sized for a typical answer so that writing it does not grow the buffer repeatedly.
        let mut bytes = Vec::with_capacity(512);
        match serde_json::to_writer(&mut bytes, &body) {
            Ok(()) => json_response(StatusCode::OK, bytes),
            Err(e) => {
                ApiError::from(Error::internal(format!("serialising answer: {e}"))).into_response()
            }
        }
    }
}

pub(crate) fn json_response(status: StatusCode, bytes: Vec<u8>) -> Response {
    let mut response = (status, bytes).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// The internal error behind a 500 response, attached to it so that the trace layer logs it
/// once, with its causes and the request id. Never serialised.
#[derive(Clone, Debug)]
pub struct InternalErrorDetail(pub Arc<InternalError>);

impl InternalErrorDetail {
    /// Attaches `internal` to `response`, for an answer built by hand rather than through
    /// `ApiError` or `PageError`.
    pub fn attach(internal: InternalError, response: &mut Response) {
        response
            .extensions_mut()
            .insert(InternalErrorDetail(Arc::new(internal)));
    }
}

/// The body of every error answer, and its schema in the OpenAPI document.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorEnvelope {
    /// Always `false`.
    pub success: bool,
    /// The human-readable error, repeated from `error.message` for clients that show
    /// `body.message`.
    pub message: String,
    pub error: ErrorObject,
    pub timestamp: Timestamp,
}

/// What went wrong, for programs (`code`) and people (`message`).
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorObject {
    /// A stable code such as `VALIDATION_ERROR`, `SESSION_NOT_FOUND` or `RATE_LIMITED`.
    #[schema(value_type = String, example = "VALIDATION_ERROR")]
    pub code: &'static str,
    pub message: String,
    /// Always an object: `field` names the failing input, `requestId` the request's log
    /// lines, `retryAfterSeconds` when to try again.
    #[schema(value_type = Object)]
    pub details: Value,
}

/// An error as an API client sees it.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Boxed: a `Value` object is large and every handler returns `Result<_, ApiError>`.
    pub details: Box<Value>,
    pub retry_after: Option<Duration>,
    internal: Option<InternalError>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            details: Box::new(json!({})),
            retry_after: None,
            internal: None,
        }
    }

    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Box::new(details);
        self
    }

    pub fn route_not_found() -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "NOT_FOUND", "No such endpoint")
    }

    pub fn method_not_allowed() -> Self {
        ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            "This endpoint does not accept that HTTP method",
        )
    }

    pub fn payload_too_large() -> Self {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
            "The request body is too large",
        )
    }

    pub fn unsupported_media_type() -> Self {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            "Send the body as JSON with Content-Type: application/json",
        )
    }

    pub fn malformed(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "VALIDATION_ERROR", message)
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        use StatusCode as S;
        let message = e.to_string();
        let (status, code) = match &e {
            Error::Validation { .. } => (S::BAD_REQUEST, "VALIDATION_ERROR"),
            Error::InvalidRating => (S::BAD_REQUEST, "INVALID_RATING"),
            Error::InvalidCursor => (S::BAD_REQUEST, "INVALID_CURSOR"),
            Error::Unauthenticated(_) => (S::UNAUTHORIZED, "AUTHENTICATION_FAILED"),
            Error::Forbidden(_) => (S::FORBIDDEN, "FORBIDDEN"),
            Error::SessionNotFound => (S::NOT_FOUND, "SESSION_NOT_FOUND"),
            Error::NotFound(_) => (S::NOT_FOUND, "NOT_FOUND"),
            Error::SessionEnded => (S::CONFLICT, "SESSION_ENDED"),
            Error::SessionActive => (S::CONFLICT, "SESSION_ACTIVE"),
            Error::AlreadyRated => (S::CONFLICT, "ALREADY_RATED"),
            Error::DuplicateMessageId => (S::CONFLICT, "DUPLICATE_MESSAGE_ID"),
            Error::AgentAtCapacity => (S::CONFLICT, "AGENT_AT_CAPACITY"),
            Error::AlreadyAssigned => (S::CONFLICT, "ALREADY_ASSIGNED"),
            Error::Conflict(_) => (S::CONFLICT, "CONFLICT"),
            Error::SessionExpired => (S::GONE, "SESSION_EXPIRED"),
            Error::RateLimited { .. } => (S::TOO_MANY_REQUESTS, "RATE_LIMITED"),
            Error::Internal(_) => (S::INTERNAL_SERVER_ERROR, "INTERNAL_ERROR"),
            Error::TooManySessions => (S::TOO_MANY_REQUESTS, "TOO_MANY_SESSIONS"),
            Error::SignInLocked { .. } => (S::TOO_MANY_REQUESTS, "RATE_LIMITED"),
            Error::FileTooLarge { .. } => (S::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE"),
            Error::UnsupportedFileType(_) => (S::UNSUPPORTED_MEDIA_TYPE, "UNSUPPORTED_FILE_TYPE"),
            Error::StorageFull => (S::INSUFFICIENT_STORAGE, "STORAGE_FULL"),
            Error::TooManyAttachments => (S::CONFLICT, "TOO_MANY_ATTACHMENTS"),
            Error::Unavailable(_) => (S::SERVICE_UNAVAILABLE, "NOT_AVAILABLE"),
        };
        let mut api = ApiError::new(status, code, message);
        match e {
            Error::Validation { field, .. } => api.details = Box::new(json!({ "field": field })),
            Error::FileTooLarge { max_bytes } => {
                api.details = Box::new(json!({ "maxBytes": max_bytes }));
            }
            Error::RateLimited { retry_after } | Error::SignInLocked { retry_after } => {
                let seconds = retry_after.as_secs_f64().ceil() as u64;
                api.details = Box::new(json!({ "retryAfterSeconds": seconds.max(1) }));
                api.retry_after = Some(retry_after);
            }
            Error::Internal(internal) => {
                api.message = "Something went wrong on our side; please try again".into();
                api.internal = Some(internal);
            }
            _ => {}
        }
        api
    }
}

impl IntoResponse for ApiError {
    fn into_response(mut self) -> Response {
        // The id lets a user quote the failure and support find its log lines.
        if let (Some(id), Value::Object(details)) = (request_id::current(), &mut *self.details) {
            details.insert("requestId".into(), Value::String(id));
        }
        let body = ErrorEnvelope {
            success: false,
            message: self.message.clone(),
            error: ErrorObject {
                code: self.code,
                message: self.message,
                details: *self.details,
            },
            timestamp: Timestamp(chrono::Utc::now().timestamp_millis()),
        };
        let bytes = serde_json::to_vec(&body).unwrap_or_else(|_| {
            br#"{"success":false,"message":"Internal error","error":{"code":"INTERNAL_ERROR","message":"Internal error","details":{}}}"#.to_vec()
        });
        let mut response = json_response(self.status, bytes);
        if let Some(wait) = self.retry_after {
            let seconds = (wait.as_secs_f64().ceil() as u64).max(1);
            if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        if let Some(internal) = self.internal {
            InternalErrorDetail::attach(internal, &mut response);
        }
        response
    }
}

pub type ApiResult<T> = Result<ApiOk<T>, ApiError>;

impl ApiError {
    /// 414: the request target is over the edge limit.
    pub fn uri_too_long() -> Self {
        ApiError::new(
            StatusCode::URI_TOO_LONG,
            "URI_TOO_LONG",
            "The request URL is too long",
        )
    }

    /// 431: the header block is over the edge limit.
    pub fn headers_too_large() -> Self {
        ApiError::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "HEADERS_TOO_LARGE",
            "The request headers are too large",
        )
    }

    /// 400: a path segment that is not valid percent-encoded UTF-8 or not of the right type.
    pub fn bad_path() -> Self {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
            "The URL path could not be decoded",
        )
        .with_details(json!({ "field": "path" }))
    }
}
