//! The accept loop: each connection is counted against the caps, driven by hyper's HTTP/1
//! server, and closed when it outlives its header-read or keep-alive timeout. `axum::serve`
//! has neither the timeouts nor the caps, so this replaces it.

pub mod caps;
pub mod fd_limit;
mod slow_body;
mod watch;

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;
use tower::util::Oneshot;

use self::caps::{Admitted, Caps, Tracker};
use self::slow_body::SlowBody;
pub use self::watch::Timeouts;
use self::watch::{InFlight, TrackedBody, Verdict, Watch, Watched};
use super::HttpService;
use crate::config::ConnectionSettings;

/// Largest buffer a connection reads a request head into. Heads between the edge limits
/// (`http::edge`) and this get the JSON envelope; larger ones hyper refuses with a bare 431.
const MAX_HEAD_BUFFER: usize = 64 * 1024;

/// Pause after an accept error that is not about one connection (descriptors exhausted):
/// retrying at once would spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Accept errors are logged at most this often: they repeat every `ACCEPT_BACKOFF` while
/// descriptors are exhausted.
const ACCEPT_WARNING_EVERY: Duration = Duration::from_secs(10);

/// How connections are served: timeouts and caps.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    pub timeouts: Timeouts,
    pub caps: Caps,
}

impl Options {
    /// The options `settings` ask for; a global cap left unset is derived from the
    /// descriptor limit in force.
    pub fn from_settings(settings: &ConnectionSettings) -> Options {
        let total = settings
            .max_total
            .unwrap_or_else(|| fd_limit::derived_cap(fd_limit::current().map(|l| l.soft)));
        Options {
            timeouts: Timeouts {
                header_read: settings.header_read_timeout,
                keep_alive: settings.keep_alive_timeout,
            },
            caps: Caps::new(settings.max_per_address, total),
        }
    }
}

/// Serves `http` on `listener` until `shutdown` completes, then stops accepting, lets each
/// connection finish the request it is answering, and returns once all are closed.
pub async fn serve(
    listener: TcpListener,
    http: HttpService,
    options: Options,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let tracker = Tracker::new(options.caps);
    let draining = CancellationToken::new();
    let mut protocol = http1::Builder::new();
    protocol
        .max_buf_size(MAX_HEAD_BUFFER)
        .max_header_size(MAX_HEAD_BUFFER);
    let protocol = Arc::new(protocol);
    tokio::pin!(shutdown);
    let mut last_warning: Option<std::time::Instant> = None;
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(e) if is_per_connection(&e) => continue,
            Err(e) => {
                let now = std::time::Instant::now();
                if last_warning.is_none_or(|at| now.duration_since(at) >= ACCEPT_WARNING_EVERY) {
                    tracing::warn!(error = %e, "cannot accept connections");
                    last_warning = Some(now);
                }
                tokio::select! {
                    () = &mut shutdown => break,
                    () = tokio::time::sleep(ACCEPT_BACKOFF) => continue,
                }
            }
        };
        // A refused connection is dropped, which closes it at once.
        let Ok(admitted) = tracker.admit(peer.ip()) else {
            continue;
        };
        // Answers are small and whole: send each at once rather than wait for the peer's
        // acknowledgement of the previous one (Nagle).
        let _ = stream.set_nodelay(true);
        tokio::spawn(connection(
            stream,
            peer,
            http.clone(),
            protocol.clone(),
            options.timeouts,
            admitted,
            draining.clone(),
        ));
    }
    drop(listener);
    draining.cancel();
    tracker.drained().await;
}

/// One connection's requests, handed to the router with the peer address attached.
struct Requests {
    http: HttpService,
    peer: SocketAddr,
    watch: Arc<Watch>,
    timeouts: Timeouts,
}

impl hyper::service::Service<hyper::Request<Incoming>> for Requests {
    type Response = hyper::Response<TrackedBody>;
    type Error = Infallible;
    type Future = Answer;

    fn call(&self, mut request: hyper::Request<Incoming>) -> Answer {
        request.extensions_mut().insert(ConnectInfo(self.peer));
        Answer {
            in_flight: Some(self.watch.request_started()),
            answer: self.http.clone().oneshot(
                request.map(|body| Body::new(SlowBody::new(body, self.timeouts.header_read))),
            ),
        }
    }
}

pin_project_lite::pin_project! {
    /// The router's answer, its body carrying the request's in-flight mark. A named future
    /// rather than an async block: the compiler cannot prove an async block over the layered
    /// service `Send`.
    struct Answer {
        #[pin]
        answer: Oneshot<HttpService, axum::extract::Request>,
        in_flight: Option<InFlight>,
    }
}

impl Future for Answer {
    type Output = Result<hyper::Response<TrackedBody>, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let response = match ready!(this.answer.poll(cx)) {
            Ok(response) => response,
            Err(never) => match never {},
        };
        let in_flight = this.in_flight.take().expect("polled after completion");
        Poll::Ready(Ok(response.map(|body| TrackedBody {
            body,
            _in_flight: in_flight,
        })))
    }
}

/// Errors that concern only the connection being accepted.
fn is_per_connection(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    http: HttpService,
    protocol: Arc<http1::Builder>,
    timeouts: Timeouts,
    _admitted: Admitted,
    draining: CancellationToken,
) {
    let watch = Watch::new();
    let io = TokioIo::new(Watched {
        stream,
        watch: watch.clone(),
    });
    let service = Requests {
        http,
        peer,
        watch: watch.clone(),
        timeouts,
    };
    // With upgrades: a WebSocket (the chat socket, Socket.IO's websocket transport) takes the
    // connection over once its handshake is answered.
    let served = protocol.serve_connection(io, service).with_upgrades();
    tokio::pin!(served);
    let mut closing = false;
    loop {
        let check_at = match watch.verdict(timeouts, tokio::time::Instant::now()) {
            Verdict::Expired => break,
            Verdict::CheckAt(at) => at,
        };
        tokio::select! {
            // A connection error (a reset, a malformed request) is the client's business.
            _ = served.as_mut() => break,
            () = draining.cancelled(), if !closing => {
                served.as_mut().graceful_shutdown();
                closing = true;
            }
            () = tokio::time::sleep_until(check_at) => {}
        }
    }
}
