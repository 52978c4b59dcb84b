//! Transport only: routes, extractors and how answers look. Handlers parse, call one service
//! function and shape the result.

pub mod admin_api;
pub mod api;
mod assets;
mod chat_socket;
pub mod cors;
pub mod dashboard;
mod download;
pub mod edge;
pub mod envelope;
pub mod extract;
pub mod files;
mod layers;
mod metrics;
pub mod openapi;
pub mod request_id;
pub mod server;
pub mod socketio;
pub mod uploads;
mod widget;

use axum::Router;
use serde::Serialize;
use tower::Layer;
use tower::util::MapRequestLayer;
use utoipa::ToSchema;
use utoipa_axum::routes;

use envelope::{ApiError, ApiOk, Envelope};
use extract::AppState;
use openapi::ApiRouter;

/// The whole HTTP surface: the routes, wrapped once in the layers every request passes.
///
/// The layers wrap the router as one service instead of going through `Router::layer`, which
/// would wrap every route separately: axum clones a route's boxed service on each request, so
/// per-route layers cost allocations on the hottest path (polls). The one per-route layer
/// only names the matched route in the request's span, so it is there only when the span is on.
///
/// `/metrics` exists only while `METRICS_TOKEN` is set (otherwise it is an unknown route, 404),
/// and only then are requests measured, which needs the route layer too.
pub fn service(ctx: AppState) -> HttpService {
    let body_limit = ctx.settings.max_body_bytes;
    let cors = cors::client_api_layer(&ctx.settings.widget.allowed_origins);
    let (documented, collected) = documented_routes(&ctx).split();
    openapi::publish(collected);
    let measured = ctx.settings.metrics_token.is_some();
    let mut router = Router::new()
        .merge(documented)
        .merge(files::routes())
        .merge(chat_socket::routes())
        .merge(dashboard::routes(ctx.clone()))
        .merge(assets::routes())
        .merge(widget::routes())
        .route_service("/socket.io/", socketio::service(ctx.clone()));
    if measured {
        // Prometheus text, not the envelope: outside the OpenAPI document.
        router = router.route("/metrics", axum::routing::get(metrics::scrape));
    }
    if layers::span_enabled() || measured {
        router = router.route_layer(MapRequestLayer::new(layers::record_route));
    }
    let request_metrics = measured.then(|| ctx.metrics.requests.clone());
    let router = router
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(ctx);
    let router = cors::ClientCors::new(router, &cors);
    layers::wrap(edge::EdgeLayer.layer(router), body_limit, request_metrics)
}

/// The HTTP service `service` builds, as `app::run` serves it.
pub type HttpService = layers::Wrapped<edge::Edge<cors::ClientCors<Router>>>;

/// Every route of the OpenAPI document: the client API, the admin API, the uploads, the
/// document itself and the health checks. Everything under `/api/` is served from here, each
/// route from its handler's `#[utoipa::path]` (the other routers serve pages and files).
pub fn documented_routes(ctx: &AppState) -> ApiRouter {
    api::routes()
        .merge(admin_api::routes())
        .merge(files::api_routes(ctx))
        .merge(openapi::routes())
        .routes(routes!(health))
        .routes(routes!(ready))
}

/// `/healthz` and `/readyz`.
#[derive(Serialize, ToSchema)]
pub struct HealthAnswer {
    /// `ok` (alive) or `ready` (the database takes writes).
    pub status: &'static str,
}

/// Liveness: the process answers.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "operations",
    operation_id = "healthz",
    responses((status = 200, description = "Alive", body = Envelope<HealthAnswer>)),
)]
async fn health() -> ApiOk<HealthAnswer> {
    ApiOk::new("ok", HealthAnswer { status: "ok" })
}

/// Readiness: the database takes a write.
///
/// A load balancer stops sending requests while this answers 503.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "operations",
    operation_id = "readyz",
    responses(
        (status = 200, description = "Ready", body = Envelope<HealthAnswer>),
        (status = 503, description = "NOT_READY: the database does not take writes",
            body = envelope::ErrorEnvelope),
    ),
)]
async fn ready(
    axum::extract::State(ctx): axum::extract::State<AppState>,
) -> Result<ApiOk<HealthAnswer>, ApiError> {
    match crate::service::maintenance::check_ready(&ctx).await {
        Ok(()) => Ok(ApiOk::new("ready", HealthAnswer { status: "ready" })),
        Err(e) => {
            tracing::error!(error = %e, "the database does not take writes");
            Err(ApiError::new(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "NOT_READY",
                "The database does not take writes",
            ))
        }
    }
}

async fn not_found() -> ApiError {
    ApiError::route_not_found()
}

async fn method_not_allowed() -> ApiError {
    ApiError::method_not_allowed()
}
