//! The user's side of a chat: start or resume a session, send, read the transcript, end, and
//! list past sessions. Every write checks ownership inside its transaction, so another user's
//! session id behaves exactly like one that does not exist.

use std::sync::Arc;

use rusqlite::Connection;

use super::live::{self, expire_if_idle, snapshot_in_tx};
use super::{PageRequest, Pagination, Services};
use crate::auth::UserPrincipal;
use crate::domain::{
    EndedBy, MessageId, MessageKind, MessageText, SendAs, Sender, SessionId, SessionStatus,
};
use crate::error::{Error, Result};
use crate::realtime::{DashboardEvent, SessionSnapshot, Typist};
use crate::store::messages::{self, MessageRow, NewMessage};
use crate::store::ratings::{self, RatingRow};
use crate::store::sessions::{self, EndSession, NewSession, SessionRow};
use crate::store::{agents, is_unique_violation, personas};

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
    pub user_email: Option<String>,
    pub user_phone: Option<String>,
    pub persona_id: Option<String>,
    pub client_start_time: Option<String>,
    /// A JSON object, already serialised and size-checked.
    pub metadata: Option<String>,
}

#[derive(Debug)]
pub struct Started {
    pub session: SessionRow,
    /// An active session of this user was resumed (no `sessionId` was sent).
    pub resumed: bool,
    /// The `sessionId` sent names a session this user already has.
    pub existing: bool,
    pub queue_position: i64,
    pub estimated_wait_seconds: i64,
}

/// Starts a chat, or returns the one this request is a retry of, or resumes the user's active
/// chat with the same persona.
pub async fn start_session(
    ctx: &Services,
    user: &UserPrincipal,
    req: StartRequest,
) -> Result<Started> {
    let now = ctx.clock.now();
    let timeout_ms = ctx.session_timeout_ms();
    let welcome = ctx.settings.welcome_message.clone();
    let user = user.clone();

    #[allow(clippy::large_enum_variant)] // lives for one call
    enum Outcome {
        Existing(SessionRow),
        Resumed(SessionRow),
        Created(SessionRow, Option<MessageRow>),
    }

    let (outcome, expired) = ctx
        .store
        .write(move |conn| {
            let mut expired = Vec::new();
            if let Some(persona_id) = &req.persona_id {
                match personas::get(conn, persona_id)? {
                    Some(p) if !p.deleted => {}
                    _ => return Err(Error::NotFound("Persona")),
                }
            }
            // A client-chosen id that is taken by somebody else gets a fresh id instead: the
            // shipped client uses `data.sessionId`, and nothing reveals the other session.
            let mut id = match &req.session_id {
                Some(wanted) => match sessions::get(conn, wanted.as_str())? {
                    Some(row) if row.user_id == *user.user_id => {
                        return Ok((Outcome::Existing(row), expired));
                    }
                    Some(_) => None,
                    None => Some(wanted.as_str().to_string()),
                },
                None => {
                    if let Some(mut row) = sessions::find_active_for_user(
                        conn,
                        &user.user_id,
                        req.persona_id.as_deref(),
                    )? {
                        if expire_if_idle(conn, &mut row, now, timeout_ms)? {
                            expired.push(snapshot_in_tx(conn, &row)?);
                        } else {
                            return Ok((Outcome::Resumed(row), expired));
                        }
                    }
                    None
                }
            };
            let id = id
                .take()
                .unwrap_or_else(|| SessionId::generate(now.0).into_string());
            sessions::insert(
                conn,
                &NewSession {
                    id: &id,
                    user_id: &user.user_id,
                    user_name: req.user_name.as_deref().or(user.name.as_deref()),
                    user_email: user.email.as_deref().or(req.user_email.as_deref()),
                    user_phone: req.user_phone.as_deref(),
                    is_guest: user.is_guest,
                    persona_id: req.persona_id.as_deref(),
                    created_at: now,
                    client_start_time: req.client_start_time.as_deref(),
                    metadata: req.metadata.as_deref(),
                },
            )?;
            let welcome_row = match &welcome {
                Some(text) => Some(messages::insert(
                    conn,
                    &NewMessage {
                        id: MessageId::generate(now.0).as_str(),
                        session_id: &id,
                        sender: Sender::System,
                        agent_id: None,
                        sent_as: None,
                        display_name: None,
                        department: None,
                        body: text,
                        kind: MessageKind::System,
                        created_at: now,
                        client_timestamp: None,
                    },
                )?),
                None => None,
            };
            let row =
                sessions::get(conn, &id)?.ok_or_else(|| Error::internal("new session vanished"))?;
            Ok((Outcome::Created(row, welcome_row), expired))
        })
        .await?;

    for snapshot in expired {
        ctx.hub.publish(snapshot);
    }
    let (session, resumed, existing) = match outcome {
        Outcome::Existing(row) => (row, false, true),
        Outcome::Resumed(row) => (row, true, false),
        Outcome::Created(row, welcome) => {
            let latest = welcome.as_ref().map(|m| (m.seq, m.id.as_str()));
            ctx.hub.publish(live::snapshot_of(&row, latest));
            ctx.bus.publish(DashboardEvent::QueueChanged);
            super::auto_assign::nudge_all(ctx);
            (row, false, false)
        }
    };
    let (queue_position, estimated_wait_seconds) = estimate_wait(ctx, &session).await?;
    let mut session = session;
    session.status =
        live::effective_status(session.status, session.last_activity_at, now, timeout_ms);
    Ok(Started {
        session,
        resumed,
        existing,
        queue_position,
        estimated_wait_seconds,
    })
}

/// Place in line and a wait estimate: the recent average first response, times the number of
/// chats ahead, shared among the agents available now. Zero once an agent has the chat.
async fn estimate_wait(ctx: &Services, session: &SessionRow) -> Result<(i64, i64)> {
    if session.assigned_agent_id.is_some() || !session.status.is_active() {
        return Ok((0, 0));
    }
    let created_at = session.created_at;
    let now = ctx.clock.now();
    let (position, recent_avg, available) = ctx
        .store
        .read(move |conn| {
            let position = sessions::queue_position(conn, created_at)?;
            let avg = crate::store::analytics::recent_first_response_seconds(conn, 50)?;
            let available = agents::list(conn)?
                .iter()
                .filter(|a| a.effectively_online(now, super::agents::ONLINE_WINDOW_MS))
                .count() as i64;
            Ok((position, avg, available))
        })
        .await?;
    let per_chat = recent_avg.unwrap_or(DEFAULT_FIRST_RESPONSE_SECONDS);
    Ok((position, per_chat * position.max(1) / available.max(1)))
}

#[derive(Debug)]
pub struct UserSend {
    pub session_id: SessionId,
    pub message_id: Option<MessageId>,
    pub text: MessageText,
    pub client_timestamp: Option<String>,
}

/// A stored message, and whether this call was a retry of an earlier one.
#[derive(Debug)]
pub struct SentMessage {
    pub message: MessageRow,
    pub duplicate: bool,
}

pub(crate) enum SendOutcome {
    Sent(MessageRow, SessionSnapshot),
    Existing(MessageRow),
    Expired(SessionSnapshot),
}

/// Sends a user message. Idempotent by `messageId`; durable before it answers.
pub async fn send_user_message(
    ctx: &Services,
    user: &UserPrincipal,
    req: UserSend,
) -> Result<SentMessage> {
    let now = ctx.clock.now();
    if let Some(cell) = ctx.hub.get(req.session_id.as_str())
        && *cell.state().snapshot.owner != *user.user_id
    {
        return Err(Error::SessionNotFound);
    }
    if let Err(retry_after) = ctx.message_limiter.check(req.session_id.as_str(), now) {
        // A retry of a message that was stored is answered, not refused.
        if let Some(id) = &req.message_id
            && let Some(existing) = find_own_message(ctx, user, &req.session_id, id).await?
        {
            return same_text_or_conflict(existing, req.text.as_str());
        }
        return Err(Error::RateLimited { retry_after });
    }
    let timeout_ms = ctx.session_timeout_ms();
    let owner = user.user_id.clone();
    let outcome = ctx
        .store
        .write(move |conn| {
            let mut row = owned_session(conn, req.session_id.as_str(), &owner)?;
            let id = req.message_id.map_or_else(
                || MessageId::generate(now.0).into_string(),
                MessageId::into_string,
            );
            if let Some(existing) = duplicate_of(conn, &row.id, &id, req.text.as_str())? {
                return Ok(SendOutcome::Existing(existing));
            }
            if expire_if_idle(conn, &mut row, now, timeout_ms)? {
                return Ok(SendOutcome::Expired(snapshot_in_tx(conn, &row)?));
            }
            check_open(&row)?;
            let message = insert_message(
                conn,
                &mut row,
                &NewMessage {
                    id: &id,
                    session_id: req.session_id.as_str(),
                    sender: Sender::User,
                    agent_id: None,
                    sent_as: None,
                    display_name: None,
                    department: None,
                    body: req.text.as_str(),
                    kind: MessageKind::Text,
                    created_at: now,
                    client_timestamp: req.client_timestamp.as_deref(),
                },
            )?;
            let snapshot = live::snapshot_of(&row, Some((message.seq, &message.id)));
            Ok(SendOutcome::Sent(message, snapshot))
        })
        .await?;
    let (sent, stored) = after_send(ctx, outcome, Typist::User)?;
    if let Some(session_id) = stored {
        // The agent's view drops "is typing"; a new message may be waiting for an agent.
        ctx.bus.publish(DashboardEvent::UserTyping(session_id));
        super::auto_assign::nudge_all(ctx);
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
        SendOutcome::Expired(snapshot) => {
            ctx.hub.publish(snapshot);
            ctx.bus.publish(DashboardEvent::QueueChanged);
            Err(Error::SessionExpired)
        }
        SendOutcome::Sent(message, snapshot) => {
            let session_id = snapshot.session_id.clone();
            ctx.hub.publish(snapshot);
            // A message ends its sender's typing indicator.
            ctx.hub.set_typing(&session_id, sender, None);
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

async fn find_own_message(
    ctx: &Services,
    user: &UserPrincipal,
    session_id: &SessionId,
    message_id: &MessageId,
) -> Result<Option<MessageRow>> {
    let (sid, mid, owner) = (
        session_id.to_string(),
        message_id.to_string(),
        user.user_id.clone(),
    );
    ctx.store
        .read(move |conn| {
            owned_session(conn, &sid, &owner)?;
            messages::find(conn, &sid, &mid)
        })
        .await
}

fn same_text_or_conflict(existing: MessageRow, text: &str) -> Result<SentMessage> {
    if existing.body == text {
        Ok(SentMessage {
            message: existing,
            duplicate: true,
        })
    } else {
        Err(Error::DuplicateMessageId)
    }
}

/// The session if it belongs to `owner`; otherwise the same error as a missing one.
pub(crate) fn owned_session(
    conn: &Connection,
    session_id: &str,
    owner: &str,
) -> Result<SessionRow> {
    match sessions::get(conn, session_id)? {
        Some(row) if row.user_id == owner => Ok(row),
        _ => Err(Error::SessionNotFound),
    }
}

/// An earlier message with this id: the same text is a retry, other text a conflict.
pub(crate) fn duplicate_of(
    conn: &Connection,
    session_id: &str,
    id: &str,
    text: &str,
) -> Result<Option<MessageRow>> {
    match messages::find(conn, session_id, id)? {
        Some(existing) if existing.body == text => Ok(Some(existing)),
        Some(_) => Err(Error::DuplicateMessageId),
        None => Ok(None),
    }
}

/// Refuses sessions that no longer take messages.
pub(crate) fn check_open(row: &SessionRow) -> Result<()> {
    match row.status {
        SessionStatus::Active => Ok(()),
        SessionStatus::Expired => Err(Error::SessionExpired),
        SessionStatus::EndedByUser | SessionStatus::EndedByAdmin => Err(Error::SessionEnded),
    }
}

/// Inserts a message and keeps the session's counters (and `row`) current.
pub(crate) fn insert_message(
    conn: &Connection,
    row: &mut SessionRow,
    new: &NewMessage<'_>,
) -> Result<MessageRow> {
    let message = messages::insert(conn, new).map_err(|e| {
        if is_unique_violation(&e) {
            Error::DuplicateMessageId
        } else {
            e.into()
        }
    })?;
    sessions::record_message(conn, &row.id, new.sender, new.agent_id, new.created_at)?;
    if new.sender != Sender::System {
        row.last_activity_at = new.created_at;
        row.message_count += 1;
    }
    Ok(message)
}

/// One page of the user's own transcript.
pub async fn list_messages(
    ctx: &Services,
    user: &UserPrincipal,
    session_id: SessionId,
    page: PageRequest,
) -> Result<(Vec<MessageRow>, Pagination, i64)> {
    let owner = user.user_id.clone();
    ctx.store
        .read(move |conn| {
            owned_session(conn, session_id.as_str(), &owner)?;
            let total = messages::count(conn, session_id.as_str())?;
            let rows = messages::page(conn, session_id.as_str(), page.offset(), page.limit)?;
            Ok((rows, Pagination::new(page, total), total))
        })
        .await
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
    pub session: SessionRow,
}

impl Ended {
    pub fn ended_by(&self) -> EndedBy {
        self.session.status.ended_by().unwrap_or(EndedBy::User)
    }
}

/// Ends the user's session (idempotent: an ended session answers its end data again).
pub async fn end_by_user(ctx: &Services, user: &UserPrincipal, req: UserEnd) -> Result<Ended> {
    let now = ctx.clock.now();
    let timeout_ms = ctx.session_timeout_ms();
    let owner = user.user_id.clone();
    let (row, snapshot, changed) = ctx
        .store
        .write(move |conn| {
            let mut row = owned_session(conn, req.session_id.as_str(), &owner)?;
            let mut changed = expire_if_idle(conn, &mut row, now, timeout_ms)?;
            if row.status.is_active() {
                sessions::end(
                    conn,
                    &row.id,
                    &EndSession {
                        status: SessionStatus::EndedByUser,
                        ended_by: EndedBy::User.as_str(),
                        agent_id: None,
                        reason: req.reason.as_deref(),
                        at: now,
                    },
                )?;
                changed = true;
            }
            if let Some(rating) = &req.rating
                && ratings::for_session(conn, &row.id)?.is_none()
            {
                super::ratings::insert_rating(conn, &row.id, rating, now)?;
            }
            let row = sessions::get(conn, &row.id)?.ok_or(Error::SessionNotFound)?;
            let snapshot = snapshot_in_tx(conn, &row)?;
            Ok((row, snapshot, changed))
        })
        .await?;
    if changed {
        let id = snapshot.session_id.clone();
        ctx.hub.publish(snapshot);
        ctx.bus.publish(DashboardEvent::QueueChanged);
        ctx.bus.publish(DashboardEvent::SessionDetails(id));
    }
    Ok(Ended { session: row })
}

/// One past session as the history screen shows it.
#[derive(Debug)]
pub struct HistoryEntry {
    pub session: SessionRow,
    pub rating: Option<RatingRow>,
    pub last_message: Option<MessageRow>,
    /// The newest agent message: whose name the user saw.
    pub last_agent_message: Option<MessageRow>,
}

/// The user's sessions, newest first.
pub async fn history(
    ctx: &Services,
    user: &UserPrincipal,
    page: PageRequest,
) -> Result<(Vec<HistoryEntry>, Pagination, i64)> {
    let owner = user.user_id.clone();
    let now = ctx.clock.now();
    let timeout_ms = ctx.session_timeout_ms();
    ctx.store
        .read(move |conn| {
            let total = sessions::count_for_user(conn, &owner)?;
            let mut entries = Vec::new();
            for mut session in sessions::list_for_user(conn, &owner, page.offset(), page.limit)? {
                session.status = live::effective_status(
                    session.status,
                    session.last_activity_at,
                    now,
                    timeout_ms,
                );
                entries.push(HistoryEntry {
                    rating: ratings::for_session(conn, &session.id)?,
                    last_message: messages::last(conn, &session.id)?,
                    last_agent_message: messages::last_from_agent(conn, &session.id)?,
                    session,
                });
            }
            Ok((entries, Pagination::new(page, total), total))
        })
        .await
}

/// The name an agent's reply is shown under, and whether that is allowed for this chat.
pub(crate) fn reply_identity(
    conn: &Connection,
    row: &SessionRow,
    agent_name: &str,
    department: Option<&str>,
    send_as: SendAs,
) -> Result<(String, Option<String>)> {
    match send_as {
        SendAs::Agent => Ok((agent_name.to_string(), department.map(str::to_string))),
        SendAs::Persona => {
            let persona_id = row.persona_id.as_deref().ok_or_else(|| {
                Error::validation("sendAs", "this chat was not started with a persona")
            })?;
            let persona = personas::get(conn, persona_id)?.ok_or(Error::NotFound("Persona"))?;
            Ok((persona.name, None))
        }
    }
}
