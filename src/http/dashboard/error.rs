//! How dashboard errors look: a sign-in redirect, an error page for plain requests, and for
//! htmx requests the same page plus an `X-Frontdesk-Message` header the page script shows as
//! a toast. The page shows the request id, so an agent can quote it to whoever reads the logs.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use super::hypermedia::Url;
use crate::error::{Error, InternalError};
use crate::http::envelope::InternalErrorDetail;
use crate::http::request_id;

#[derive(Debug)]
pub enum PageError {
    /// Not signed in (or the session ended): go to the sign-in page.
    SignIn,
    Forbidden(String),
    NotFound(String),
    BadRequest(String),
    Conflict(String),
    TooMany(String),
    Internal(InternalError),
}

impl From<Error> for PageError {
    fn from(e: Error) -> Self {
        let message = e.to_string();
        match e {
            Error::Unauthenticated(_) => PageError::SignIn,
            Error::Forbidden(_) => PageError::Forbidden(message),
            Error::SessionNotFound | Error::NotFound(_) => PageError::NotFound(message),
            Error::Validation { .. }
            | Error::InvalidRating
            | Error::InvalidCursor
            | Error::FileTooLarge { .. }
            | Error::UnsupportedFileType(_) => PageError::BadRequest(message),
            Error::RateLimited { .. } | Error::TooManySessions | Error::SignInLocked { .. } => {
                PageError::TooMany(message)
            }
            Error::Internal(internal) => PageError::Internal(internal),
            Error::SessionEnded
            | Error::SessionActive
            | Error::AlreadyRated
            | Error::DuplicateMessageId
            | Error::AgentAtCapacity
            | Error::AlreadyAssigned
            | Error::Conflict(_)
            | Error::SessionExpired
            | Error::StorageFull
            | Error::TooManyAttachments
            | Error::Unavailable(_) => PageError::Conflict(message),
        }
    }
}

#[derive(Template)]
#[template(path = "dashboard/error_page.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: &'a str,
    request_id: Option<String>,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, title, message, internal) = match self {
            PageError::SignIn => {
                let mut response = (
                    StatusCode::SEE_OTHER,
                    [(header::LOCATION, Url::Login.as_str())],
                )
                    .into_response();
                response
                    .headers_mut()
                    .insert("hx-redirect", HeaderValue::from_static(Url::Login.as_str()));
                return response;
            }
            PageError::Forbidden(m) => (StatusCode::FORBIDDEN, "Not allowed", m, None),
            PageError::NotFound(m) => (StatusCode::NOT_FOUND, "Not found", m, None),
            PageError::BadRequest(m) => (StatusCode::BAD_REQUEST, "Please check the form", m, None),
            PageError::Conflict(m) => (StatusCode::CONFLICT, "That did not work", m, None),
            PageError::TooMany(m) => (StatusCode::TOO_MANY_REQUESTS, "Too many attempts", m, None),
            PageError::Internal(internal) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "Something went wrong on our side; please try again.".to_string(),
                Some(internal),
            ),
        };
        let body = ErrorPage {
            title,
            message: &message,
            request_id: request_id::current(),
        }
        .render()
        .unwrap_or_else(|_| message.clone());
        let mut response = (status, Html(body)).into_response();
        // Header values must be visible ASCII; our messages are, but be safe.
        let ascii: String = message
            .chars()
            .map(|c| {
                if c.is_ascii() && !c.is_ascii_control() {
                    c
                } else {
                    '?'
                }
            })
            .collect();
        if let Ok(value) = HeaderValue::from_str(&ascii) {
            response.headers_mut().insert("x-frontdesk-message", value);
        }
        if let Some(internal) = internal {
            InternalErrorDetail::attach(internal, &mut response);
        }
        response
    }
}

pub type PageResult<T> = Result<T, PageError>;
