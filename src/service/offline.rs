//! The website's offline form: a visitor leaves a message while nobody can answer, and it
//! waits in the queue as a chat of channel `offline` until an agent picks it up.

use std::net::IpAddr;

use super::Services;
use super::chat::{self, StartRequest, Started};
use crate::auth::UserPrincipal;
use crate::domain::{Channel, Email, MessageText, Metadata, SessionId};
use crate::error::Result;

/// A validated offline-form submit.
#[derive(Debug)]
pub struct OfflineMessage {
    /// A client-chosen id: a retry with it answers the chat it made, as a session start does.
    pub session_id: Option<SessionId>,
    pub name: String,
    pub email: Email,
    pub message: MessageText,
    pub metadata: Option<Metadata>,
}

/// Leaves an offline message as a new chat (no welcome, the message first). Without a caller
/// a new guest is made, limited per client address like a guest start, even when live guest
/// chats are off. A resubmit by the same caller with the same message within a minute (or
/// with the same `sessionId`) answers the chat it made instead of making another. Answers the
/// guest token for a new guest.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn leave_message(
    ctx: &Services,
    caller: Option<UserPrincipal>,
    addr: Option<IpAddr>,
    msg: OfflineMessage,
) -> Result<(Started, Option<String>)> {
    let (user, token) = match caller {
        Some(user) => (user, None),
        None => {
            let (user, token) = chat::new_guest(ctx, addr)?;
            (user, Some(token))
        }
    };
    let request = StartRequest {
        session_id: msg.session_id,
        user_name: Some(msg.name),
        user_email: Some(msg.email),
        metadata: msg.metadata,
        channel: Channel::Offline,
        first_message: Some(msg.message),
        ..StartRequest::default()
    };
    let started = chat::start_session(ctx, &user, addr, request).await?;
    Ok((started, token))
}
