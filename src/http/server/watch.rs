//! What a connection is doing, as far as its timeouts care: waiting for its first request
//! head, reading a head, busy with requests, or idle between them. The socket wrapper sees
//! bytes arrive; the response body wrapper sees a request end.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::body::{Body, Frame, SizeHint};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::Instant;

/// No request head yet since the connection opened: the header timeout runs from the open.
const FIRST: u8 = 0;
/// The previous request is answered and nothing new has arrived.
const IDLE: u8 = 1;
/// A head has started arriving after an idle spell.
const HEAD: u8 = 2;

/// The two timeouts a connection is held to.
#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    pub header_read: Duration,
    pub keep_alive: Duration,
}

/// What the watchdog should do next.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Close the connection now.
    Expired,
    /// Look again at this time.
    CheckAt(Instant),
}

/// One connection's state, shared by its socket, its requests and its watchdog.
pub struct Watch {
    opened: Instant,
    phase: AtomicU8,
    /// When the phase began, in milliseconds since `opened`.
    since_ms: AtomicU64,
    in_flight: AtomicUsize,
}

impl Watch {
    pub fn new() -> Arc<Watch> {
        Arc::new(Watch {
            opened: Instant::now(),
            phase: AtomicU8::new(FIRST),
            since_ms: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
        })
    }

    fn now_ms(&self) -> u64 {
        self.opened.elapsed().as_millis() as u64
    }

    /// Bytes arrived: after an idle spell they start the next head and its timeout.
    fn bytes_arrived(&self) {
        if self.phase.load(Ordering::Relaxed) == IDLE && self.in_flight.load(Ordering::Relaxed) == 0
        {
            self.since_ms.store(self.now_ms(), Ordering::Relaxed);
            self.phase.store(HEAD, Ordering::Relaxed);
        }
    }

    /// A request head was read and handed to the service; the guard marks its answer's end.
    pub fn request_started(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(self.clone())
    }

    /// Whether the connection has outlived its timeout, judged at `now`.
    pub fn verdict(&self, timeouts: Timeouts, now: Instant) -> Verdict {
        if self.in_flight.load(Ordering::Relaxed) > 0 {
            // A held poll or a stream is not idle; look again later.
            return Verdict::CheckAt(now + timeouts.header_read);
        }
        let since = self.opened + Duration::from_millis(self.since_ms.load(Ordering::Relaxed));
        let limit = match self.phase.load(Ordering::Relaxed) {
            IDLE => timeouts.keep_alive,
            _ => timeouts.header_read,
        };
        let deadline = since + limit;
        if deadline <= now {
            Verdict::Expired
        } else {
            Verdict::CheckAt(deadline)
        }
    }
}

/// A request being answered; dropped when hyper has written (or dropped) its response body.
pub struct InFlight(Arc<Watch>);

impl Drop for InFlight {
    fn drop(&mut self) {
        let watch = &self.0;
        if watch.in_flight.fetch_sub(1, Ordering::Relaxed) == 1 {
            watch.since_ms.store(watch.now_ms(), Ordering::Relaxed);
            watch.phase.store(IDLE, Ordering::Relaxed);
        }
    }
}

/// A response body that holds its request's [`InFlight`] until it is written out.
pub struct TrackedBody {
    pub body: axum::body::Body,
    pub _in_flight: InFlight,
}

impl Body for TrackedBody {
    type Data = <axum::body::Body as Body>::Data;
    type Error = <axum::body::Body as Body>::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// The socket, telling the watch when bytes arrive.
pub struct Watched {
    pub stream: TcpStream,
    pub watch: Arc<Watch>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.watch.bytes_arrived();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Timeouts = Timeouts {
        header_read: Duration::from_secs(10),
        keep_alive: Duration::from_secs(75),
    };

    fn since(watch: &Watch) -> Instant {
        watch.opened + Duration::from_millis(watch.since_ms.load(Ordering::Relaxed))
    }

    #[test]
    fn a_silent_connection_gets_the_header_timeout_and_an_idle_one_the_keep_alive() {
        let watch = Watch::new();
        let opened = watch.opened;
        assert_eq!(
            watch.verdict(T, opened),
            Verdict::CheckAt(opened + T.header_read)
        );
        assert_eq!(watch.verdict(T, opened + T.header_read), Verdict::Expired);
        let request = watch.request_started();
        let late = opened + Duration::from_secs(100);
        assert_eq!(
            watch.verdict(T, late),
            Verdict::CheckAt(late + T.header_read),
            "busy is never expired"
        );
        drop(request);
        let ended = since(&watch);
        assert_eq!(
            watch.verdict(T, ended + T.header_read),
            Verdict::CheckAt(ended + T.keep_alive),
            "idle between requests gets the keep-alive timeout"
        );
        assert_eq!(watch.verdict(T, ended + T.keep_alive), Verdict::Expired);
        watch.bytes_arrived();
        let head = since(&watch);
        assert_eq!(
            watch.verdict(T, head),
            Verdict::CheckAt(head + T.header_read),
            "a trickled head gets the header timeout from its first byte"
        );
    }
}
