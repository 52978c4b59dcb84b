//! Request ids: `x-request-id` is taken from the request when it is usable and made otherwise
//! (tower-http's `SetRequestIdLayer`/`PropagateRequestIdLayer` carry it in and back out), and
//! the request being answered (id, method, path) is kept in a task-local so that error answers
//! built deep inside a handler (`ApiError`, `PageError`) can show the id, and the internal-error
//! log line can name the request, without anything being handed to them. The log formatter
//! (`crate::logs`) stamps the id on every line written while the request is answered, and the
//! metrics read the matched route from there.

use std::cell::OnceCell;
use std::task::{Context, Poll};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::MatchedPath;
use axum::http::{HeaderValue, Method, Request};
use rand::Rng;
use tokio::task::futures::TaskLocalFuture;
use tower::{Layer, Service};
use tower_http::request_id::{MakeRequestId, RequestId};

/// The header the id travels in, both ways.
pub const HEADER: &str = "x-request-id";

/// Longest incoming id we keep: room for a UUID, a ULID or a W3C `traceparent` (55 bytes).
pub const MAX_LEN: usize = 64;

/// The request being answered on this task.
#[derive(Clone, Debug)]
pub struct Answering {
    /// Set by `SetRequestIdLayer` before `ScopeLayer` runs, so present in practice.
    pub id: Option<RequestId>,
    pub method: Method,
    /// A copy of the request's path. Not the `Uri` itself: that shares the connection's read
    /// buffer, and a held long-poll or stream would keep a spent 8 KiB buffer alive while
    /// hyper reads into a new one.
    pub path: Box<str>,
    /// The route pattern the router matched, once it has (see `layers::record_route`); the
    /// router's own shared string, so setting it copies nothing.
    pub route: OnceCell<MatchedPath>,
}

impl Answering {
    /// The id as text; ids are visible ASCII by construction.
    pub fn id(&self) -> Option<&str> {
        self.id.as_ref()?.header_value().to_str().ok()
    }
}

tokio::task_local! {
    static CURRENT: Answering;
}

/// The id of the request being answered on this task, if any.
pub fn current() -> Option<String> {
    with_current(|answering| answering.id().map(str::to_owned)).flatten()
}

/// Runs `f` on the request being answered on this task; `None` outside a request.
pub fn with_current<R>(f: impl FnOnce(&Answering) -> R) -> Option<R> {
    CURRENT.try_with(f).ok()
}

/// Whether an incoming id can be trusted into logs, headers and pages: 1 to `MAX_LEN`
/// visible ASCII characters.
pub fn is_usable(value: &HeaderValue) -> bool {
    let bytes = value.as_bytes();
    !bytes.is_empty() && bytes.len() <= MAX_LEN && bytes.iter().all(|b| b.is_ascii_graphic())
}

/// Drops an incoming `x-request-id` that is missing the mark (too long, control or non-ASCII
/// bytes, or sent more than once), so that `SetRequestIdLayer` makes a fresh one instead. A
/// usable one is copied out of the connection's read buffer: the id lives as long as the
/// answer, minutes for a held poll or a stream, and would keep that buffer alive.
pub fn drop_unusable<B>(mut request: Request<B>) -> Request<B> {
    let mut values = request.headers().get_all(HEADER).iter();
    let kept = match (values.next(), values.next()) {
        (None, _) => return request,
        (Some(value), None) if is_usable(value) => HeaderValue::from_bytes(value.as_bytes()).ok(),
        _ => None,
    };
    match kept {
        Some(copy) => request.headers_mut().insert(HEADER, copy),
        None => request.headers_mut().remove(HEADER),
    };
    request
}

/// Makes ULID-style ids: 26 Crockford base-32 characters, 48 bits of milliseconds then 80
/// random bits, so ids sort by time in logs and never collide in practice.
#[derive(Clone, Copy, Debug, Default)]
pub struct MakeUlid;

impl MakeRequestId for MakeUlid {
    fn make_request_id<B>(&mut self, _request: &Request<B>) -> Option<RequestId> {
        HeaderValue::from_bytes(&new_id()).ok().map(RequestId::new)
    }
}

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

fn new_id() -> [u8; 26] {
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
        & ((1 << 48) - 1);
    let random: u128 = rand::rng().random::<u128>() & ((1 << 80) - 1);
    let value = (u128::from(millis) << 80) | random;
    // 26 characters of 5 bits cover 130 bits; the top two are always zero. Written into a
    // stack buffer: this runs on every request that arrives without an id.
    let mut id = [0u8; 26];
    for (i, slot) in id.iter_mut().enumerate() {
        let shift = (25 - i) * 5;
        *slot = CROCKFORD[((value >> shift) & 0x1f) as usize];
    }
    id
}

/// Runs the inner service with the request (its id set by `SetRequestIdLayer`) in the
/// task-local `current()` and `with_current()` read. No library layer does this; it is a plain layer with an unboxed future
/// because it runs on every poll.
#[derive(Clone, Copy, Debug, Default)]
pub struct ScopeLayer;

impl<S> Layer<S> for ScopeLayer {
    type Service = Scope<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Scope { inner }
    }
}

/// The service `ScopeLayer` makes.
#[derive(Clone, Debug)]
pub struct Scope<S> {
    inner: S,
}

impl<S, B> Service<Request<B>> for Scope<S>
where
    S: Service<Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = TaskLocalFuture<Answering, S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let answering = Answering {
            id: request.extensions().get::<RequestId>().cloned(),
            method: request.method().clone(),
            path: request.uri().path().into(),
            route: OnceCell::new(),
        };
        // Only the future runs in the scope: nothing inside answers from `call` itself (even a
        // panic there is turned into an answer by `CatchPanic`'s future).
        CURRENT.scope(answering, self.inner.call(request))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_ids_are_usable_and_differ() {
        let a = new_id();
        let b = new_id();
        assert_ne!(a, b);
        assert!(is_usable(&HeaderValue::from_bytes(&a).unwrap()));
    }

    #[test]
    fn a_kept_incoming_id_no_longer_shares_the_read_buffer() {
        // As hyper hands it over: a slice of the connection's read buffer.
        let buffer = axum::body::Bytes::from(b"GET / HTTP/1.1 x-request-id: abc-123".to_vec());
        let shared = buffer.slice(29..);
        let incoming = HeaderValue::from_maybe_shared(shared).unwrap();
        let within = buffer.as_ptr_range();
        assert!(within.contains(&incoming.as_bytes().as_ptr()));

        let request = Request::builder()
            .header(HEADER, incoming)
            .body(())
            .unwrap();
        let request = drop_unusable(request);
        let kept = request.headers().get(HEADER).expect("a usable id is kept");
        assert_eq!(kept.as_bytes(), b"abc-123");
        assert!(!within.contains(&kept.as_bytes().as_ptr()));
    }

    #[test]
    fn unusable_incoming_ids_are_dropped() {
        let cases: &[(&[u8], bool, &str)] = &[
            (b"abc-123", true, "a short visible id"),
            (b"", false, "empty"),
            (&[b'a'; MAX_LEN], true, "exactly the longest allowed"),
            (&[b'a'; MAX_LEN + 1], false, "one byte too long"),
            (b"has space", false, "a space is not visible"),
            (b"tab\there", false, "a control character"),
            ("caf\u{e9}".as_bytes(), false, "non-ASCII"),
        ];
        for (bytes, kept, why) in cases {
            let request = Request::builder()
                .header(HEADER, HeaderValue::from_bytes(bytes).unwrap())
                .body(())
                .unwrap();
            let request = drop_unusable(request);
            assert_eq!(request.headers().contains_key(HEADER), *kept, "{why}");
        }
    }

    #[test]
    fn a_repeated_id_header_is_dropped() {
        let request = Request::builder()
            .header(HEADER, "one")
            .header(HEADER, "two")
            .body(())
            .unwrap();
        assert!(!drop_unusable(request).headers().contains_key(HEADER));
    }
}
