//! The user's side of a chat: start or resume a session, send, read the transcript, end, and
//! list past sessions. Every store call checks ownership inside its unit of work, so another
//! user's session id behaves exactly like one that does not exist.

use std::net::IpAddr;
use std::sync::Arc;

use super::live::{self, idle_rule};
use super::{PageRequest, Pagination, Services, rate_limit};
use crate::auth::UserPrincipal;
use crate::domain::attachment::AttachmentId;
use crate::domain::message::Message;
use crate::domain::rating::Rating;
use crate::domain::session::Session;
use crate::domain::{
    Channel, ClientTimestamp, Email, EndedBy, MessageId, MessageText, Metadata, SessionId,
    SessionOwner,
};
use crate::error::{Error, Result};
use crate::realtime::{DashboardEvent, Typist};
use crate::store::chats::{
    ActiveSessionCaps, NewUserMessage, SendOutcome, StartKind, StartSession,
};

pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_EMAIL_CHARS: usize = 254;
pub const MAX_PHONE_CHARS: usize = 32;
pub const MAX_METADATA_BYTES: usize = 4096;
pub const MAX_REASON_CHARS: usize = 500;
pub const MAX_CLIENT_TIMESTAMP_CHARS: usize = 64;

/// Seconds assumed for a first response when there is no history to go by.
const DEFAULT_FIRST_RESPONSE_SECONDS: i64 = 60;

#[derive(Debug, Default)]
pub struct StartRequest {
    pub session_id: Option<SessionId>,
    pub user_name: Option<String>,
    pub user_email: Option<Email>,
    pub user_phone: Option<String>,
    pub persona_id: Option<String>,
    pub client_start_time: Option<ClientTimestamp>,
    pub metadata: Option<Metadata>,
    pub channel: Channel,
    /// The user's first message, stored with the new chat (the offline form's message).
    pub first_message: Option<MessageText>,
}

#[derive(Debug)]
pub struct Started {
    pub session: Session,
    /// An active session of this user was resumed (no `sessionId` was sent).
    pub resumed: bool,
    /// The `sessionId` sent names a session this user already has.
    pub existing: bool,
    pub queue_position: i64,
    pub estimated_wait_seconds: i64,
}

/// Starts a chat, or returns the one this request is a retry of, or resumes the user's active
/// chat with the same persona. A new chat past `MAX_ACTIVE_SESSIONS_PER_USER`, or for a guest
/// past `MAX_ACTIVE_GUEST_SESSIONS_PER_ADDRESS` from `addr`, is `TooManySessions`; a retry or a
/// resume never is. `addr` is the client address (see [`crate::domain::TrustedProxies`]).
/// With guests off, a guest token (which the offline form hands out even then) may follow up
/// on its offline chat but not start a live one.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"), fields(user_id = %user.user_id))]
pub async fn start_session(
    ctx: &Services,
    user: &UserPrincipal,
    addr: Option<IpAddr>,
    req: StartRequest,
) -> Result<Started> {
    if user.is_guest && !ctx.settings.allow_guests && req.channel != Channel::Offline {
        return Err(Error::Unauthenticated(
            "Missing Authorization: Bearer token",
        ));
    }
    let guest_addr = user.is_guest.then(|| address_key(addr));
    start(ctx, user, req, guest_addr).await
}

/// Starts a chat for a new guest from `addr` and returns it with the guest's token. New
/// guests are limited per address per hour (`RateLimited`), and their active sessions as in
/// [`start_session`].
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn start_guest_session(
    ctx: &Services,
    addr: Option<IpAddr>,
    req: StartRequest,
) -> Result<(Started, String)> {
    if !ctx.settings.allow_guests {
        return Err(Error::Unauthenticated(
            "Missing Authorization: Bearer token",
        ));
    }
    let (user, token) = new_guest(ctx, addr)?;
    let started = start_session(ctx, &user, addr, req).await?;
    Ok((started, token))
}

/// A new guest identity and its token, within the per-address limit on new guests.
pub(super) fn new_guest(ctx: &Services, addr: Option<IpAddr>) -> Result<(UserPrincipal, String)> {
    let now = ctx.clock.now();
    ctx.guest_start_limiter
        .check(&address_key(addr), now)
        .map_err(|retry_after| Error::RateLimited { retry_after })?;
    ctx.user_tokens.issue_guest()
}

/// How a client address is counted; without connect info every caller shares one count.
fn address_key(addr: Option<IpAddr>) -> String {
    addr.map_or_else(|| "unknown".to_string(), |a| a.to_string())
}

async fn start(
    ctx: &Services,
    user: &UserPrincipal,
    req: StartRequest,
    guest_addr: Option<String>,
) -> Result<Started> {
    let now = ctx.clock.now();
    let outcome = ctx
        .store
        .start_session(StartSession {
            wanted_id: req.session_id.map(SessionId::into_string),
            fresh_id: SessionId::generate(now.0).into_string(),
            user_id: user.user_id.to_string(),
            user_name: req
                .user_name
                .or_else(|| user.name.as_deref().map(str::to_string)),
            user_email: user
                .email
                .as_deref()
                .map(str::to_string)
                .or(req.user_email.map(Email::into_string)),
            user_phone: req.user_phone,
            is_guest: user.is_guest,
            persona_id: req.persona_id,
            client_start_time: req.client_start_time.map(ClientTimestamp::into_string),
            metadata: req.metadata.map(Metadata::into_string),
            // An offline message is the visitor's own first line; a greeting would misread
            // as an answer.
            welcome: ctx
                .settings
                .welcome_message
                .clone()
                .filter(|_| req.channel != Channel::Offline)
                .map(|text| (MessageId::generate(now.0).into_string(), text)),
            now,
            idle: idle_rule(ctx),
            guest_addr,
            channel: req.channel,
            first_message: req
                .first_message
                .map(|text| (MessageId::generate(now.0).into_string(), text.into_string())),
            caps: Some(ActiveSessionCaps {
                per_user: ctx.settings.max_active_sessions_per_user,
                per_guest_addr: ctx.settings.max_active_guest_sessions_per_address,
            }),
        })
        .await?;

    for state in &outcome.expired {
        live::publish(ctx, state);
    }
    if outcome.kind == StartKind::Created {
        live::publish(ctx, &outcome.state);
        ctx.bus.publish(DashboardEvent::QueueChanged);
    }
    let mut session = outcome.state.session;
    let (queue_position, estimated_wait_seconds) = estimate_wait(ctx, &session).await?;
    session.status = idle_rule(ctx).effective_status(
        session.channel,
        session.status,
        session.last_activity_at,
        now,
    );
    Ok(Started {
        session,
        resumed: outcome.kind == StartKind::Resumed,
        existing: outcome.kind == StartKind::Existing,
        queue_position,
        estimated_wait_seconds,
    })
}

/// Place in line and a wait estimate: the recent average first response, times the number of
/// chats ahead, shared among the agents available now. Zero once an agent has the chat.
async fn estimate_wait(ctx: &Services, session: &Session) -> Result<(i64, i64)> {
    if session.assigned_agent_id.is_some() || !session.status.is_active() {
        return Ok((0, 0));
    }
    let now = ctx.clock.now();
    let (position, recent_avg) = ctx.store.queue_wait(session.created_at).await?;
    let available = ctx
        .store
        .agents()
        .await?
        .iter()
        .filter(|a| a.online(now))
        .count() as i64;
    let per_chat = recent_avg.unwrap_or(DEFAULT_FIRST_RESPONSE_SECONDS);
    Ok((position, per_chat * position.max(1) / available.max(1)))
}

#[derive(Debug)]
pub struct UserSend {
    pub session_id: SessionId,
    pub message_id: Option<MessageId>,
    /// Words; may be left out when the message carries files.
    pub text: Option<MessageText>,
    /// The user's own uploads in this session (`POST /api/chat/attachments`).
    pub attachments: Vec<AttachmentId>,
    pub client_timestamp: Option<ClientTimestamp>,
}

/// The stored body of a message: its words, or nothing when it carries files alone. A message
/// with neither is refused the way an empty text always was.
pub(crate) fn body_of(text: Option<MessageText>, files: &[AttachmentId]) -> Result<String> {
    match text {
        Some(text) => Ok(text.into_string()),
        None if !files.is_empty() => Ok(String::new()),
        None => Err(Error::validation("message", "message must not be empty")),
    }
}

/// A stored message, and whether this call was a retry of an earlier one.
#[derive(Debug)]
pub struct SentMessage {
    pub message: Message,
    pub duplicate: bool,
}

/// Sends a user message. Idempotent by `messageId`; durable before it answers.
#[tracing::instrument(level = "debug", 
    skip_all,
    err(level = "debug"),
    fields(user_id = %user.user_id, session_id = %req.session_id)
)]
pub async fn send_user_message(
    ctx: &Services,
    user: &UserPrincipal,
    req: UserSend,
) -> Result<SentMessage> {
    let now = ctx.clock.now();
    if let Some(cell) = ctx.hub.get(req.session_id.as_str())
        && !user.is(&cell.state().snapshot.owner)
    {
        return Err(Error::SessionNotFound);
    }
    // Per session and per user across sessions, so fresh sessions do not reset the count.
    let owner_key = SessionOwner::key_of(&user.user_id, user.is_guest);
    let limits = [
        (&ctx.message_limiter, req.session_id.as_str()),
        (&ctx.user_message_limiter, owner_key.as_str()),
    ];
    if let Err(retry_after) = rate_limit::check_all(&limits, now) {
        // A retry of a message that was stored is answered, not refused.
        if let Some(id) = &req.message_id
            && let Some(existing) = ctx
                .store
                .find_user_message(user.owner(), req.session_id.to_string(), id.to_string())
                .await?
        {
            let body = body_of(req.text, &req.attachments)?;
            return same_content_or_conflict(existing, &body, &req.attachments);
        }
        return Err(Error::RateLimited { retry_after });
    }
    let text = body_of(req.text, &req.attachments)?;
    let outcome = ctx
        .store
        .append_user_message(NewUserMessage {
            owner: user.owner(),
            session_id: req.session_id.into_string(),
            message_id: req.message_id.map_or_else(
                || MessageId::generate(now.0).into_string(),
                MessageId::into_string,
            ),
            text,
            attachments: req.attachments,
            client_timestamp: req.client_timestamp.map(ClientTimestamp::into_string),
            now,
            idle: idle_rule(ctx),
        })
        .await?;
    let (sent, stored) = after_send(ctx, outcome, Typist::User)?;
    if let Some(session_id) = stored {
        // The agent's view drops "is typing".
        ctx.bus.publish(DashboardEvent::UserTyping(session_id));
    }
    Ok(sent)
}

/// After a send's transaction has committed: tell the hub and the dashboard, and shape the
/// answer. Returns the session id when a new message was stored (not for a retry).
pub(crate) fn after_send(
    ctx: &Services,
    outcome: SendOutcome,
    sender: Typist,
) -> Result<(SentMessage, Option<Arc<str>>)> {
    match outcome {
        SendOutcome::Existing(message) => Ok((
            SentMessage {
                message,
                duplicate: true,
            },
            None,
        )),
        SendOutcome::Expired(state) => {
            live::publish(ctx, &state);
            ctx.bus.publish(DashboardEvent::QueueChanged);
            Err(Error::SessionExpired)
        }
        SendOutcome::Sent(message, state) => {
            let session_id: Arc<str> = Arc::from(state.session.id.as_str());
            live::publish(ctx, &state);
            // A message ends its sender's typing indicator.
            ctx.hub.set_typing(&session_id, sender, None);
            ctx.relay.typing(&session_id, sender, None);
            ctx.bus
                .publish(DashboardEvent::Transcript(session_id.clone()));
            ctx.bus.publish(DashboardEvent::QueueChanged);
            Ok((
                SentMessage {
                    message,
                    duplicate: false,
                },
                Some(session_id),
            ))
        }
    }
}

fn same_content_or_conflict(
    existing: Message,
    text: &str,
    files: &[AttachmentId],
) -> Result<SentMessage> {
    if existing.body == text && existing.attachments.iter().map(|a| &a.id).eq(files.iter()) {
        Ok(SentMessage {
            message: existing,
            duplicate: true,
        })
    } else {
        Err(Error::DuplicateMessageId)
    }
}

/// One page of the user's own transcript.
#[tracing::instrument(level = "debug", 
    skip_all,
    err(level = "debug"),
    fields(user_id = %user.user_id, session_id = %session_id)
)]
pub async fn list_messages(
    ctx: &Services,
    user: &UserPrincipal,
    session_id: SessionId,
    page: PageRequest,
) -> Result<(Vec<Message>, Pagination, i64)> {
    let (rows, total) = ctx
        .store
        .list_messages(
            user.owner(),
            session_id.into_string(),
            page.offset(),
            page.limit,
        )
        .await?;
    Ok((rows, Pagination::new(page, total), total))
}

#[derive(Debug)]
pub struct UserEnd {
    pub session_id: SessionId,
    pub reason: Option<String>,
    /// A rating sent along with the end (already validated 1..=5).
    pub rating: Option<super::ratings::RatingInput>,
}

/// What an end answers, for the first call and every repeat.
#[derive(Debug)]
pub struct Ended {
    pub session: Session,
}

impl Ended {
    pub fn ended_by(&self) -> EndedBy {
        self.session.status.ended_by().unwrap_or(EndedBy::User)
    }
}

/// Ends the user's session (idempotent: an ended session answers its end data again).
#[tracing::instrument(level = "debug", 
    skip_all,
    err(level = "debug"),
    fields(user_id = %user.user_id, session_id = %req.session_id)
)]
pub async fn end_by_user(ctx: &Services, user: &UserPrincipal, req: UserEnd) -> Result<Ended> {
    let now = ctx.clock.now();
    let rating = req.rating.map(|r| r.into_new(now));
    let outcome = ctx
        .store
        .end_by_user(
            user.owner(),
            req.session_id.into_string(),
            req.reason,
            rating,
            now,
            idle_rule(ctx),
        )
        .await?;
    if outcome.changed {
        let id: Arc<str> = Arc::from(outcome.state.session.id.as_str());
        live::publish(ctx, &outcome.state);
        ctx.bus.publish(DashboardEvent::QueueChanged);
        ctx.bus.publish(DashboardEvent::SessionDetails(id));
    }
    Ok(Ended {
        session: outcome.state.session,
    })
}

/// One past session as the history screen shows it.
#[derive(Debug)]
pub struct HistoryEntry {
    pub session: Session,
    pub rating: Option<Rating>,
    pub last_message: Option<Message>,
    /// The newest agent message: whose name the user saw.
    pub last_agent_message: Option<Message>,
}

/// The user's sessions, newest first.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"), fields(user_id = %user.user_id))]
pub async fn history(
    ctx: &Services,
    user: &UserPrincipal,
    page: PageRequest,
) -> Result<(Vec<HistoryEntry>, Pagination, i64)> {
    let now = ctx.clock.now();
    let idle = idle_rule(ctx);
    let (rows, total) = ctx
        .store
        .history(user.owner(), page.offset(), page.limit)
        .await?;
    let entries = rows
        .into_iter()
        .map(|row| {
            let mut session = row.session;
            session.status = idle.effective_status(
                session.channel,
                session.status,
                session.last_activity_at,
                now,
            );
            HistoryEntry {
                session,
                rating: row.rating,
                last_message: row.last_message,
                last_agent_message: row.last_agent_message,
            }
        })
        .collect();
    Ok((entries, Pagination::new(page, total), total))
}
