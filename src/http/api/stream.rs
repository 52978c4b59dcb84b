//! `GET /api/chat/stream/{sessionId}`: server-sent events for clients that keep a connection
//! open instead of polling. Event ids carry the resume cursor for `Last-Event-ID`.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use futures_util::StreamExt;
use tokio_stream::wrappers::ReceiverStream;

use super::answers::{ClientMessage, EndedEvent, ReadEvent, StreamEvent, TypingEvent};
use crate::auth::FileLinks;
use crate::http::envelope::{ApiError, ErrorEnvelope};
use crate::http::extract::{ApiPath, AppState, UserAuth, session_path};
use crate::realtime::HoldKind;
use crate::service::stream::{self, ClientEvent, StreamCursor};

/// Comment lines at this interval keep proxies from closing an idle stream.
const HEARTBEAT: Duration = Duration::from_secs(15);

/// Live events of a chat (server-sent events)
///
/// For clients that keep a connection open instead of polling. Events: `message` (a
/// `ClientMessage`), `typing` (`TypingEvent`), `read` (`ReadEvent`) and `ended` (`EndedEvent`),
/// each with an id; send the last one as `Last-Event-ID` to resume without gaps. Comment lines
/// keep an idle stream open.
#[utoipa::path(
    get,
    path = "/api/chat/stream/{session_id}",
    tag = "client",
    params(
        ("session_id" = String, Path, description = "The chat's id"),
        ("Last-Event-ID" = Option<String>, Header, description = "The id of the last event received, to resume after it"),
    ),
    responses(
        (status = 200, description = "An event stream; the schema describes one event", content_type = "text/event-stream", body = StreamEvent),
        (status = 400, description = "`INVALID_CURSOR`: a `Last-Event-ID` this chat never sent", body = ErrorEnvelope),
        (status = 404, description = "`SESSION_NOT_FOUND`", body = ErrorEnvelope),
        (status = 429, description = "`RATE_LIMITED`: too many open streams", body = ErrorEnvelope),
    ),
    security(("bearerAuth" = [])),
)]
pub async fn stream(
    State(ctx): State<AppState>,
    UserAuth(user): UserAuth,
    ApiPath(session_id): ApiPath<String>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let session_id = session_path(&session_id)?;
    let resume = match headers.get("last-event-id") {
        None => None,
        Some(value) => Some(StreamCursor::parse(value.to_str().unwrap_or(""))?),
    };
    let rx = stream::open(&ctx, &user, session_id.as_str(), resume, HoldKind::Stream).await?;
    let links = ctx.file_links.clone();
    let events =
        ReceiverStream::new(rx).map(move |(event, cursor)| Ok(to_sse(event, cursor, &links)));
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(HEARTBEAT)))
}

fn to_sse(event: ClientEvent, cursor: StreamCursor, links: &FileLinks) -> Event {
    let (name, data) = match event {
        ClientEvent::Message(row) => ("message", to_json(&ClientMessage::of(*row, links))),
        ClientEvent::Typing(is_typing) => (
            "typing",
            to_json(&TypingEvent {
                agent_typing: is_typing,
            }),
        ),
        ClientEvent::Read { up_to_message_id } => (
            "read",
            to_json(&ReadEvent {
                up_to: up_to_message_id,
            }),
        ),
        ClientEvent::Ended { status, reason } => (
            "ended",
            to_json(&EndedEvent {
                session_ended: true,
                session_status: status,
                end_reason: reason.as_deref().map(str::to_string),
            }),
        ),
    };
    Event::default()
        .event(name)
        .id(cursor.to_string())
        .data(data)
}

/// Event payloads are plain structs of strings and numbers, which always serialise.
fn to_json<T: serde::Serialize>(payload: &T) -> String {
    serde_json::to_string(payload).unwrap_or_default()
}
