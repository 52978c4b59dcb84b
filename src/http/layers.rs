//! What the tower-http layers around the router are told to do: the span each request runs in,
//! the one log line an internal error gets, and the envelope a panicking handler answers with.

use std::any::Any;
use std::time::Duration;

use axum::body::Body;
use axum::extract::MatchedPath;
use axum::http::{Request, Response};
use axum::response::IntoResponse;
use tower_http::catch_panic::ResponseForPanic;
use tower_http::request_id::RequestId;
use tower_http::trace::{MakeSpan, OnResponse};
use tracing::Span;

use super::envelope::{ApiError, InternalErrorDetail};
use super::request_id;
use crate::error::Error;

/// One span per request: method, matched route (recorded once routing has found it) and id.
/// At debug level: an enabled span costs a few microseconds per request (its fields are
/// formatted when it opens), a sizeable share of an empty poll, so it is there when asked for
/// (`RUST_LOG=frontdesk=debug`) and free otherwise.
#[derive(Clone, Copy, Debug, Default)]
pub struct RequestSpan;

impl<B> MakeSpan<B> for RequestSpan {
    fn make_span(&mut self, request: &Request<B>) -> Span {
        let id = request
            .extensions()
            .get::<RequestId>()
            .and_then(|id| id.header_value().to_str().ok())
            .unwrap_or_default();
        tracing::debug_span!(
            "request",
            method = %request.method(),
            route = tracing::field::Empty,
            request_id = id,
        )
    }
}

/// Fills the span's `route` with the path pattern the router matched (`/api/chat/poll/{id}`),
/// never the raw path, which carries session ids.
pub fn record_route(request: Request<Body>) -> Request<Body> {
    if let Some(route) = request.extensions().get::<MatchedPath>() {
        Span::current().record("route", route.as_str());
    }
    request
}

/// Logs an internal error once, with its cause chain and the request's id, method and path
/// written on the line itself (the span is off at the default level); every answer at debug
/// level. Runs inside `request_id::ScopeLayer`, which is where the method and path come from.
#[derive(Clone, Copy, Debug, Default)]
pub struct LogResponse;

impl<B> OnResponse<B> for LogResponse {
    fn on_response(self, response: &Response<B>, latency: Duration, _span: &Span) {
        let status = response.status().as_u16();
        if let Some(InternalErrorDetail(error)) = response.extensions().get::<InternalErrorDetail>()
        {
            let request_id = response
                .headers()
                .get(request_id::HEADER)
                .and_then(|id| id.to_str().ok())
                .unwrap_or_default();
            let (method, path) = request_id::with_current(|answering| {
                (answering.method.clone(), answering.uri.path().to_owned())
            })
            .unwrap_or_default();
            tracing::error!(
                request_id,
                %method,
                path,
                status,
                error = %error.chain(),
                "internal error"
            );
        }
        tracing::debug!(status, micros = latency.as_micros() as u64, "answered");
    }
}

/// A panicking handler answers 500 `INTERNAL_ERROR` in the envelope, never a bare body; the
/// panic message goes to the log (through `LogResponse`), not to the client.
#[derive(Clone, Copy, Debug, Default)]
pub struct PanicAnswer;

impl ResponseForPanic for PanicAnswer {
    type ResponseBody = Body;

    fn response_for_panic(&mut self, panic: Box<dyn Any + Send + 'static>) -> Response<Body> {
        let detail = panic
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| panic.downcast_ref::<&str>().copied())
            .unwrap_or("(no message)");
        ApiError::from(Error::internal(format!("handler panicked: {detail}"))).into_response()
    }
}
