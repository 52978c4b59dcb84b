//! The client's server-sent event stream: the same facts as poll (new messages, agent typing,
//! agents having read the user's messages, the end), each with an id that says how far the
//! client has got. A client reconnecting with `Last-Event-ID` receives what it missed, once.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::sync::watch;

use super::poll::mark_delivered;
use super::{Services, live};
use crate::auth::UserPrincipal;
use crate::domain::message::Message;
use crate::domain::{SessionStatus, Timestamp};
use crate::error::{Error, Result};
use crate::realtime::{HoldKind, HoldPermit, LiveState};

/// Messages read from the database per batch while catching a client up.
const CATCH_UP_BATCH: i64 = 100;

/// How far a client has got: the position (in its session) of the last message it received,
/// the read watermark it was told, and whether it saw the end. Sent as each event's id:
/// `"s<seq>.<read>"`, with `".e"` appended once the end was sent. An id without the `s` counts
/// global sequences from before per-session positions: it resumes from the session's start
/// (every message carries its id, so a client can drop repeats) rather than skip anything.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StreamCursor {
    pub message_seq: i64,
    pub read_seq: i64,
    pub ended: bool,
}

impl fmt::Display for StreamCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s{}.{}", self.message_seq, self.read_seq)?;
        if self.ended {
            f.write_str(".e")?;
        }
        Ok(())
    }
}

impl StreamCursor {
    pub fn parse(raw: &str) -> Result<Self> {
        let raw = raw.trim();
        let (current, raw) = match raw.strip_prefix('s') {
            Some(rest) => (true, rest),
            None => (false, raw),
        };
        let mut parts = raw.split('.');
        let number = |p: Option<&str>| -> Result<i64> {
            p.and_then(|v| v.parse::<i64>().ok())
                .filter(|v| *v >= 0)
                .ok_or(Error::InvalidCursor)
        };
        let message_seq = number(parts.next())?;
        let read_seq = number(parts.next())?;
        let ended = match parts.next() {
            None => false,
            Some("e") => true,
            Some(_) => return Err(Error::InvalidCursor),
        };
        if parts.next().is_some() {
            return Err(Error::InvalidCursor);
        }
        if !current {
            return Ok(StreamCursor {
                ended,
                ..StreamCursor::default()
            });
        }
        Ok(StreamCursor {
            message_seq,
            read_seq,
            ended,
        })
    }
}

/// One thing to tell the client.
#[derive(Debug)]
pub enum ClientEvent {
    /// Boxed: the channel to each stream allocates its slots up front, so a small event keeps
    /// thousands of open streams light.
    Message(Box<Message>),
    Typing(bool),
    /// Agents have seen the user's messages up to this one.
    Read {
        up_to_message_id: String,
    },
    Ended {
        status: SessionStatus,
        reason: Option<Arc<str>>,
    },
}

/// Opens a stream for a client that has every message up to `after` (a message id of the
/// session; `None`: nothing yet) and nothing else, so it receives what it missed once. The
/// ownership check comes first, so another user's session is `SessionNotFound` whatever
/// `after` says; an id that is not a message of the session is `InvalidCursor`, as on poll.
pub async fn open_after_message(
    ctx: &Arc<Services>,
    user: &UserPrincipal,
    session_id: &str,
    after: Option<&str>,
    kind: HoldKind,
) -> Result<mpsc::Receiver<(ClientEvent, StreamCursor)>> {
    live::owned_cell(ctx, user, session_id).await?;
    let resume = match after {
        None => None,
        Some(message_id) => {
            let seq = ctx
                .store
                .message_position(session_id.to_string(), message_id.to_string())
                .await?
                .ok_or(Error::InvalidCursor)?;
            Some(StreamCursor {
                message_seq: seq,
                ..StreamCursor::default()
            })
        }
    };
    open(ctx, user, session_id, resume, kind).await
}

/// Opens a stream for the user's session; events arrive on the returned channel, which closes
/// when the session is over and the end was sent, or when the server shuts down. `kind` says
/// which transport holds it, for the per-user cap and the metrics.
#[tracing::instrument(level = "debug", 
    skip_all,
    err(level = "debug"),
    fields(user_id = %user.user_id, session_id = %session_id)
)]
pub async fn open(
    ctx: &Arc<Services>,
    user: &UserPrincipal,
    session_id: &str,
    resume: Option<StreamCursor>,
    kind: HoldKind,
) -> Result<mpsc::Receiver<(ClientEvent, StreamCursor)>> {
    let cell = live::owned_cell(ctx, user, session_id).await?;
    let permit = ctx
        .hub
        .hold(&user.owner(), ctx.settings.max_held_polls_per_user, kind)
        .ok_or(Error::RateLimited {
            retry_after: Duration::from_secs(5),
        })?;
    let (tx, rx) = mpsc::channel(64);
    let rx_state = cell.subscribe();
    // The session counts as watched while the stream is open (push notifications wait).
    let watch = cell.open_watch(ctx.clock.now());
    let stream_ctx = ctx.clone();
    let session_id = session_id.to_string();
    tokio::spawn(async move {
        run(
            stream_ctx.clone(),
            session_id,
            rx_state,
            resume.unwrap_or_default(),
            tx,
            permit,
        )
        .await;
        watch.close(stream_ctx.clock.now());
    });
    Ok(rx)
}

async fn run(
    ctx: Arc<Services>,
    session_id: String,
    mut state_rx: watch::Receiver<LiveState>,
    mut cursor: StreamCursor,
    tx: mpsc::Sender<(ClientEvent, StreamCursor)>,
    _permit: HoldPermit,
) {
    let timeout_ms = ctx.session_timeout_ms();
    let mut typing_sent = false;
    loop {
        let state = state_rx.borrow_and_update().clone();
        let now = ctx.clock.now();
        if cursor.ended {
            return;
        }
        match catch_up(&ctx, &session_id, &state, &mut cursor, &tx).await {
            Ok(true) => {}
            Ok(false) => return, // the client went away
            Err(e) => {
                tracing::warn!(error = %e, "client stream stopped");
                return;
            }
        }
        let typing = state.agent_typing(now);
        if typing != typing_sent {
            typing_sent = typing;
            if tx
                .send((ClientEvent::Typing(typing), cursor))
                .await
                .is_err()
            {
                return;
            }
        }
        let status = live::effective_status(
            state.snapshot.channel,
            state.snapshot.status,
            state.snapshot.last_activity,
            now,
            timeout_ms,
        );
        if !status.is_active() {
            cursor.ended = true;
            let reason = if state.snapshot.status.is_active() {
                Some(Arc::from(live::expiry_reason(timeout_ms)))
            } else {
                state.snapshot.end_reason.clone()
            };
            let _ = tx
                .send((ClientEvent::Ended { status, reason }, cursor))
                .await;
            return;
        }
        let wake = wake_after(&state, now, timeout_ms);
        tokio::select! {
            changed = state_rx.changed() => if changed.is_err() { return },
            _ = tokio::time::sleep(wake) => {}
            _ = ctx.shutdown.cancelled() => return,
            _ = tx.closed() => return,
        }
    }
}

/// Until the next moment the state can change by the clock alone: a typing indicator lapsing,
/// or the session expiring.
fn wake_after(state: &LiveState, now: Timestamp, timeout_ms: i64) -> Duration {
    let mut next = state
        .snapshot
        .last_activity
        .0
        .saturating_add(timeout_ms)
        .saturating_add(1);
    if let Some(until) = state.agent_typing_until
        && until > now
    {
        next = next.min(until.0);
    }
    Duration::from_millis((next - now.0).clamp(1, 60_000) as u64)
}

/// Sends the messages and read marks the client has not seen; false when it disconnected.
async fn catch_up(
    ctx: &Services,
    session_id: &str,
    state: &LiveState,
    cursor: &mut StreamCursor,
    tx: &mpsc::Sender<(ClientEvent, StreamCursor)>,
) -> Result<bool> {
    while state.snapshot.last_seq > cursor.message_seq {
        let rows = ctx
            .store
            .messages_after_seq(session_id.to_string(), cursor.message_seq, CATCH_UP_BATCH)
            .await?;
        if rows.is_empty() {
            break;
        }
        mark_delivered(ctx, session_id, &rows);
        for row in rows {
            cursor.message_seq = row.seq;
            if tx
                .send((ClientEvent::Message(Box::new(row)), *cursor))
                .await
                .is_err()
            {
                return Ok(false);
            }
        }
    }
    if state.snapshot.agent_read_seq > cursor.read_seq {
        let up_to = state.snapshot.agent_read_seq;
        let last_read = ctx
            .store
            .last_user_message_up_to(session_id.to_string(), up_to)
            .await?;
        cursor.read_seq = up_to;
        if let Some(message_id) = last_read
            && tx
                .send((
                    ClientEvent::Read {
                        up_to_message_id: message_id,
                    },
                    *cursor,
                ))
                .await
                .is_err()
        {
            return Ok(false);
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips() {
        for c in [
            StreamCursor::default(),
            StreamCursor {
                message_seq: 42,
                read_seq: 7,
                ended: false,
            },
            StreamCursor {
                message_seq: 42,
                read_seq: 7,
                ended: true,
            },
        ] {
            assert_eq!(StreamCursor::parse(&c.to_string()).unwrap(), c);
        }
        for bad in ["", "x", "1", "1.2.x", "-1.0", "1.2.e.3", "s", "s1", "s-1.0"] {
            assert!(StreamCursor::parse(bad).is_err(), "{bad}");
        }
        // From before per-session positions: replays from the start, keeps the end.
        assert_eq!(
            StreamCursor::parse("42.7").unwrap(),
            StreamCursor::default()
        );
        assert!(StreamCursor::parse("42.7.e").unwrap().ended);
    }
}
