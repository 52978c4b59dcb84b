//! CORS for the client API only (`/api/chat/*`): websites listed in `ALLOWED_ORIGINS` may call
//! it from a browser with a bearer token (never cookies). The admin API and the dashboard get
//! no CORS headers at all.
//!
//! The layer sits around the whole router (not on each route) and is used only for client-API
//! paths: a preflight is answered by the layer before routing, so it never meets the
//! method-not-allowed fallback, and polls do not pay for a per-route layer.

use std::convert::Infallible;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, Method, Request, Response, header};
use futures_util::future::Either;
use tower::{Layer, Service};
use tower_http::cors::{AllowOrigin, Cors, CorsLayer, ResponseFuture};

/// How long a browser may cache a preflight answer.
const PREFLIGHT_MAX_AGE: Duration = Duration::from_secs(600);

const LAST_EVENT_ID: HeaderName = HeaderName::from_static("last-event-id");
const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The client API's CORS rules for the listed origins (already normalised by the settings);
/// an empty list allows no other origin.
pub fn client_api_layer(origins: &[String]) -> CorsLayer {
    let origins: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            LAST_EVENT_ID,
            X_REQUEST_ID,
        ])
        .expose_headers([X_REQUEST_ID])
        .max_age(PREFLIGHT_MAX_AGE)
}

/// Whether the request goes through the CORS layer: client-API requests from a browser (they
/// carry `Origin`; a phone's polls do not, so the hot path skips the layer, and every API answer
/// is `no-store`, so no cache needs a `Vary` on them), and of OPTIONS requests only real
/// preflights (the layer would answer any OPTIONS with an empty 200; a bare one keeps its 405
/// in the envelope).
fn wants_cors<B>(request: &Request<B>) -> bool {
    (request.uri().path().starts_with("/api/chat/")
        || request.uri().path().starts_with("/socket.io/"))
        && request.headers().contains_key(header::ORIGIN)
        && (request.method() != Method::OPTIONS
            || request
                .headers()
                .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD))
}

/// `inner` with CORS for client-API paths and untouched for every other path.
#[derive(Clone)]
pub struct ClientCors<S> {
    with_cors: Cors<S>,
    plain: S,
}

impl<S: Clone> ClientCors<S> {
    pub fn new(inner: S, layer: &CorsLayer) -> Self {
        ClientCors {
            with_cors: layer.layer(inner.clone()),
            plain: inner,
        }
    }
}

impl<S> Service<Request<Body>> for ClientCors<S>
where
    S: Service<Request<Body>, Response = Response<Body>, Error = Infallible>,
{
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Either<ResponseFuture<S::Future>, S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        // Both are clones of the router, which is always ready; asking both keeps the
        // contract whichever one the request goes to.
        ready!(self.with_cors.poll_ready(cx))?;
        self.plain.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        if wants_cors(&request) {
            Either::Left(self.with_cors.call(request))
        } else {
            Either::Right(self.plain.call(request))
        }
    }
}
