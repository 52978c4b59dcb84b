//! Socket.IO (protocol v5, Engine.IO v4) at `/socket.io/` for the source documents' web
//! clients: the same services, hub and durability as the HTTP API, another transport.
//!
//! Namespace `/` is for users and guests: the handshake's `auth.token` (or an
//! `Authorization: Bearer` header) is verified exactly as the HTTP API verifies it. Every
//! client event goes through one dispatcher, so an unknown event or a malformed payload gets
//! an error ack in the envelope's shape instead of silence. A joined chat is followed with the
//! same per-session stream the SSE endpoint uses, so events arrive in order, once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use serde_json::{Map, Value, json};
use socketioxide::SocketIo;
use socketioxide::extract::{AckSender, Event, SocketRef, TryData};
use socketioxide::handler::ConnectHandler;
use socketioxide::service::SocketIoService;
use tokio::task::AbortHandle;

mod admin;

use crate::auth::UserPrincipal;
use crate::domain::attachment::parse_message_attachments;
use crate::domain::{MessageId, MessageText, SessionId};
use crate::error::Error;
use crate::http::api::answers::message::client_messages;
use crate::http::api::answers::{ClientMessage, SendAnswer};
use crate::http::envelope::ApiError;
use crate::http::extract::AppState;
use crate::realtime::{HoldKind, HoldPermit};
use crate::service::chat::{self, SentMessage, UserSend};
use crate::service::poll::{self, PollRequest};
use crate::service::stream::{self, ClientEvent, StreamCursor};
use crate::service::{receipts, typing};

/// Messages a `join_chat` ack carries: the newest of the chat.
const JOIN_MESSAGES: i64 = 50;

/// The Socket.IO service, to be routed at `/socket.io/`.
pub type SocketIoSvc = SocketIoService<engineioxide::service::NotFoundService>;

/// Builds the Socket.IO service over `ctx`.
pub fn service(ctx: AppState) -> SocketIoSvc {
    let max_payload = ctx.settings.max_body_bytes as u64;
    let (svc, io) = SocketIo::builder()
        .req_path("/socket.io")
        .max_payload(max_payload)
        .ws_max_message_size(max_payload as usize)
        .build_svc();
    let admin_ctx = ctx.clone();
    let admin_auth_ctx = ctx.clone();
    // Event handlers are registered by the authenticating middleware, which socketioxide
    // awaits before it answers the connect: the connect handler runs as a spawned task, and an
    // event sent right after the connect could otherwise arrive first and go unanswered.
    io.ns(
        "/admin",
        (move |s: SocketRef| {
            let ctx = admin_ctx.clone();
            async move { admin::on_connect(ctx, s) }
        })
        .with(move |s: SocketRef, TryData(auth): TryData<Value>| {
            let ctx = admin_auth_ctx.clone();
            async move {
                admin::authenticate(&ctx, &s, auth.ok()).await?;
                admin::register_events(ctx, &s);
                Ok::<(), Refused>(())
            }
        }),
    );
    let auth_ctx = ctx.clone();
    io.ns(
        "/",
        (move |s: SocketRef| async move { on_user_connect(s) }).with(
            move |s: SocketRef, TryData(auth): TryData<Value>| {
                let ctx = auth_ctx.clone();
                async move {
                    authenticate_user(&ctx, &s, auth.ok())?;
                    register_user_events(ctx, &s);
                    Ok::<(), Refused>(())
                }
            },
        ),
    );
    svc
}

/// Why a connection was refused; the client's `connect_error` carries it as `message`.
#[derive(Debug)]
pub(super) struct Refused(&'static str);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

/// One user's connection: who it is, the chats it follows, and its place under the per-user
/// cap of held connections.
struct UserConn {
    user: UserPrincipal,
    joined: Mutex<HashMap<String, AbortHandle>>,
    /// The socket closes when its token stops being accepted.
    expires_in: Duration,
    expiry: Mutex<Option<AbortHandle>>,
    _permit: HoldPermit,
}

impl UserConn {
    fn leave_all(&self) {
        let mut joined = self.joined.lock().unwrap_or_else(|p| p.into_inner());
        for (_, task) in joined.drain() {
            task.abort();
        }
        if let Some(task) = self.expiry.lock().unwrap_or_else(|p| p.into_inner()).take() {
            task.abort();
        }
    }
}

pub(super) fn token_of(s: &SocketRef, auth: Option<&Value>) -> Option<String> {
    if let Some(token) = auth
        .and_then(|a| a.get("token"))
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        return Some(token.to_string());
    }
    super::extract::bearer_token(&s.req_parts().headers).map(str::to_string)
}

fn authenticate_user(ctx: &AppState, s: &SocketRef, auth: Option<Value>) -> Result<(), Refused> {
    let token = token_of(s, auth.as_ref()).ok_or(Refused("AUTHENTICATION_FAILED"))?;
    let (user, deadline) = ctx
        .user_tokens
        .verify_with_deadline(&token)
        .map_err(|_| Refused("AUTHENTICATION_FAILED"))?;
    let permit = ctx
        .hub
        .hold(
            &user.owner(),
            ctx.settings.max_held_polls_per_user,
            HoldKind::Socket,
        )
        .ok_or(Refused("RATE_LIMITED"))?;
    s.extensions.insert(Arc::new(UserConn {
        user,
        expires_in: Duration::from_secs(ctx.user_tokens.seconds_until(deadline)),
        expiry: Mutex::new(None),
        joined: Mutex::new(HashMap::new()),
        _permit: permit,
    }));
    Ok(())
}

fn on_user_connect(s: SocketRef) {
    if let Some(conn) = s.extensions.get::<Arc<UserConn>>() {
        let closing = s.clone();
        let wait = conn.expires_in;
        let task = tokio::spawn(async move {
            tokio::time::sleep(wait).await;
            let _ = closing.disconnect();
        });
        *conn.expiry.lock().unwrap_or_else(|p| p.into_inner()) = Some(task.abort_handle());
    }
}

fn register_user_events(ctx: AppState, s: &SocketRef) {
    s.on_fallback(
        move |s: SocketRef, Event(event): Event, TryData(data): TryData<Value>, ack: AckSender| {
            let ctx = ctx.clone();
            async move {
                let Some(conn) = s.extensions.get::<Arc<UserConn>>() else {
                    return;
                };
                let answer = dispatch(&ctx, &s, &conn, &event, data.ok()).await;
                let _ = ack.send(&ack_body(answer));
            }
        },
    );
    s.on_disconnect(async |s: SocketRef| {
        if let Some(conn) = s.extensions.remove::<Arc<UserConn>>() {
            conn.leave_all();
        }
    });
}

/// `{success: true, data}` or the envelope's error fields.
pub(super) fn ack_body(answer: Result<Value, ApiError>) -> Value {
    match answer {
        Ok(data) => json!({"success": true, "data": data}),
        Err(e) => {
            let mut body = json!({
                "success": false,
                "message": e.message,
                "error": {"code": e.code, "message": e.message, "details": *e.details},
            });
            if let Some(retry) = e.retry_after {
                body["error"]["details"]["retryAfterSeconds"] = json!(retry.as_secs().max(1));
            }
            body
        }
    }
}

/// The payload as an object, or a `VALIDATION_ERROR`.
pub(super) fn object(data: Option<Value>) -> Result<Map<String, Value>, Error> {
    match data {
        Some(Value::Object(map)) => Ok(map),
        _ => Err(Error::validation(
            "payload",
            "The event's payload must be a JSON object",
        )),
    }
}

pub(super) fn text_field<'a>(
    body: &'a Map<String, Value>,
    names: &[&'static str],
) -> Option<&'a str> {
    names
        .iter()
        .find_map(|n| body.get(*n).and_then(Value::as_str))
}

/// The ack of a stored message; the sender also gets it as `message_sent`.
pub(super) fn acknowledge_sent(s: &SocketRef, session_id: &SessionId, sent: SentMessage) -> Value {
    let answer = to_value(&SendAnswer::of(sent.message, sent.duplicate));
    let mut echo = answer.clone();
    echo["sessionId"] = json!(session_id.as_str());
    let _ = s.emit("message_sent", &echo);
    answer
}

pub(super) fn session_field(body: &Map<String, Value>) -> Result<SessionId, Error> {
    let raw = text_field(body, &["sessionId"])
        .ok_or_else(|| Error::validation("sessionId", "sessionId is required"))?;
    SessionId::parse(raw)
}

pub(super) fn to_value<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

async fn dispatch(
    ctx: &AppState,
    s: &SocketRef,
    conn: &Arc<UserConn>,
    event: &str,
    data: Option<Value>,
) -> Result<Value, ApiError> {
    let user = &conn.user;
    match event {
        "join_chat" | "join_conversation" => {
            let body = object(data)?;
            let session_id = session_field(&body)?;
            join(ctx, s, conn, session_id).await
        }
        "leave_chat" | "leave_conversation" => {
            let body = object(data)?;
            let session_id = session_field(&body)?;
            let left = conn
                .joined
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(session_id.as_str());
            if let Some(task) = &left {
                task.abort();
            }
            Ok(json!({"sessionId": session_id.as_str(), "left": left.is_some()}))
        }
        "send_message" => {
            let body = object(data)?;
            let session_id = session_field(&body)?;
            let message_id = text_field(&body, &["messageId"])
                .map(MessageId::parse)
                .transpose()?;
            let text = MessageText::parse_optional(
                text_field(&body, &["message", "content"]),
                ctx.settings.max_message_length,
            )?;
            match text_field(&body, &["messageType"]) {
                None | Some("text") => {}
                Some(_) => {
                    return Err(
                        Error::validation("messageType", "messageType must be \"text\"").into(),
                    );
                }
            }
            let attachments: Vec<String> = match body.get("attachments") {
                None | Some(Value::Null) => Vec::new(),
                Some(v) => serde_json::from_value(v.clone()).map_err(|_| {
                    Error::validation("attachments", "attachments must be a list of ids")
                })?,
            };
            let attachments = parse_message_attachments(&attachments)?;
            let sent = chat::send_user_message(
                ctx,
                user,
                UserSend {
                    session_id: session_id.clone(),
                    message_id,
                    text,
                    attachments,
                    client_timestamp: None,
                },
            )
            .await?;
            Ok(acknowledge_sent(s, &session_id, sent))
        }
        "typing" | "typing_start" | "typing_stop" | "stop_typing" => {
            let body = object(data)?;
            let session_id = session_field(&body)?;
            let is_typing = typing_flag(event, &body)?;
            typing::user_typing(ctx, user, &session_id, is_typing).await?;
            Ok(json!({"sessionId": session_id.as_str(), "isTyping": is_typing}))
        }
        "mark_as_read" | "mark_message_read" => {
            let body = object(data)?;
            let session_id = session_field(&body)?;
            let up_to = text_field(&body, &["upTo", "messageId"])
                .ok_or_else(|| Error::validation("upTo", "upTo is required"))?;
            let up_to = MessageId::parse(up_to)?;
            let count = receipts::user_read(ctx, user, session_id, up_to).await?;
            Ok(json!({"readCount": count}))
        }
        "sync" => {
            let body = object(data)?;
            let session_id = session_field(&body)?;
            let after = text_field(&body, &["after"])
                .filter(|a| !a.is_empty())
                .map(str::to_string);
            let answer = poll::poll(
                ctx,
                user,
                PollRequest {
                    session_id: session_id.as_str().to_string(),
                    after,
                    limit: poll::MAX_LIMIT,
                    wait: Duration::ZERO,
                },
            )
            .await?;
            let ended = answer.session_ended();
            Ok(json!({
                "sessionId": session_id.as_str(),
                "messages": client_messages(answer.messages, &ctx.file_links),
                "hasMoreMessages": answer.has_more,
                "sessionEnded": ended,
                "sessionStatus": answer.status,
                "endReason": answer.end_reason.as_deref(),
                "agentTyping": answer.agent_typing,
            }))
        }
        _ => Err(unknown_event(event)),
    }
}

/// Whether a typing event says typing: `typing` carries `isTyping`, the others are named.
pub(super) fn typing_flag(event: &str, body: &Map<String, Value>) -> Result<bool, Error> {
    match event {
        "typing_start" => Ok(true),
        "typing_stop" | "stop_typing" => Ok(false),
        _ => body
            .get("isTyping")
            .and_then(Value::as_bool)
            .ok_or_else(|| Error::validation("isTyping", "isTyping must be true or false")),
    }
}

pub(super) fn unknown_event(event: &str) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::BAD_REQUEST,
        "UNKNOWN_EVENT",
        format!("Unknown event \"{event}\""),
    )
}

/// Joins a chat: answers its status and newest messages, then forwards its live events.
async fn join(
    ctx: &AppState,
    s: &SocketRef,
    conn: &Arc<UserConn>,
    session_id: SessionId,
) -> Result<Value, ApiError> {
    let user = &conn.user;
    // Another user's chat is refused as if it did not exist.
    let status = poll::newest(ctx, user, session_id.as_str(), JOIN_MESSAGES).await?;
    let cursor = StreamCursor {
        message_seq: status.messages.last().map_or(0, |m| m.seq),
        read_seq: 0,
        ended: false,
    };
    let ended = status.session_ended();
    let answer = json!({
        "sessionId": session_id.as_str(),
        "sessionStatus": status.status,
        "sessionEnded": ended,
        "endReason": status.end_reason.as_deref(),
        "agentTyping": status.agent_typing,
        "hasOlderMessages": status.has_more,
        "messages": client_messages(status.messages, &ctx.file_links),
    });
    let following = conn
        .joined
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .contains_key(session_id.as_str());
    if !following {
        let mut rx = stream::open(
            ctx,
            user,
            session_id.as_str(),
            Some(cursor),
            HoldKind::Stream,
        )
        .await?;
        let links = ctx.file_links.clone();
        let s = s.clone();
        let id = session_id.as_str().to_string();
        let task = tokio::spawn(async move {
            while let Some((event, _)) = rx.recv().await {
                let (name, payload) = match event {
                    ClientEvent::Message(row) => {
                        let mut m = to_value(&ClientMessage::of(*row, &links));
                        m["sessionId"] = json!(id);
                        ("new_message", m)
                    }
                    ClientEvent::Typing(is_typing) => (
                        "user_typing",
                        json!({"sessionId": id, "isTyping": is_typing, "name": "Support"}),
                    ),
                    ClientEvent::Read { up_to_message_id } => {
                        let body = json!({"sessionId": id, "upTo": up_to_message_id});
                        let _ = s.emit("message_read", &body);
                        ("messages_read", body)
                    }
                    ClientEvent::Ended { status, reason } => (
                        "session_ended",
                        json!({"sessionId": id, "sessionStatus": status, "endReason": reason.as_deref()}),
                    ),
                };
                if s.emit(name, &payload).is_err() {
                    return;
                }
            }
        });
        let mut joined = conn.joined.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(earlier) = joined.insert(session_id.as_str().to_string(), task.abort_handle()) {
            earlier.abort(); // two joins raced: keep one follower
        }
    }
    Ok(answer)
}
