//! Server-sent events for dashboard pages. Each page subscribes to the event bus and is told
//! *what* changed (`queue`, `transcript`, `details`, `typing`); htmx then fetches the partial.
//! Bursts are coalesced so a busy minute does not redraw a page a hundred times.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use super::error::PageResult;
use super::hypermedia::LiveEvent;
use super::session::DashboardAuth;
use crate::http::extract::{AppState, session_path};
use crate::realtime::DashboardEvent;
use crate::service::{agents, typing};

/// Changes within this window are sent as one event.
const COALESCE: Duration = Duration::from_millis(120);
const HEARTBEAT: Duration = Duration::from_secs(15);
/// How often an open page counts as the agent being present.
const PRESENCE_EVERY: Duration = Duration::from_secs(45);

type EventStream =
    Sse<axum::response::sse::KeepAliveStream<ReceiverStream<Result<Event, Infallible>>>>;

fn sse(rx: mpsc::Receiver<Result<Event, Infallible>>) -> EventStream {
    Sse::new(ReceiverStream::new(rx)).keep_alive(KeepAlive::new().interval(HEARTBEAT))
}

/// What a page wants to hear about an event: the SSE events to send.
type Interest = Box<dyn Fn(&DashboardEvent) -> Vec<LiveEvent> + Send>;

/// Forwards bus events the page is interested in until the page goes away, the agent is
/// disabled, or the server stops. Also keeps the agent's presence fresh while the page is open.
fn spawn_forwarder(
    ctx: AppState,
    agent_id: String,
    interest: Interest,
    typing_session: Option<String>,
) -> mpsc::Receiver<Result<Event, Infallible>> {
    let (tx, rx) = mpsc::channel(16);
    let mut bus = ctx.bus.subscribe();
    tokio::spawn(async move {
        let mut presence = tokio::time::interval(PRESENCE_EVERY);
        presence.tick().await;
        let typing_lapse = Duration::from_millis(typing::TYPING_TTL_MS as u64 + 200);
        let mut typing_recheck: Option<tokio::time::Instant> = None;
        loop {
            let recheck = async {
                match typing_recheck {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            let mut names: Vec<LiveEvent> = tokio::select! {
                _ = ctx.shutdown.cancelled() => return,
                _ = tx.closed() => return,
                _ = presence.tick() => {
                    if agents::authenticate_id(&ctx, &agent_id).await.is_err() {
                        return;
                    }
                    continue;
                }
                _ = recheck => {
                    typing_recheck = None;
                    vec![LiveEvent::Typing]
                }
                event = bus.recv() => match event {
                    Ok(event) => interest(&event),
                    // Fell behind: redraw everything the page shows.
                    Err(RecvError::Lagged(_)) => LiveEvent::ALL.to_vec(),
                    Err(RecvError::Closed) => return,
                },
            };
            if names.is_empty() {
                continue;
            }
            // Coalesce a burst into one round of events.
            let deadline = tokio::time::Instant::now() + COALESCE;
            while let Ok(Ok(event)) = tokio::time::timeout_at(deadline, bus.recv()).await {
                names.extend(interest(&event));
            }
            names.sort_unstable();
            names.dedup();
            if typing_session.is_some() && names.contains(&LiveEvent::Typing) {
                // A typing indicator lapses on its own: look again once it would have.
                typing_recheck = Some(tokio::time::Instant::now() + typing_lapse);
            }
            for name in names {
                if tx
                    .send(Ok(Event::default()
                        .event(name.as_str())
                        .data(name.as_str())))
                    .await
                    .is_err()
                {
                    return;
                }
            }
        }
    });
    rx
}

/// The queue page's stream: `queue` whenever anything in the queue changed.
pub async fn queue_events(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
) -> PageResult<EventStream> {
    let interest: Interest = Box::new(|event| match event {
        DashboardEvent::QueueChanged | DashboardEvent::UserTyping(_) => vec![LiveEvent::Queue],
        _ => Vec::new(),
    });
    Ok(sse(spawn_forwarder(
        ctx.clone(),
        session.agent.id.clone(),
        interest,
        None,
    )))
}

/// A chat page's stream: `transcript`, `details` and `typing` for that chat only (`details`
/// also when the labels change), and `queue` so the page can notify the agent of new chats and
/// of messages in their other chats.
pub async fn chat_events(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
    Path(id): Path<String>,
) -> PageResult<EventStream> {
    let id = session_path(&id)?.into_string();
    let watched = id.clone();
    let interest: Interest = Box::new(move |event| match event {
        DashboardEvent::Transcript(s) if **s == *watched => vec![LiveEvent::Transcript],
        DashboardEvent::SessionDetails(s) if **s == *watched => vec![LiveEvent::Details],
        DashboardEvent::UserTyping(s) if **s == *watched => vec![LiveEvent::Typing],
        DashboardEvent::LabelsChanged => vec![LiveEvent::Details],
        DashboardEvent::QueueChanged => vec![LiveEvent::Queue],
        _ => Vec::new(),
    });
    Ok(sse(spawn_forwarder(
        ctx.clone(),
        session.agent.id.clone(),
        interest,
        Some(id),
    )))
}
