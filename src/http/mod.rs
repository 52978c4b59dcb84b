//! Transport only: routes, extractors and how answers look. Handlers parse, call one service
//! function and shape the result.

pub mod admin_api;
pub mod api;
mod assets;
pub mod dashboard;
pub mod envelope;
pub mod extract;

use std::any::Any;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use envelope::{ApiError, ApiOk, InternalErrorDetail};
use extract::AppState;

/// The whole HTTP surface.
pub fn router(ctx: AppState) -> Router {
    let body_limit = ctx.settings.max_body_bytes;
    Router::new()
        .merge(api::routes())
        .merge(admin_api::routes())
        .merge(dashboard::routes(ctx.clone()))
        .merge(assets::routes())
        .route("/healthz", get(health))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(middleware::from_fn(log_internal_errors))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(ctx)
}

async fn health() -> ApiOk<serde_json::Value> {
    ApiOk::new("ok", json!({ "status": "ok" }))
}

async fn not_found() -> ApiError {
    ApiError::route_not_found()
}

async fn method_not_allowed() -> ApiError {
    ApiError::method_not_allowed()
}

/// Logs each internal error once, with its detail (which the client never sees).
async fn log_internal_errors(request: Request, next: Next) -> Response {
    // Cheap clones (the URI shares its bytes): this runs on every request, polls included.
    let method = request.method().clone();
    let uri = request.uri().clone();
    let response = next.run(request).await;
    if let Some(InternalErrorDetail(detail)) = response.extensions().get::<InternalErrorDetail>() {
        tracing::error!(%method, path = uri.path(), error = %detail, "internal error");
    }
    response
}

fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let detail = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("panic");
    tracing::error!(panic = %detail, "request handler panicked");
    ApiError::from(crate::error::Error::internal("handler panicked")).into_response()
}
