//! Transport only: routes, extractors and how answers look. Handlers parse, call one service
//! function and shape the result.

pub mod admin_api;
pub mod api;
mod assets;
pub mod dashboard;
pub mod envelope;
pub mod extract;
mod layers;
pub mod request_id;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, Request, header};
use axum::routing::get;
use serde_json::json;
use tower::util::{MapRequest, MapRequestLayer};
use tower::{Layer, ServiceBuilder};
use tower_http::BoxError;
use tower_http::body::UnsyncBoxBody;
use tower_http::catch_panic::{CatchPanic, CatchPanicLayer};
use tower_http::classify::SharedClassifier;
use tower_http::classify::{NeverClassifyEos, ServerErrorsAsFailures, ServerErrorsFailureClass};
use tower_http::map_response_body::{MapResponseBody, MapResponseBodyLayer};
use tower_http::request_id::{
    PropagateRequestId, PropagateRequestIdLayer, SetRequestId, SetRequestIdLayer,
};
use tower_http::set_header::{SetResponseHeader, SetResponseHeaderLayer};
use tower_http::trace::{ResponseBody, Trace, TraceLayer};

use envelope::{ApiError, ApiOk};
use extract::AppState;
use layers::{LogResponse, PanicAnswer, RequestSpan};
use request_id::{MakeUlid, Scope, ScopeLayer};

/// The whole HTTP surface: the routes, wrapped once in the layers every request passes.
///
/// The layers wrap the router as one service instead of going through `Router::layer`, which
/// would wrap every route separately: axum clones a route's boxed service on each request, so
/// per-route layers cost allocations on the hottest path (polls). The one per-route layer
/// only names the matched route in the request's span.
pub fn service(ctx: AppState) -> HttpService {
    let body_limit = ctx.settings.max_body_bytes;
    let router = Router::new()
        .merge(api::routes())
        .merge(admin_api::routes())
        .merge(dashboard::routes(ctx.clone()))
        .merge(assets::routes())
        .route("/healthz", get(health))
        .route_layer(MapRequestLayer::new(layers::record_route))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(ctx);
    wrap(router, body_limit)
}

/// Puts `inner` inside the layers every request passes, outermost first: an unusable incoming
/// `x-request-id` is dropped, then one is set (kept or made) and the request is put in the
/// task-local error answers and the log read, the request gets its span, the id goes back on
/// the response, and a panic becomes a 500 in the envelope (inside the trace layer, so it is
/// logged like any internal error).
fn wrap<S>(inner: S, body_limit: usize) -> Wrapped<S>
where
    DefaultBodyLimit: Layer<S>,
{
    ServiceBuilder::new()
        .layer(MapResponseBodyLayer::new(Body::new as ToAxumBody))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(MapRequestLayer::new(
            request_id::drop_unusable::<Body> as CheckRequestId,
        ))
        .layer(SetRequestIdLayer::x_request_id(MakeUlid))
        .layer(ScopeLayer)
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(RequestSpan)
                .on_request(())
                .on_response(LogResponse)
                .on_body_chunk(())
                .on_eos(())
                .on_failure(()),
        )
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(CatchPanicLayer::custom(PanicAnswer))
        .layer(DefaultBodyLimit::max(body_limit))
        .service(inner)
}

type CheckRequestId = fn(Request<Body>) -> Request<Body>;
type TracedBody = ResponseBody<
    UnsyncBoxBody<Bytes, BoxError>,
    NeverClassifyEos<ServerErrorsFailureClass>,
    (),
    (),
    (),
>;
type ToAxumBody = fn(TracedBody) -> Body;

/// `inner` inside the layers `wrap` adds.
type Wrapped<S> = MapResponseBody<
    SetResponseHeader<
        SetResponseHeader<
            MapRequest<
                SetRequestId<
                    Scope<
                        Trace<
                            PropagateRequestId<
                                CatchPanic<<DefaultBodyLimit as Layer<S>>::Service, PanicAnswer>,
                            >,
                            SharedClassifier<ServerErrorsAsFailures>,
                            RequestSpan,
                            (),
                            LogResponse,
                            (),
                            (),
                            (),
                        >,
                    >,
                    MakeUlid,
                >,
                CheckRequestId,
            >,
            HeaderValue,
        >,
        HeaderValue,
    >,
    ToAxumBody,
>;

/// The HTTP service `service` builds, as `app::run` serves it.
pub type HttpService = Wrapped<Router>;

async fn health() -> ApiOk<serde_json::Value> {
    ApiOk::new("ok", json!({ "status": "ok" }))
}

async fn not_found() -> ApiError {
    ApiError::route_not_found()
}

async fn method_not_allowed() -> ApiError {
    ApiError::method_not_allowed()
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;
    use std::io;
    use std::sync::{Arc, Mutex};
    use std::task::{Context, Poll};

    use axum::http::StatusCode;
    use axum::response::{IntoResponse, Response};
    use serde_json::Value;
    use tower::{Service, ServiceExt};

    use super::*;
    use crate::error::Error;

    /// Log lines written while a test runs, to check what is logged and how often.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Captured {
        fn lines(&self) -> Vec<String> {
            let bytes = self.0.lock().unwrap().clone();
            String::from_utf8(bytes)
                .unwrap()
                .lines()
                .map(str::to_owned)
                .collect()
        }
    }

    /// Captures this thread's log lines until the guard drops. Every test that runs the layers
    /// takes a turn here: tracing caches per call site whether anyone listens, globally.
    async fn capture_logs() -> (
        Captured,
        tracing::subscriber::DefaultGuard,
        tokio::sync::MutexGuard<'static, ()>,
    ) {
        static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
        let turn = ONE_AT_A_TIME.lock().await;
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter("frontdesk=info")
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        (captured, tracing::subscriber::set_default(subscriber), turn)
    }

    async fn answer<S>(service: S, request_id: Option<&str>) -> (StatusCode, String, Value)
    where
        S: Service<Request<Body>, Response = Response, Error = Infallible>,
        DefaultBodyLimit: Layer<S>,
        Wrapped<S>: Service<Request<Body>, Response = Response, Error = Infallible>,
    {
        let mut request = Request::builder().uri("/boom");
        if let Some(id) = request_id {
            request = request.header("x-request-id", id);
        }
        let response = wrap(service, 1024)
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
        let id = response.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_owned();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        (status, id, serde_json::from_slice(&bytes).unwrap())
    }

    fn panicking_router() -> Router {
        Router::new().route(
            "/boom",
            get(|| async {
                if true {
                    panic!("boom");
                }
                "unreachable"
            }),
        )
    }

    #[tokio::test]
    async fn a_panicking_handler_answers_the_envelope_with_its_request_id() {
        let (logs, _guard, _turn) = capture_logs().await;
        let (status, id, body) = answer(panicking_router(), Some("req-42")).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body["success"], false);
        assert_eq!(body["error"]["code"], "INTERNAL_ERROR");
        assert_eq!(id, "req-42", "the incoming id is kept");
        assert_eq!(body["error"]["details"]["requestId"], "req-42");
        assert!(
            !body.to_string().contains("boom"),
            "details stay in the log"
        );
        let logged: Vec<_> = logs
            .lines()
            .into_iter()
            .filter(|line| line.contains("internal error"))
            .collect();
        assert_eq!(logged.len(), 1, "logged once: {logged:?}");
        assert!(logged[0].contains("handler panicked: boom"), "{logged:?}");
        assert!(logged[0].contains("req-42"), "{logged:?}");
        assert!(logged[0].contains("method=GET"), "{logged:?}");
        assert!(logged[0].contains("path=\"/boom\""), "{logged:?}");
    }

    #[derive(Clone)]
    struct PanicsOnCall;

    impl Service<Request<Body>> for PanicsOnCall {
        type Response = Response;
        type Error = Infallible;
        type Future = std::future::Ready<Result<Response, Infallible>>;

        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, _: Request<Body>) -> Self::Future {
            panic!("boom in call")
        }
    }

    #[tokio::test]
    async fn a_panic_before_the_future_exists_is_caught_too() {
        // Under a capture too: a log callsite first reached with no subscriber can cache
        // "never" while another test is capturing, and hide that test's lines.
        let (_logs, _guard, _turn) = capture_logs().await;
        let (status, id, body) = answer(PanicsOnCall, None).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body["error"]["code"], "INTERNAL_ERROR");
        assert_eq!(id.len(), 26, "a fresh id is made: {id}");
        assert_eq!(body["error"]["details"]["requestId"], id.as_str());
    }

    #[tokio::test]
    async fn an_internal_error_is_logged_once_with_its_causes() {
        let (logs, _guard, _turn) = capture_logs().await;
        let router = Router::new().route(
            "/boom",
            get(|| async {
                let cause = io::Error::other("disk full");
                ApiError::from(Error::internal_from("saving a message", cause)).into_response()
            }),
        );
        let (status, id, body) = answer(router, None).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!body.to_string().contains("disk full"), "{body}");
        let logged: Vec<_> = logs
            .lines()
            .into_iter()
            .filter(|line| line.contains("internal error"))
            .collect();
        assert_eq!(logged.len(), 1, "logged once: {logged:?}");
        assert!(
            logged[0].contains("saving a message: disk full"),
            "{logged:?}"
        );
        assert!(logged[0].contains(&id), "{logged:?}");
    }
}
