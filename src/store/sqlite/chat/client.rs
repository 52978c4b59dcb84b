//! The user's side: start, send, read, end, rate, history.

use rusqlite::Connection;

use super::{
    Draft, duplicate_of, expire_if_idle, insert_message, load_state, owned_session, state_after,
    state_of,
};
use crate::domain::message::Message;
use crate::domain::rating::Rating;
use crate::domain::session::{IdleRule, Session, SessionState};
use crate::domain::{
    Channel, EndedBy, MessageKind, Sender, SessionOwner, SessionStatus, Timestamp,
};
use crate::error::{Error, Result};
use crate::store::attachments::Uploader;
use crate::store::chats::{
    EndOutcome, NewRating, NewUserMessage, OFFLINE_RETRY_WINDOW_MS, PastSession, SendOutcome,
    StartKind, StartOutcome, StartSession,
};
use crate::store::sqlite::{analytics, is_unique_violation, messages, personas, ratings, sessions};

pub fn start_session(conn: &Connection, req: &StartSession) -> Result<StartOutcome> {
    let mut expired = Vec::new();
    if let Some(persona_id) = &req.persona_id {
        match personas::get(conn, persona_id)? {
            Some(p) if !p.deleted => {}
            _ => return Err(Error::NotFound("Persona")),
        }
    }
    // A client-chosen id that is taken by somebody else gets a fresh id instead: nothing
    // reveals the other session.
    let id = match &req.wanted_id {
        Some(wanted) => match sessions::get(conn, wanted)? {
            // Ownership is the id and its namespace: a guest is never a user, nor the reverse.
            // An offline submit is a retry only of an offline chat: naming a live chat must
            // not swallow the message.
            Some(row)
                if row.user_id == req.user_id
                    && row.is_guest == req.is_guest
                    && (req.channel != Channel::Offline || row.channel == Channel::Offline) =>
            {
                return Ok(StartOutcome {
                    kind: StartKind::Existing,
                    state: state_of(conn, row)?,
                    expired,
                });
            }
            Some(_) => req.fresh_id.clone(),
            None => wanted.clone(),
        },
        None if req.channel == Channel::Offline => {
            if let Some(row) = recent_offline_retry(conn, req)? {
                return Ok(StartOutcome {
                    kind: StartKind::Existing,
                    state: state_of(conn, row)?,
                    expired,
                });
            }
            req.fresh_id.clone()
        }
        None => {
            if let Some(mut row) = sessions::find_active_for_user(
                conn,
                &req.user_id,
                req.is_guest,
                req.persona_id.as_deref(),
            )? {
                if expire_if_idle(conn, &mut row, req.now, req.idle)? {
                    expired.push(state_of(conn, row)?);
                } else {
                    return Ok(StartOutcome {
                        kind: StartKind::Resumed,
                        state: state_of(conn, row)?,
                        expired,
                    });
                }
            }
            req.fresh_id.clone()
        }
    };
    check_caps(conn, req)?;
    sessions::insert(
        conn,
        &sessions::NewSession {
            id: &id,
            user_id: &req.user_id,
            user_name: req.user_name.as_deref(),
            user_email: req.user_email.as_deref(),
            user_phone: req.user_phone.as_deref(),
            is_guest: req.is_guest,
            persona_id: req.persona_id.as_deref(),
            created_at: req.now,
            client_start_time: req.client_start_time.as_deref(),
            metadata: req.metadata.as_deref(),
            guest_addr: req.guest_addr.as_deref(),
            channel: req.channel,
        },
    )?;
    let mut row =
        sessions::get(conn, &id)?.ok_or_else(|| Error::internal("new session vanished"))?;
    let mut state = match &req.welcome {
        Some((message_id, text)) => {
            let welcome =
                insert_message(conn, &mut row, &Draft::system(message_id, text, req.now))?;
            state_after(row, &welcome)
        }
        None => SessionState {
            session: row,
            tip: None,
        },
    };
    if let Some((message_id, text)) = &req.first_message {
        let mut row = state.session;
        let first = insert_message(
            conn,
            &mut row,
            &Draft {
                id: message_id,
                sender: Sender::User,
                agent_id: None,
                sent_as: None,
                display_name: None,
                department: None,
                body: text,
                kind: MessageKind::Text,
                created_at: req.now,
                client_timestamp: None,
                files: &[],
                uploader: None,
            },
        )?;
        state = state_after(row, &first);
    }
    Ok(StartOutcome {
        kind: StartKind::Created,
        state,
        expired,
    })
}

/// The owner's offline chat opened within the retry window whose first message is the one
/// this start carries: the same submit sent again after a lost answer.
fn recent_offline_retry(conn: &Connection, req: &StartSession) -> Result<Option<Session>> {
    let Some((_, text)) = &req.first_message else {
        return Ok(None);
    };
    let since = Timestamp(req.now.0.saturating_sub(OFFLINE_RETRY_WINDOW_MS));
    sessions::find_recent_offline(conn, &req.user_id, req.is_guest, since, text)
}

/// Refuses a new session past the caps. Sessions silent past the idle timeout have expired
/// (whether or not the sweep has written it down) and do not count.
fn check_caps(conn: &Connection, req: &StartSession) -> Result<()> {
    let Some(caps) = req.caps else {
        return Ok(());
    };
    let since = Timestamp(req.now.0.saturating_sub(req.idle.timeout_ms));
    if sessions::count_active_for_user(conn, &req.user_id, req.is_guest, since)?
        >= i64::from(caps.per_user)
    {
        return Err(Error::TooManySessions);
    }
    if let Some(addr) = &req.guest_addr
        && sessions::count_active_for_guest_addr(conn, addr, since)?
            >= i64::from(caps.per_guest_addr)
    {
        return Err(Error::TooManySessions);
    }
    Ok(())
}

pub fn append_user_message(conn: &Connection, m: &NewUserMessage) -> Result<SendOutcome> {
    let mut row = owned_session(conn, &m.session_id, &m.owner)?;
    if let Some(existing) = duplicate_of(conn, &row.id, &m.message_id, &m.text, &m.attachments)? {
        return Ok(SendOutcome::Existing(existing));
    }
    if expire_if_idle(conn, &mut row, m.now, m.idle)? {
        return Ok(SendOutcome::Expired(state_of(conn, row)?));
    }
    row.check_open()?;
    let uploader = Uploader::User(m.owner.clone());
    let message = insert_message(
        conn,
        &mut row,
        &Draft {
            id: &m.message_id,
            sender: Sender::User,
            agent_id: None,
            sent_as: None,
            display_name: None,
            department: None,
            body: &m.text,
            kind: MessageKind::Text,
            created_at: m.now,
            client_timestamp: m.client_timestamp.as_deref(),
            files: &m.attachments,
            uploader: Some(&uploader),
        },
    )?;
    let state = state_after(row, &message);
    Ok(SendOutcome::Sent(message, state))
}

pub fn find_user_message(
    conn: &Connection,
    owner: &SessionOwner,
    session_id: &str,
    message_id: &str,
) -> Result<Option<Message>> {
    owned_session(conn, session_id, owner)?;
    messages::find(conn, session_id, message_id)
}

pub fn list_messages(
    conn: &Connection,
    owner: &SessionOwner,
    session_id: &str,
    offset: i64,
    limit: i64,
) -> Result<(Vec<Message>, i64)> {
    owned_session(conn, session_id, owner)?;
    let total = messages::count(conn, session_id)?;
    Ok((messages::page(conn, session_id, offset, limit)?, total))
}

pub fn messages_after(
    conn: &Connection,
    session_id: &str,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Message>> {
    let after_seq = match after {
        Some(id) => messages::seq_of(conn, session_id, id)?.ok_or(Error::InvalidCursor)?,
        None => 0,
    };
    messages::after(conn, session_id, after_seq, limit)
}

pub fn mark_read_by_user(
    conn: &Connection,
    owner: &SessionOwner,
    session_id: &str,
    up_to: &str,
    at: Timestamp,
) -> Result<usize> {
    owned_session(conn, session_id, owner)?;
    let seq = messages::seq_of(conn, session_id, up_to)?
        .ok_or_else(|| Error::validation("upTo", "upTo does not name a message of this session"))?;
    messages::mark_read(conn, session_id, Sender::Admin, seq, at)
}

/// Stores a rating unless the session has one; UNIQUE on the session makes a concurrent
/// second rating `AlreadyRated`.
fn insert_rating(
    conn: &Connection,
    session_id: &str,
    r: &NewRating,
    now: Timestamp,
) -> Result<Rating> {
    let row = Rating {
        id: r.id.clone(),
        session_id: session_id.to_string(),
        rating: r.rating,
        feedback: r.feedback.clone(),
        categories: r.categories.clone(),
        client_timestamp: r.client_timestamp.clone(),
        created_at: now,
    };
    ratings::insert(conn, &row).map_err(|e| {
        if is_unique_violation(&e) {
            Error::AlreadyRated
        } else {
            e.into()
        }
    })?;
    Ok(row)
}

pub fn end_by_user(
    conn: &Connection,
    owner: &SessionOwner,
    session_id: &str,
    reason: Option<&str>,
    rating: Option<&NewRating>,
    now: Timestamp,
    idle: IdleRule,
) -> Result<EndOutcome> {
    let mut row = owned_session(conn, session_id, owner)?;
    let mut changed = expire_if_idle(conn, &mut row, now, idle)?;
    if row.status.is_active() {
        changed |= sessions::end(
            conn,
            &row.id,
            &sessions::EndSession {
                status: SessionStatus::EndedByUser,
                ended_by: EndedBy::User.as_str(),
                agent_id: None,
                reason,
                at: now,
            },
        )?;
    }
    if let Some(rating) = rating
        && ratings::for_session(conn, &row.id)?.is_none()
    {
        insert_rating(conn, &row.id, rating, now)?;
    }
    let state = load_state(conn, &row.id)?.ok_or(Error::SessionNotFound)?;
    Ok(EndOutcome { state, changed })
}

pub fn rate(
    conn: &Connection,
    owner: &SessionOwner,
    session_id: &str,
    rating: &NewRating,
    now: Timestamp,
    idle: IdleRule,
) -> Result<(Rating, Option<SessionState>)> {
    let mut row = owned_session(conn, session_id, owner)?;
    let expired = if expire_if_idle(conn, &mut row, now, idle)? {
        Some(state_of(conn, row.clone())?)
    } else {
        None
    };
    if row.status.is_active() {
        return Err(Error::SessionActive);
    }
    if ratings::for_session(conn, &row.id)?.is_some() {
        return Err(Error::AlreadyRated);
    }
    Ok((insert_rating(conn, &row.id, rating, now)?, expired))
}

pub fn history(
    conn: &Connection,
    owner: &SessionOwner,
    offset: i64,
    limit: i64,
) -> Result<(Vec<PastSession>, i64)> {
    let total = sessions::count_for_user(conn, owner)?;
    let mut rows = Vec::new();
    for session in sessions::list_for_user(conn, owner, offset, limit)? {
        rows.push(PastSession {
            rating: ratings::for_session(conn, &session.id)?,
            last_message: messages::last(conn, &session.id)?,
            last_agent_message: messages::last_from_agent(conn, &session.id)?,
            session,
        });
    }
    Ok((rows, total))
}

pub fn queue_wait(conn: &Connection, created_at: Timestamp) -> Result<(i64, Option<i64>)> {
    let position = sessions::queue_position(conn, created_at)?;
    let avg = analytics::recent_first_response_seconds(conn, 50)?;
    Ok((position, avg))
}
