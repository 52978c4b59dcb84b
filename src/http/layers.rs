//! The layers every request passes, from tower-http where a library layer exists, and what
//! they are told to do: the span each request runs in, the one log line an internal error
//! gets, and the envelope a panicking handler answers with.

use std::any::Any;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, MatchedPath};
use axum::http::{HeaderValue, Request, Response, header};
use axum::response::IntoResponse;
use tower::util::{MapRequest, MapRequestLayer};
use tower::{Layer, ServiceBuilder};
use tower_http::BoxError;
use tower_http::body::UnsyncBoxBody;
use tower_http::catch_panic::{CatchPanic, CatchPanicLayer, ResponseForPanic};
use tower_http::classify::{
    NeverClassifyEos, ServerErrorsAsFailures, ServerErrorsFailureClass, SharedClassifier,
};
use tower_http::map_response_body::{MapResponseBody, MapResponseBodyLayer};
use tower_http::request_id::{
    PropagateRequestId, PropagateRequestIdLayer, RequestId, SetRequestId, SetRequestIdLayer,
};
use tower_http::set_header::{SetResponseHeader, SetResponseHeaderLayer};
use tower_http::trace::{MakeSpan, OnResponse, ResponseBody, Trace, TraceLayer};
use tracing::Span;

use super::envelope::{ApiError, InternalErrorDetail};
use super::request_id::{self, MakeUlid, Scope, ScopeLayer};
use crate::error::Error;
use crate::metrics::{RequestMetrics, RouteLabel};

/// Puts `inner` inside the layers every request passes, outermost first: the security headers;
/// an unusable incoming `x-request-id` is dropped and one is set (kept or made); the request
/// (id, method, path) goes into the task-local that error answers and the error log line read;
/// the request gets its span; the id goes back on the response; a panic becomes a 500 in the
/// envelope (inside the trace layer, so it is logged like any internal error); bodies are
/// capped.
///
/// With `metrics`, every answer is counted there by method, matched route and status class.
pub fn wrap<S>(inner: S, body_limit: usize, metrics: Option<Arc<RequestMetrics>>) -> Wrapped<S>
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
                .on_response(LogResponse { metrics })
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
pub type Wrapped<S> = MapResponseBody<
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

/// Whether the request span is on (it is at debug level): `record_route` is only worth its
/// per-route layer when it is, or when requests are measured.
pub fn span_enabled() -> bool {
    tracing::span_enabled!(tracing::Level::DEBUG)
}

/// Fills the span's `route` with the path pattern the router matched (`/api/chat/poll/{id}`),
/// never the raw path, which carries session ids, and keeps it with the request being
/// answered for the metrics. Runs inside the request's scope: axum calls a route when its
/// future is first polled.
pub fn record_route(request: Request<Body>) -> Request<Body> {
    if let Some(route) = request.extensions().get::<MatchedPath>() {
        Span::current().record("route", route.as_str());
        request_id::with_current(|answering| answering.route.set(route.clone()));
    }
    request
}

/// Logs an internal error once, with its cause chain and the request's id, method and path
/// written on the line itself (the span is off at the default level); every answer at debug
/// level; and counts the answer in the metrics when they are on. Runs inside
/// `request_id::ScopeLayer`, which is where the method, path and route come from.
#[derive(Clone, Debug, Default)]
pub struct LogResponse {
    metrics: Option<Arc<RequestMetrics>>,
}

impl<B> OnResponse<B> for LogResponse {
    fn on_response(self, response: &Response<B>, latency: Duration, _span: &Span) {
        if let Some(metrics) = &self.metrics {
            request_id::with_current(|answering| {
                let route = RouteLabel::new(answering.route.get().cloned());
                metrics.observe(&answering.method, route, response.status(), latency);
            });
        }
        let status = response.status().as_u16();
        if let Some(InternalErrorDetail(error)) = response.extensions().get::<InternalErrorDetail>()
        {
            let request_id = response
                .headers()
                .get(request_id::HEADER)
                .and_then(|id| id.to_str().ok())
                .unwrap_or_default();
            let (method, path) = request_id::with_current(|answering| {
                (answering.method.clone(), answering.path.to_string())
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

    use axum::Router;
    use axum::routing::get;
    use serde_json::json;

    use super::*;
    use crate::http::envelope::ApiOk;

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
        capture_logs_at("frontdesk=info").await
    }

    async fn capture_logs_at(
        filter: &str,
    ) -> (
        Captured,
        tracing::subscriber::DefaultGuard,
        tokio::sync::MutexGuard<'static, ()>,
    ) {
        static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
        let turn = ONE_AT_A_TIME.lock().await;
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(filter)
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
        answer_at(service, "/boom", request_id).await
    }

    async fn answer_at<S>(
        service: S,
        path: &str,
        request_id: Option<&str>,
    ) -> (StatusCode, String, Value)
    where
        S: Service<Request<Body>, Response = Response, Error = Infallible>,
        DefaultBodyLimit: Layer<S>,
        Wrapped<S>: Service<Request<Body>, Response = Response, Error = Infallible>,
    {
        let mut request = Request::builder().uri(path);
        if let Some(id) = request_id {
            request = request.header("x-request-id", id);
        }
        let response = wrap(service, 1024, None)
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

    #[tokio::test]
    async fn the_request_span_names_the_matched_route_not_the_path() {
        let (logs, _guard, _turn) = capture_logs_at("frontdesk=debug").await;
        let router = Router::new()
            .route("/chats/{id}", get(|| async { ApiOk::new("ok", json!({})) }))
            .route_layer(MapRequestLayer::new(record_route));
        let (status, id, _) = answer_at(router, "/chats/chat_secret", None).await;
        assert_eq!(status, StatusCode::OK);
        let answered: Vec<_> = logs
            .lines()
            .into_iter()
            .filter(|line| line.contains("answered"))
            .collect();
        assert_eq!(answered.len(), 1, "{answered:?}");
        assert!(
            answered[0].contains("route=\"/chats/{id}\""),
            "{answered:?}"
        );
        assert!(answered[0].contains(&id), "{answered:?}");
        assert!(answered[0].contains("method=GET"), "{answered:?}");
        assert!(!answered[0].contains("chat_secret"), "{answered:?}");
    }
}
