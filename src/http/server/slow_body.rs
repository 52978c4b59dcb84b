//! A request body that must arrive in time: once a handler starts reading it, the whole body
//! has to be in within the header-read timeout, so a client trickling a body (the slowloris
//! of request bodies) cannot hold a connection and a handler for ever. Every byte that
//! arrives earns a little more time at [`MIN_BYTES_PER_SECOND`], so a large upload over a slow
//! phone network finishes while a trickle still runs out of time.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::body::{Body, Bytes, Frame, Incoming, SizeHint};
use tokio::time::{Instant, Sleep};

/// The slowest steady upload that is still served (an attachment over a poor mobile link).
pub const MIN_BYTES_PER_SECOND: u64 = 16 * 1024;

/// The incoming body with its deadline, started at the first read that has to wait.
pub struct SlowBody {
    inner: Incoming,
    limit: Duration,
    deadline: Option<(Instant, Pin<Box<Sleep>>)>,
    received: u64,
}

impl SlowBody {
    pub fn new(inner: Incoming, limit: Duration) -> SlowBody {
        SlowBody {
            inner,
            limit,
            deadline: None,
            received: 0,
        }
    }
}

impl Body for SlowBody {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => {
                if let Some(Ok(data)) = frame.as_ref().map(|f| f.as_ref().map(Frame::data_ref)) {
                    this.received += data.map_or(0, |d| d.len() as u64);
                    if let Some((started, deadline)) = &mut this.deadline {
                        let earned =
                            Duration::from_millis(this.received * 1000 / MIN_BYTES_PER_SECOND);
                        deadline.as_mut().reset(*started + this.limit + earned);
                    }
                }
                Poll::Ready(frame.map(|f| f.map_err(Into::into)))
            }
            Poll::Pending => {
                // Only a body that makes the reader wait pays for a timer.
                let limit = this.limit;
                let (_, deadline) = this
                    .deadline
                    .get_or_insert_with(|| (Instant::now(), Box::pin(tokio::time::sleep(limit))));
                match deadline.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "the request body did not arrive in time",
                    ))))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
