//! Polling, the hottest path: phones ask every 2 seconds. When the client's cursor is the
//! session's newest message, the answer comes from the hub with no SQLite query. Only a poll
//! that has something to return reads the messages. With `wait`, an up-to-date poll is held
//! until a new message, an end or a typing change, or until the wait runs out.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::{Services, live};
use crate::auth::UserPrincipal;
use crate::clock::Clock;
use crate::domain::message::Message;
use crate::domain::{Sender, SessionStatus, Timestamp};
use crate::error::{Error, Result};
use crate::realtime::{DashboardEvent, LiveState};

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 100;
pub const MAX_WAIT: Duration = Duration::from_secs(30);

#[derive(Debug)]
pub struct PollRequest {
    pub session_id: String,
    /// The id of the last message the client has; `None` means from the beginning.
    pub after: Option<String>,
    pub limit: i64,
    pub wait: Duration,
}

#[derive(Debug)]
pub struct PollAnswer {
    pub messages: Vec<Message>,
    pub status: SessionStatus,
    pub end_reason: Option<Arc<str>>,
    pub has_more: bool,
    pub agent_typing: bool,
}

impl PollAnswer {
    pub fn session_ended(&self) -> bool {
        !self.status.is_active()
    }
}

/// What a long-poll waits to see change.
#[derive(PartialEq, Eq)]
struct Observed {
    last_message_id: Option<Arc<str>>,
    status: SessionStatus,
    agent_typing: bool,
}

impl Observed {
    fn of(state: &LiveState, now: Timestamp, timeout_ms: i64) -> Self {
        Observed {
            last_message_id: state.snapshot.last_message_id.clone(),
            status: status_of(state, now, timeout_ms),
            agent_typing: state.agent_typing(now),
        }
    }
}

fn status_of(state: &LiveState, now: Timestamp, timeout_ms: i64) -> SessionStatus {
    let s = &state.snapshot;
    live::effective_status(s.channel, s.status, s.last_activity, now, timeout_ms)
}

/// True when the client already has the newest message.
fn is_current(state: &LiveState, after: Option<&str>) -> bool {
    state.snapshot.last_message_id.as_deref() == after
}

#[tracing::instrument(level = "debug", 
    skip_all,
    err(level = "debug"),
    fields(user_id = %user.user_id, session_id = %req.session_id)
)]
pub async fn poll(ctx: &Services, user: &UserPrincipal, req: PollRequest) -> Result<PollAnswer> {
    let cell = live::cell(ctx, &req.session_id)
        .await?
        .ok_or(Error::SessionNotFound)?;
    let timeout_ms = ctx.session_timeout_ms();
    let mut state = {
        let state = cell.state();
        if !user.is(&state.snapshot.owner) {
            return Err(Error::SessionNotFound);
        }
        is_current(&state, req.after.as_deref()).then(|| state.clone())
    };
    cell.touch(ctx.clock.now());

    if let Some(current) = &state
        && !req.wait.is_zero()
        && status_of(current, ctx.clock.now(), timeout_ms).is_active()
        && let Some(_permit) = ctx.hub.hold(
            &user.owner(),
            ctx.settings.max_held_polls_per_user,
            crate::realtime::HoldKind::Poll,
        )
    {
        // Only a poll that waits subscribes. The wait compares with `current`, the state this
        // poll decided on, so news published between the look and the subscription still ends
        // it at once.
        let mut rx = cell.subscribe();
        let watch = cell.open_watch(ctx.clock.now());
        let held = wait_for_change(
            &ctx.clock,
            &ctx.shutdown,
            &mut rx,
            current,
            req.wait,
            timeout_ms,
        )
        .await;
        watch.close(ctx.clock.now());
        state = is_current(&held, req.after.as_deref()).then_some(held);
    }

    if let Some(state) = state {
        return Ok(answer_from(
            &state,
            Vec::new(),
            false,
            ctx.clock.now(),
            timeout_ms,
        ));
    }
    let state = cell.state().clone();
    read_new(ctx, &req, state, timeout_ms).await
}

/// Waits until what the client would see differs from `decided` (the state the poll looked at
/// when it chose to wait), the wait runs out, or the server stops. Comparing with `decided`,
/// not with whatever the channel holds once the wait starts, means news that landed in between
/// ends the wait at once.
async fn wait_for_change(
    clock: &Clock,
    shutdown: &CancellationToken,
    rx: &mut watch::Receiver<LiveState>,
    decided: &LiveState,
    wait: Duration,
    timeout_ms: i64,
) -> LiveState {
    let deadline = Instant::now() + wait.min(MAX_WAIT);
    let seen = Observed::of(decided, clock.now(), timeout_ms);
    loop {
        let state = rx.borrow_and_update().clone();
        let now = clock.now();
        if Observed::of(&state, now, timeout_ms) != seen || Instant::now() >= deadline {
            return state;
        }
        // Wake when a typing indicator lapses, so the answer can say it stopped.
        let wake = match state.agent_typing_until {
            Some(until) if until > now => {
                deadline.min(Instant::now() + Duration::from_millis((until.0 - now.0) as u64))
            }
            _ => deadline,
        };
        tokio::select! {
            changed = rx.changed() => if changed.is_err() { break },
            _ = tokio::time::sleep_until(wake) => {}
            _ = shutdown.cancelled() => break,
        }
    }
    rx.borrow().clone()
}

fn answer_from(
    state: &LiveState,
    messages: Vec<Message>,
    has_more: bool,
    now: Timestamp,
    timeout_ms: i64,
) -> PollAnswer {
    let status = status_of(state, now, timeout_ms);
    let end_reason = match (status, state.snapshot.status) {
        (SessionStatus::Expired, SessionStatus::Active) => {
            Some(Arc::from(live::expiry_reason(timeout_ms)))
        }
        _ => state.snapshot.end_reason.clone(),
    };
    PollAnswer {
        messages,
        status,
        end_reason,
        has_more,
        agent_typing: state.agent_typing(now),
    }
}

/// The newest `limit` messages of the user's chat with its status, as a client joining the chat
/// sees it; `has_more` says older messages exist. One read, of the messages only: positions in
/// a session are gapless from 1, so the live state says where the newest ones start. Agent
/// messages answered count as delivered, as in a poll.
pub async fn newest(
    ctx: &Services,
    user: &UserPrincipal,
    session_id: &str,
    limit: i64,
) -> Result<PollAnswer> {
    let state = live::owned_cell(ctx, user, session_id)
        .await?
        .state()
        .clone();
    let from = (state.snapshot.last_seq - limit).max(0);
    let rows = if state.snapshot.last_seq == 0 {
        Vec::new()
    } else {
        ctx.store
            .messages_after_seq(session_id.to_string(), from, limit)
            .await?
    };
    mark_delivered(ctx, session_id, &rows);
    Ok(answer_from(
        &state,
        rows,
        from > 0,
        ctx.clock.now(),
        ctx.session_timeout_ms(),
    ))
}

/// The slow path: the client is behind (or sent no cursor), so read what it is missing.
async fn read_new(
    ctx: &Services,
    req: &PollRequest,
    state: LiveState,
    timeout_ms: i64,
) -> Result<PollAnswer> {
    let limit = req.limit;
    let mut rows = ctx
        .store
        .messages_after(req.session_id.clone(), req.after.clone(), limit + 1)
        .await?;
    let has_more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    mark_delivered(ctx, &req.session_id, &rows);
    Ok(answer_from(
        &state,
        rows,
        has_more,
        ctx.clock.now(),
        timeout_ms,
    ))
}

/// Records, without holding up the answer, that agent messages reached the phone.
pub(crate) fn mark_delivered(ctx: &Services, session_id: &str, rows: &[Message]) {
    let Some(up_to) = rows
        .iter()
        .filter(|m| m.sender == Sender::Admin && m.delivered_at.is_none())
        .map(|m| m.seq)
        .max()
    else {
        return;
    };
    let store = ctx.store.clone();
    let bus = ctx.bus.clone();
    let at = ctx.clock.now();
    let session_id: Arc<str> = Arc::from(session_id);
    tokio::spawn(async move {
        match store
            .mark_delivered(session_id.to_string(), up_to, at)
            .await
        {
            Ok(0) => {}
            Ok(_) => bus.publish(DashboardEvent::Transcript(session_id)),
            Err(e) => tracing::warn!(error = %e, "could not record delivery"),
        }
    });
}

#[cfg(test)]
mod tests {
    use futures_util::FutureExt;

    use super::*;
    use crate::realtime::{Hub, SessionSnapshot};

    fn snapshot(last: &str) -> SessionSnapshot {
        SessionSnapshot {
            session_id: "s1".into(),
            owner: crate::domain::SessionOwner::user("u1"),
            channel: crate::domain::Channel::App,
            status: SessionStatus::Active,
            end_reason: None,
            last_seq: 1,
            last_message_id: Some(last.into()),
            last_activity: Timestamp(1_000),
            agent_read_seq: 0,
        }
    }

    /// A message that lands between the poll's look and the start of its wait is news: the
    /// wait ends on its first turn instead of sleeping until the deadline.
    #[tokio::test]
    async fn news_between_the_look_and_the_wait_ends_the_wait_at_once() {
        let hub = Hub::default();
        let cell = hub.publish(snapshot("m1"));
        let mut rx = cell.subscribe();
        let decided = rx.borrow_and_update().clone();
        let mut next = snapshot("m2");
        next.last_seq = 2;
        hub.publish(next);

        let clock = Clock::fixed(Timestamp(1_000));
        let shutdown = CancellationToken::new();
        let held = wait_for_change(&clock, &shutdown, &mut rx, &decided, MAX_WAIT, 60_000)
            .now_or_never()
            .expect("the wait must not block when the news is already there");
        assert_eq!(held.snapshot.last_message_id.as_deref(), Some("m2"));
    }

    /// With nothing new the wait does block (so the test above proves something).
    #[tokio::test]
    async fn no_news_keeps_the_poll_waiting() {
        let hub = Hub::default();
        let cell = hub.publish(snapshot("m1"));
        let mut rx = cell.subscribe();
        let decided = rx.borrow_and_update().clone();
        let clock = Clock::fixed(Timestamp(1_000));
        let shutdown = CancellationToken::new();
        let waiting =
            wait_for_change(&clock, &shutdown, &mut rx, &decided, MAX_WAIT, 60_000).now_or_never();
        assert!(waiting.is_none());
    }
}
