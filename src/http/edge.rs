//! Refusals made at the edge, before routing, and the envelope for every API answer: a URL
//! or a header block over the limits answers 414 or 431 in the JSON envelope (hyper's own
//! limits sit above these and answer bare), and an error an extractor or library layer
//! answered in plain text on an `/api` route is re-shaped into the envelope with a stable code.

use std::convert::Infallible;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::http::{HeaderMap, Request, Response, StatusCode, header};
use axum::response::IntoResponse;
use futures_util::FutureExt;
use futures_util::future::{Either, Map, Ready, ready};
use tower::{Layer, Service};

use super::envelope::ApiError;

/// Longest request target (path and query) answered normally. Far above any URL the API
/// makes, and below hyper's own 64 KiB.
pub const MAX_URI_BYTES: usize = 8 * 1024;

/// Largest header block (names, values and their separators) answered normally.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;

/// Most headers answered normally; hyper refuses more than 100 with a bare 431.
pub const MAX_HEADER_COUNT: usize = 64;

/// Wraps a service in [`Edge`].
#[derive(Clone, Copy, Debug, Default)]
pub struct EdgeLayer;

impl<S> Layer<S> for EdgeLayer {
    type Service = Edge<S>;

    fn layer(&self, inner: S) -> Edge<S> {
        Edge { inner }
    }
}

/// The edge checks around the router; see the module documentation.
#[derive(Clone, Debug)]
pub struct Edge<S> {
    inner: S,
}

type Reshape = fn(Result<Response<Body>, Infallible>) -> Result<Response<Body>, Infallible>;
type Answer = fn(ApiError) -> Result<Response<Body>, Infallible>;

/// The future `Edge` answers with: a refusal made at once, or the inner answer (re-shaped
/// into the envelope on API routes).
pub type EdgeFuture<F> = Either<Map<Ready<ApiError>, Answer>, Either<Map<F, Reshape>, F>>;

impl<S> Service<Request<Body>> for Edge<S>
where
    S: Service<Request<Body>, Response = Response<Body>, Error = Infallible>,
{
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = EdgeFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        if let Some(refusal) = refuse(&request) {
            // Answered when polled, inside the request-id scope the envelope reads.
            let answer: Answer = |refusal| Ok(refusal.into_response());
            return Either::Left(ready(refusal).map(answer));
        }
        if is_api(request.uri().path()) {
            let reshape: Reshape = |answer| answer.map(envelope_errors);
            Either::Right(Either::Left(self.inner.call(request).map(reshape)))
        } else {
            Either::Right(Either::Right(self.inner.call(request)))
        }
    }
}

/// The paths whose every answer is JSON; the dashboard and static files answer their own way.
fn is_api(path: &str) -> bool {
    matches!(path, "/api" | "/healthz" | "/readyz" | "/metrics") || path.starts_with("/api/")
}

/// 414 or 431 when the request is over a limit.
fn refuse<B>(request: &Request<B>) -> Option<ApiError> {
    let uri = request.uri();
    let target = uri.path_and_query().map_or(0, |pq| pq.as_str().len());
    if target > MAX_URI_BYTES {
        return Some(ApiError::uri_too_long());
    }
    if headers_too_large(request.headers()) {
        return Some(ApiError::headers_too_large());
    }
    None
}

fn headers_too_large(headers: &HeaderMap) -> bool {
    if headers.len() > MAX_HEADER_COUNT {
        return true;
    }
    // Name, ": ", value and CRLF, as on the wire.
    let bytes: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    bytes > MAX_HEADER_BYTES
}

/// An error answer that is not JSON (an axum extractor's plain-text rejection, a library
/// layer's bare status) becomes the envelope with the code its status stands for; its other
/// headers (`Allow`, `Retry-After`) are kept.
fn envelope_errors(response: Response<Body>) -> Response<Body> {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) || is_json(response.headers()) {
        return response;
    }
    let (parts, _) = response.into_parts();
    let mut answer = ApiError::for_status(status).into_response();
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            answer.headers_mut().insert(name.clone(), value.clone());
        }
    }
    answer
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

impl ApiError {
    /// The envelope for a bare status answered below the handlers, with the stable code that
    /// status stands for.
    pub fn for_status(status: StatusCode) -> ApiError {
        use StatusCode as S;
        match status {
            S::NOT_FOUND => ApiError::route_not_found(),
            S::METHOD_NOT_ALLOWED => ApiError::method_not_allowed(),
            S::PAYLOAD_TOO_LARGE => ApiError::payload_too_large(),
            S::UNSUPPORTED_MEDIA_TYPE => ApiError::unsupported_media_type(),
            S::URI_TOO_LONG => ApiError::uri_too_long(),
            S::REQUEST_HEADER_FIELDS_TOO_LARGE => ApiError::headers_too_large(),
            S::UNAUTHORIZED => ApiError::new(
                status,
                "AUTHENTICATION_FAILED",
                "Authentication is required",
            ),
            S::FORBIDDEN => ApiError::new(status, "FORBIDDEN", "This is not allowed"),
            S::TOO_MANY_REQUESTS => {
                ApiError::new(status, "RATE_LIMITED", "Too many requests; slow down")
            }
            s if s.is_server_error() => ApiError::new(
                S::INTERNAL_SERVER_ERROR,
                "INTERNAL_ERROR",
                "Something went wrong on our side; please try again",
            ),
            _ => ApiError::new(status, "VALIDATION_ERROR", "The request could not be read"),
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::routing::get;
    use tower::ServiceExt;

    use super::*;

    async fn answer(router: Router, request: Request<Body>) -> (StatusCode, serde_json::Value) {
        let response = EdgeLayer.layer(router).oneshot(request).await.unwrap();
        let status = response.status();
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn a_plain_text_rejection_on_an_api_route_becomes_the_envelope() {
        let router = Router::new().route(
            "/api/thing",
            get(|| async { (StatusCode::BAD_REQUEST, "bad path") }),
        );
        let request = Request::get("/api/thing").body(Body::empty()).unwrap();
        let (status, body) = answer(router, request).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["error"]["code"], "VALIDATION_ERROR");
    }

    #[tokio::test]
    async fn other_routes_keep_their_own_answers() {
        let router = Router::new().route(
            "/admin/page",
            get(|| async { (StatusCode::NOT_FOUND, "<p>gone</p>") }),
        );
        let request = Request::get("/admin/page").body(Body::empty()).unwrap();
        let response = EdgeLayer.layer(router).oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert!(
            response.headers()[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/plain")
        );
    }

    #[tokio::test]
    async fn too_many_header_bytes_answer_431() {
        let mut request = Request::get("/admin/page");
        for i in 0..20 {
            request = request.header(format!("x-filler-{i}"), "a".repeat(1000));
        }
        let (status, body) = answer(Router::new(), request.body(Body::empty()).unwrap()).await;
        assert_eq!(status, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
        assert_eq!(body["error"]["code"], "HEADERS_TOO_LARGE");
    }
}
