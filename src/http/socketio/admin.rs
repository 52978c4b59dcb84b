//! Namespace `/admin` for agents: follow the queue and any chat the agent's role may read,
//! reply and type. Live news comes from the realtime bus the dashboard listens to.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use socketioxide::extract::{AckSender, Event, SocketRef, TryData};
use tokio::sync::broadcast::error::RecvError;
use tokio::task::AbortHandle;

use super::{Refused, ack_body, object, session_field, text_field, to_value};
use crate::auth::FileLinks;
use crate::domain::{MessageId, MessageText, SendAs};
use crate::error::Error;
use crate::http::admin_api::answers::BroadcastAnswer;
use crate::http::api::answers::ClientMessage;
use crate::http::envelope::ApiError;
use crate::http::extract::AppState;
use crate::realtime::DashboardEvent;
use crate::service::agents::{self, AgentPrincipal};
use crate::service::{broadcast, replies, transcript, typing};

/// Messages a `join_chat` ack carries: the newest of the chat.
const JOIN_MESSAGES: usize = 50;

/// One agent's connection: its token (checked again whenever agents change, so a disabled
/// agent is dropped at once), the chats it follows with the last message it was sent.
struct AgentConn {
    token: String,
    agent: AgentPrincipal,
    joined: Mutex<HashMap<String, Option<String>>>,
    bus_task: Mutex<Option<AbortHandle>>,
}

pub(super) async fn authenticate(
    ctx: &AppState,
    s: &SocketRef,
    auth: Option<Value>,
) -> Result<(), Refused> {
    let token = super::token_of(s, auth.as_ref()).ok_or(Refused("AUTHENTICATION_FAILED"))?;
    let agent = agents::authenticate_token(ctx, &token)
        .await
        .map_err(|_| Refused("AUTHENTICATION_FAILED"))?;
    s.extensions.insert(Arc::new(AgentConn {
        token,
        agent,
        joined: Mutex::new(HashMap::new()),
        bus_task: Mutex::new(None),
    }));
    Ok(())
}

pub(super) fn on_connect(ctx: AppState, s: SocketRef) {
    let Some(conn) = s.extensions.get::<Arc<AgentConn>>() else {
        return;
    };
    let task = tokio::spawn(follow_bus(ctx, s.clone(), conn.clone()));
    *conn.bus_task.lock().unwrap_or_else(|p| p.into_inner()) = Some(task.abort_handle());
    // Gone before the task was stored: the disconnect handler could not stop it.
    if !s.connected() {
        task.abort();
    }
}

/// Registered while the connect is authenticated, before any event can arrive.
pub(super) fn register_events(ctx: AppState, s: &SocketRef) {
    s.on_fallback(
        move |s: SocketRef, Event(event): Event, TryData(data): TryData<Value>, ack: AckSender| {
            let ctx = ctx.clone();
            async move {
                let Some(conn) = s.extensions.get::<Arc<AgentConn>>() else {
                    return;
                };
                let answer = dispatch(&ctx, &s, &conn, &event, data.ok()).await;
                let _ = ack.send(&ack_body(answer));
            }
        },
    );
    s.on_disconnect(async |s: SocketRef| {
        if let Some(conn) = s.extensions.remove::<Arc<AgentConn>>()
            && let Some(task) = conn
                .bus_task
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .take()
        {
            task.abort();
        }
    });
}

/// Forwards the bus: queue changes, agent presence, user messages and typing; for joined
/// chats also their new messages.
async fn follow_bus(ctx: AppState, s: SocketRef, conn: Arc<AgentConn>) {
    let mut rx = ctx.bus.subscribe();
    loop {
        let event = match rx.recv().await {
            Ok(event) => event,
            Err(RecvError::Lagged(_)) => DashboardEvent::QueueChanged,
            Err(RecvError::Closed) => return,
        };
        match event {
            DashboardEvent::QueueChanged => {
                let _ = s.emit("queue_changed", &json!({}));
            }
            DashboardEvent::AgentsChanged => {
                if agents::authenticate_token(&ctx, &conn.token).await.is_err() {
                    let _ = s.clone().disconnect();
                    return;
                }
                let _ = s.emit("user_status_update", &json!({}));
            }
            DashboardEvent::Transcript(id) => {
                if conn.agent.role.can(crate::domain::Permission::ViewChats) {
                    let _ = s.emit("new_chat_message", &json!({"sessionId": &*id}));
                }
                forward_new_messages(&ctx, &s, &conn, &id).await;
            }
            DashboardEvent::UserTyping(id) => {
                if is_joined(&conn, &id)
                    && let Ok(detail) = transcript::detail(&ctx, &conn.agent, &id).await
                {
                    let _ = s.emit(
                        "user_typing",
                        &json!({"sessionId": &*id, "isTyping": detail.user_typing,
                            "name": detail.session.user_name}),
                    );
                }
            }
            DashboardEvent::SessionDetails(id) => {
                forward_new_messages(&ctx, &s, &conn, &id).await;
            }
            // The queue event published with it tells socket clients already.
            DashboardEvent::LabelsChanged => {}
        }
    }
}

fn is_joined(conn: &AgentConn, session_id: &str) -> bool {
    conn.joined
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .contains_key(session_id)
}

async fn forward_new_messages(ctx: &AppState, s: &SocketRef, conn: &AgentConn, id: &str) {
    let last = match conn
        .joined
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(id)
    {
        None => return,
        Some(last) => last.clone(),
    };
    let Ok(detail) = transcript::detail(ctx, &conn.agent, id).await else {
        return;
    };
    let start = match &last {
        None => 0,
        Some(last) => match detail.messages.iter().position(|m| &m.id == last) {
            Some(at) => at + 1,
            None => detail.messages.len(),
        },
    };
    let newest = detail.messages.last().map(|m| m.id.clone()).or(last);
    for m in detail.messages.into_iter().skip(start) {
        let _ = s.emit("new_message", &message_event(m, id, &ctx.file_links));
    }
    if let Some(slot) = conn
        .joined
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get_mut(id)
    {
        *slot = newest;
    }
    if !detail.session.status.is_active() {
        let _ = s.emit(
            "session_ended",
            &json!({"sessionId": id, "sessionStatus": detail.session.status,
                "endReason": detail.session.end_reason}),
        );
    }
}

fn message_event(m: crate::domain::message::Message, id: &str, links: &FileLinks) -> Value {
    let mut v = to_value(&ClientMessage::of(m, links));
    v["sessionId"] = json!(id);
    v
}

async fn dispatch(
    ctx: &AppState,
    s: &SocketRef,
    conn: &Arc<AgentConn>,
    event: &str,
    data: Option<Value>,
) -> Result<Value, ApiError> {
    let agent = &conn.agent;
    match event {
        "join_chat" | "join_conversation" => {
            let session_id = session_field(&object(data)?)?;
            let detail = transcript::detail(ctx, agent, session_id.as_str()).await?;
            let newest = detail.messages.last().map(|m| m.id.clone());
            conn.joined
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(session_id.as_str().to_string(), newest);
            let skip = detail.messages.len().saturating_sub(JOIN_MESSAGES);
            let messages: Vec<ClientMessage> = detail
                .messages
                .into_iter()
                .skip(skip)
                .map(|m| ClientMessage::of(m, &ctx.file_links))
                .collect();
            Ok(json!({
                "sessionId": session_id.as_str(),
                "sessionStatus": detail.session.status,
                "userTyping": detail.user_typing,
                "messages": messages,
            }))
        }
        "leave_chat" | "leave_conversation" => {
            let session_id = session_field(&object(data)?)?;
            let left = conn
                .joined
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(session_id.as_str())
                .is_some();
            Ok(json!({"sessionId": session_id.as_str(), "left": left}))
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
            let send_as = match text_field(&body, &["sendAs"]) {
                None => SendAs::Agent,
                Some(raw) => SendAs::parse(raw).ok_or_else(|| {
                    Error::validation("sendAs", "sendAs must be \"agent\" or \"persona\"")
                })?,
            };
            let sent = replies::send(
                ctx,
                agent,
                replies::AgentSend {
                    session_id: session_id.clone(),
                    message_id,
                    text,
                    attachments: Vec::new(),
                    send_as,
                    client_timestamp: None,
                },
            )
            .await?;
            Ok(super::acknowledge_sent(s, &session_id, sent))
        }
        "typing" | "typing_start" | "typing_stop" | "stop_typing" => {
            let body = object(data)?;
            let session_id = session_field(&body)?;
            let is_typing = super::typing_flag(event, &body)?;
            typing::agent_typing(ctx, agent, session_id.as_str(), is_typing).await?;
            Ok(json!({"sessionId": session_id.as_str(), "isTyping": is_typing}))
        }
        "admin_broadcast" => {
            let body = object(data)?;
            let text = MessageText::parse(
                text_field(&body, &["message", "content"]).unwrap_or_default(),
                ctx.settings.max_message_length,
            )?;
            let message_id = text_field(&body, &["messageId"])
                .map(MessageId::parse)
                .transpose()?;
            let summary = broadcast::send(ctx, agent, text, message_id).await?;
            Ok(to_value(&BroadcastAnswer::of(summary)))
        }
        _ => Err(super::unknown_event(event)),
    }
}
