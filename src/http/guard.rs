//! The layer every request passes: a handler that panics answers a 500 in the JSON envelope
//! instead of dropping the connection; an internal error is logged once, with the method, path
//! and the detail the client never sees (`ApiError`/`PageError` put it in the response's
//! extensions); with `RUST_LOG=frontdesk=debug` every request is logged with its status and
//! time. A plain tower layer with an unboxed future, because it runs on every poll.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::http::{Method, Request, Uri};
use axum::response::{IntoResponse, Response};
use pin_project_lite::pin_project;
use tower::{Layer, Service};

use super::envelope::{ApiError, InternalErrorDetail};
use crate::error::Error;

#[derive(Clone, Copy, Default)]
pub struct GuardLayer;

impl<S> Layer<S> for GuardLayer {
    type Service = Guard<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Guard { inner }
    }
}

#[derive(Clone)]
pub struct Guard<S> {
    inner: S,
}

/// What a request was, for the log lines written when it is answered.
struct Seen {
    method: Method,
    uri: Uri,
    started: Instant,
}

fn panic_response(panic: &(dyn std::any::Any + Send)) -> Response {
    let detail = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    ApiError::from(Error::internal(format!("handler panicked: {detail}"))).into_response()
}

impl<S, B> Service<Request<B>> for Guard<S>
where
    S: Service<Request<B>, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = GuardFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        // Both clones share the request's bytes.
        let seen = Seen {
            method: request.method().clone(),
            uri: request.uri().clone(),
            started: Instant::now(),
        };
        match catch_unwind(AssertUnwindSafe(|| self.inner.call(request))) {
            Ok(inner) => GuardFuture::Running {
                inner,
                seen: Some(seen),
            },
            Err(panic) => GuardFuture::Done {
                response: Some(panic_response(&*panic)),
                seen: Some(seen),
            },
        }
    }
}

pin_project! {
    #[project = GuardProjection]
    pub enum GuardFuture<F> {
        Running { #[pin] inner: F, seen: Option<Seen> },
        Done { response: Option<Response>, seen: Option<Seen> },
    }
}

fn finish(seen: Option<Seen>, response: &Response) {
    let Some(seen) = seen else { return };
    if let Some(InternalErrorDetail(detail)) = response.extensions().get::<InternalErrorDetail>() {
        tracing::error!(method = %seen.method, path = seen.uri.path(), error = %detail, "internal error");
    }
    tracing::debug!(
        method = %seen.method,
        path = seen.uri.path(),
        status = response.status().as_u16(),
        micros = seen.started.elapsed().as_micros() as u64,
        "request"
    );
}

impl<F, E> Future for GuardFuture<F>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            GuardProjection::Running { inner, seen } => {
                let outcome = catch_unwind(AssertUnwindSafe(|| inner.poll(cx)));
                match outcome {
                    Ok(Poll::Pending) => Poll::Pending,
                    Ok(Poll::Ready(result)) => {
                        if let Ok(response) = &result {
                            finish(seen.take(), response);
                        }
                        Poll::Ready(result)
                    }
                    Err(panic) => {
                        // The inner future is not polled again: this future is done.
                        let response = panic_response(&*panic);
                        finish(seen.take(), &response);
                        Poll::Ready(Ok(response))
                    }
                }
            }
            GuardProjection::Done { response, seen } => {
                let response = response
                    .take()
                    .expect("a guard future is polled to completion once");
                finish(seen.take(), &response);
                Poll::Ready(Ok(response))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use tower::ServiceExt;

    async fn answer<S>(service: S) -> (u16, serde_json::Value)
    where
        S: Service<Request<Body>, Response = Response, Error = std::convert::Infallible>,
    {
        let response = GuardLayer
            .layer(service)
            .oneshot(Request::new(Body::empty()))
            .await
            .unwrap();
        let status = response.status().as_u16();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn a_panicking_handler_answers_in_the_envelope() {
        let (status, body) = answer(tower::service_fn(|_req: Request<Body>| async move {
            if true {
                panic!("boom");
            }
            Ok::<Response, std::convert::Infallible>(Response::new(Body::empty()))
        }))
        .await;
        assert_eq!(status, 500);
        assert_eq!(body["error"]["code"], "INTERNAL_ERROR");
        assert!(
            !body.to_string().contains("boom"),
            "details stay in the log"
        );
    }

    #[derive(Clone)]
    struct PanicsOnCall;

    impl Service<Request<Body>> for PanicsOnCall {
        type Response = Response;
        type Error = std::convert::Infallible;
        type Future = std::future::Ready<Result<Response, std::convert::Infallible>>;

        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, _: Request<Body>) -> Self::Future {
            panic!("boom in call")
        }
    }

    #[tokio::test]
    async fn a_panic_before_the_future_exists_is_caught_too() {
        let (status, body) = answer(PanicsOnCall).await;
        assert_eq!(status, 500);
        assert_eq!(body["success"], false);
    }
}
