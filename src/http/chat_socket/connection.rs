//! One chat WebSocket from upgrade to close: authentication (unless the header did it), then
//! the chat's events out and the client's frames in, with protocol pings to keep it alive.

use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use serde_json::json;
use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior};

use super::frames::{AuthenticateFrame, ClientFrame, ServerFrame};
use super::requests;
use crate::auth::UserPrincipal;
use crate::error::Error;
use crate::http::api::answers::ClientMessage;
use crate::http::envelope::ApiError;
use crate::http::extract::AppState;
use crate::realtime::HoldKind;
use crate::service::stream::{self, ClientEvent, StreamCursor};

/// How long a socket without a header token may take to send its authenticate frame.
const AUTHENTICATE_WITHIN: Duration = Duration::from_secs(10);
/// A protocol ping this often keeps proxies and NATs from dropping an idle socket.
const PING_EVERY: Duration = Duration::from_secs(25);
/// A socket that sent nothing (not even a pong) for this long is gone; it is closed.
const SILENT_LIMIT: Duration = Duration::from_secs(60);
/// How long to wait for the client's half of the closing handshake.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// Close codes (RFC 6455 and the private range): the reason text names the error code.
const CLOSE_NORMAL: u16 = 1000;
const CLOSE_GOING_AWAY: u16 = 1001;
const CLOSE_POLICY: u16 = 1008;
const CLOSE_TOO_BIG: u16 = 1009;
const CLOSE_SILENT: u16 = 4408;
const CLOSE_TOKEN_EXPIRED: u16 = 4401;

/// A socket whose caller and stream are settled (by the header, before the upgrade).
pub struct Opened {
    pub user: UserPrincipal,
    pub events: mpsc::Receiver<(ClientEvent, StreamCursor)>,
    /// When the token stops being accepted on HTTP; the socket closes then.
    pub expires_in: Duration,
}

/// What the URL asked for.
pub struct Target {
    pub session_id: String,
    pub after: Option<String>,
    /// Larger text frames get a `PAYLOAD_TOO_LARGE` error frame.
    pub frame_limit: usize,
}

pub async fn run(ctx: AppState, mut socket: WebSocket, target: Target, opened: Option<Opened>) {
    let opened = match opened {
        Some(opened) => opened,
        None => match authenticate(&ctx, &mut socket, &target).await {
            Ok(opened) => opened,
            Err(Some((request_id, error))) => {
                let error = ApiError::from(error);
                let code = error.code;
                let frame = ServerFrame::api_error(Some("authenticate"), request_id, error);
                send(&mut socket, &frame).await;
                close(socket, CLOSE_POLICY, code).await;
                return;
            }
            Err(None) => return,
        },
    };
    let Opened {
        user,
        mut events,
        expires_in,
    } = opened;
    let expired = tokio::time::sleep(expires_in);
    tokio::pin!(expired);
    let ready = ServerFrame::Authenticated {
        session_id: &target.session_id,
    };
    if !send(&mut socket, &ready).await {
        return;
    }
    let mut ping = tokio::time::interval_at(Instant::now() + PING_EVERY, PING_EVERY);
    ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut last_heard = Instant::now();
    loop {
        tokio::select! {
            () = ctx.shutdown.cancelled() => {
                close(socket, CLOSE_GOING_AWAY, "SERVER_SHUTTING_DOWN").await;
                return;
            }
            () = &mut expired => {
                close(socket, CLOSE_TOKEN_EXPIRED, "TOKEN_EXPIRED").await;
                return;
            }
            event = events.recv() => {
                let Some((event, _cursor)) = event else {
                    // The stream stops only at the end (sent just before) or on shutdown.
                    close(socket, CLOSE_GOING_AWAY, "STREAM_CLOSED").await;
                    return;
                };
                let ended = matches!(event, ClientEvent::Ended { .. });
                if !send(&mut socket, &to_frame(&ctx, event)).await {
                    return;
                }
                if ended {
                    close(socket, CLOSE_NORMAL, "SESSION_ENDED").await;
                    return;
                }
            }
            incoming = socket.recv() => {
                last_heard = Instant::now();
                match incoming {
                    Some(Ok(Message::Text(text))) => {
                        let answer = if text.len() > target.frame_limit {
                            too_large(target.frame_limit)
                        } else {
                            requests::answer(&ctx, &user, &target.session_id, text.as_str()).await
                        };
                        if !send_text(&mut socket, answer).await {
                            return;
                        }
                    }
                    Some(Ok(Message::Binary(_))) => {
                        let error = Error::validation("frame", "Send frames as text (JSON)");
                        if !send(&mut socket, &ServerFrame::error(None, None, error)).await {
                            return;
                        }
                    }
                    // tungstenite answers pings itself; a pong only proves the client is there.
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                    Some(Ok(Message::Close(_))) | None => return,
                    Some(Err(e)) => {
                        tracing::debug!(error = %e, "chat socket read failed");
                        if is_too_big(&e) {
                            close_unread(socket, CLOSE_TOO_BIG, "PAYLOAD_TOO_LARGE").await;
                        }
                        return;
                    }
                }
            }
            _ = ping.tick() => {
                if last_heard.elapsed() >= SILENT_LIMIT {
                    close(socket, CLOSE_SILENT, "IDLE_TIMEOUT").await;
                    return;
                }
                if socket.send(Message::Ping(Default::default())).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// Waits for the authenticate frame and opens the stream. `Err(None)`: the client left.
async fn authenticate(
    ctx: &AppState,
    socket: &mut WebSocket,
    target: &Target,
) -> Result<Opened, Option<(Option<serde_json::Value>, Error)>> {
    let text = loop {
        let next = tokio::time::timeout(AUTHENTICATE_WITHIN, socket.recv()).await;
        match next {
            Err(_) => {
                return Err(Some((
                    None,
                    Error::Unauthenticated("Send the authenticate frame first"),
                )));
            }
            Ok(Some(Ok(Message::Text(text)))) => break text,
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
            Ok(Some(Ok(Message::Binary(_)))) => {
                return Err(Some((
                    None,
                    Error::Unauthenticated("Send the authenticate frame first"),
                )));
            }
            Ok(Some(Ok(Message::Close(_))) | None | Some(Err(_))) => return Err(None),
        }
    };
    if text.len() > target.frame_limit {
        return Err(Some((
            None,
            Error::Unauthenticated("Send the authenticate frame first"),
        )));
    }
    let frame = ClientFrame::parse(text.as_str()).map_err(|bad| {
        Some((
            bad.request_id,
            Error::Unauthenticated("Send the authenticate frame first"),
        ))
    })?;
    let request_id = frame.request_id.clone();
    if frame.kind != "authenticate" {
        return Err(Some((
            request_id,
            Error::Unauthenticated("Send the authenticate frame first"),
        )));
    }
    let fail = |error| Some((request_id.clone(), error));
    let auth: AuthenticateFrame = frame.fields().map_err(fail)?;
    let token = auth.token.filter(|t| !t.trim().is_empty()).ok_or_else(|| {
        fail(Error::Unauthenticated(
            "The authenticate frame needs a token",
        ))
    })?;
    let (user, deadline) = ctx
        .user_tokens
        .verify_with_deadline(token.trim())
        .map_err(fail)?;
    if auth
        .session_id
        .as_deref()
        .is_some_and(|id| id != target.session_id)
    {
        return Err(fail(Error::SessionNotFound));
    }
    let events = stream::open_after_message(
        ctx,
        &user,
        &target.session_id,
        target.after.as_deref(),
        HoldKind::Socket,
    )
    .await
    .map_err(fail)?;
    Ok(Opened {
        user,
        events,
        expires_in: Duration::from_secs(ctx.user_tokens.seconds_until(deadline)),
    })
}

fn to_frame(ctx: &AppState, event: ClientEvent) -> ServerFrame<'static> {
    match event {
        ClientEvent::Message(row) => ServerFrame::NewMessage {
            message: ClientMessage::of(*row, &ctx.file_links),
        },
        ClientEvent::Typing(agent_typing) => ServerFrame::Typing { agent_typing },
        ClientEvent::Read { up_to_message_id } => ServerFrame::Read {
            up_to: up_to_message_id,
        },
        ClientEvent::Ended { status, reason } => ServerFrame::SessionEnded {
            session_status: status,
            end_reason: reason.as_deref().map(str::to_string),
        },
    }
}

fn too_large(limit: usize) -> String {
    let error = ApiError::payload_too_large().with_details(json!({ "maxBytes": limit }));
    ServerFrame::api_error(None, None, error).to_text()
}

fn is_too_big(e: &axum::Error) -> bool {
    let text = e.to_string();
    text.contains("too long") || text.contains("too big") || text.contains("Space limit")
}

/// Sends a frame; false when the client is gone.
async fn send(socket: &mut WebSocket, frame: &ServerFrame<'_>) -> bool {
    send_text(socket, frame.to_text()).await
}

async fn send_text(socket: &mut WebSocket, text: String) -> bool {
    socket
        .send(Message::Text(Utf8Bytes::from(text)))
        .await
        .is_ok()
}

fn close_frame(code: u16, reason: &'static str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: Utf8Bytes::from_static(reason),
    }))
}

/// Sends a close frame and waits briefly for the client's, so the close is clean.
async fn close(mut socket: WebSocket, code: u16, reason: &'static str) {
    if socket.send(close_frame(code, reason)).await.is_err() {
        return;
    }
    let _ = tokio::time::timeout(CLOSE_GRACE, async {
        while let Some(Ok(_)) = socket.recv().await {}
    })
    .await;
}

/// Closes after an oversized frame. The rest of that frame is never read (its header may claim
/// any length, and reading it would buffer it), but the connection is held for the grace period
/// so the client reads the close frame before unread bytes make the drop a TCP reset.
async fn close_unread(mut socket: WebSocket, code: u16, reason: &'static str) {
    if socket.send(close_frame(code, reason)).await.is_ok() {
        tokio::time::sleep(CLOSE_GRACE).await;
    }
}
