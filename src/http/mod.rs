//! Transport only: routes, extractors and how answers look. Handlers parse, call one service
//! function and shape the result.

pub mod admin_api;
pub mod api;
mod assets;
pub mod dashboard;
pub mod envelope;
pub mod extract;
mod guard;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use axum::routing::get;
use serde_json::json;
use tower::{Layer, ServiceBuilder};
use tower_http::set_header::{SetResponseHeader, SetResponseHeaderLayer};

use envelope::{ApiError, ApiOk};
use extract::AppState;
use guard::{Guard, GuardLayer};

/// The whole HTTP surface: the routes, wrapped once in the layers every request passes.
///
/// The layers wrap the router as one service instead of going through `Router::layer`, which
/// would wrap every route separately: axum clones a route's boxed service on each request, so
/// per-route layers cost allocations on the hottest path (polls).
pub fn service(ctx: AppState) -> HttpService {
    let body_limit = ctx.settings.max_body_bytes;
    let router = Router::new()
        .merge(api::routes())
        .merge(admin_api::routes())
        .merge(dashboard::routes(ctx.clone()))
        .merge(assets::routes())
        .route("/healthz", get(health))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(ctx);
    ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(GuardLayer)
        .layer(DefaultBodyLimit::max(body_limit))
        .service(router)
}

/// The HTTP service `service` builds, as `app::run` serves it.
pub type HttpService = SetResponseHeader<
    SetResponseHeader<Guard<<DefaultBodyLimit as Layer<Router>>::Service>, HeaderValue>,
    HeaderValue,
>;

async fn health() -> ApiOk<serde_json::Value> {
    ApiOk::new("ok", json!({ "status": "ok" }))
}

async fn not_found() -> ApiError {
    ApiError::route_not_found()
}

async fn method_not_allowed() -> ApiError {
    ApiError::method_not_allowed()
}
