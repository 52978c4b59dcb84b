//! The user's side: start, send, read, end, rate, history.

use deadpool_postgres::GenericClient;

use super::{
    Draft, duplicate_of, expire_if_idle, insert_message, load_state, owned_session,
    owned_session_for_update, state_after, state_of,
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
use crate::store::postgres::{
    analytics, db, is_unique_violation, messages, personas, ratings, sessions,
};

/// Runs at READ COMMITTED (`write_tx!(.., locking, ..)`): what it decides on is the user's
/// own chats, the wanted id and the guest's address, each locked first.
pub(crate) async fn start_session(
    c: &impl GenericClient,
    req: &StartSession,
) -> Result<StartOutcome> {
    let mut keys = vec![format!("user:{}:{}", req.is_guest, req.user_id)];
    keys.extend(req.wanted_id.iter().map(|id| format!("session:{id}")));
    keys.extend(req.guest_addr.iter().map(|addr| format!("address:{addr}")));
    db::lock_keys(c, &keys).await?;
    let mut expired = Vec::new();
    if let Some(persona_id) = &req.persona_id {
        match personas::get(c, persona_id).await? {
            Some(p) if !p.deleted => {}
            _ => return Err(Error::NotFound("Persona")),
        }
    }
    // A client-chosen id that is taken by somebody else gets a fresh id instead: nothing
    // reveals the other session.
    let id = match &req.wanted_id {
        Some(wanted) => match sessions::get(c, wanted).await? {
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
                    state: state_of(c, row).await?,
                    expired,
                });
            }
            Some(_) => req.fresh_id.clone(),
            None => wanted.clone(),
        },
        None if req.channel == Channel::Offline => {
            if let Some(row) = recent_offline_retry(c, req).await? {
                return Ok(StartOutcome {
                    kind: StartKind::Existing,
                    state: state_of(c, row).await?,
                    expired,
                });
            }
            req.fresh_id.clone()
        }
        None => {
            if let Some(mut row) = sessions::find_active_for_user(
                c,
                &req.user_id,
                req.is_guest,
                req.persona_id.as_deref(),
            )
            .await?
            {
                if expire_if_idle(c, &mut row, req.now, req.idle).await? {
                    expired.push(state_of(c, row).await?);
                } else {
                    return Ok(StartOutcome {
                        kind: StartKind::Resumed,
                        state: state_of(c, row).await?,
                        expired,
                    });
                }
            }
            req.fresh_id.clone()
        }
    };
    check_caps(c, req).await?;
    sessions::insert(
        c,
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
    )
    .await?;
    let mut row = sessions::get(c, &id)
        .await?
        .ok_or_else(|| Error::internal("new session vanished"))?;
    let mut state = match &req.welcome {
        Some((message_id, text)) => {
            let welcome =
                insert_message(c, &mut row, &Draft::system(message_id, text, req.now)).await?;
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
            c,
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
        )
        .await?;
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
async fn recent_offline_retry(
    c: &impl GenericClient,
    req: &StartSession,
) -> Result<Option<Session>> {
    let Some((_, text)) = &req.first_message else {
        return Ok(None);
    };
    let since = Timestamp(req.now.0.saturating_sub(OFFLINE_RETRY_WINDOW_MS));
    sessions::find_recent_offline(c, &req.user_id, req.is_guest, since, text).await
}

/// Refuses a new session past the caps. Sessions silent past the idle timeout have expired
/// (whether or not the sweep has written it down) and do not count. The counts are read in
/// the transaction that inserts, so concurrent starts cannot pass a cap together.
async fn check_caps(c: &impl GenericClient, req: &StartSession) -> Result<()> {
    let Some(caps) = req.caps else {
        return Ok(());
    };
    let since = Timestamp(req.now.0.saturating_sub(req.idle.timeout_ms));
    if sessions::count_active_for_user(c, &req.user_id, req.is_guest, since).await?
        >= i64::from(caps.per_user)
    {
        return Err(Error::TooManySessions);
    }
    if let Some(addr) = &req.guest_addr
        && sessions::count_active_for_guest_addr(c, addr, since).await?
            >= i64::from(caps.per_guest_addr)
    {
        return Err(Error::TooManySessions);
    }
    Ok(())
}

/// Runs at READ COMMITTED (`write_tx!(.., locking, ..)`): everything it decides on belongs to
/// the session, whose row it locks first.
pub(crate) async fn append_user_message(
    c: &impl GenericClient,
    m: &NewUserMessage,
) -> Result<SendOutcome> {
    let mut row = owned_session_for_update(c, &m.session_id, &m.owner).await?;
    if let Some(existing) = duplicate_of(c, &row.id, &m.message_id, &m.text, &m.attachments).await?
    {
        return Ok(SendOutcome::Existing(existing));
    }
    if expire_if_idle(c, &mut row, m.now, m.idle).await? {
        return Ok(SendOutcome::Expired(state_of(c, row).await?));
    }
    row.check_open()?;
    let uploader = Uploader::User(m.owner.clone());
    let message = insert_message(
        c,
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
    )
    .await?;
    let state = state_after(row, &message);
    Ok(SendOutcome::Sent(message, state))
}

pub(crate) async fn find_user_message(
    c: &impl GenericClient,
    owner: &SessionOwner,
    session_id: &str,
    message_id: &str,
) -> Result<Option<Message>> {
    owned_session(c, session_id, owner).await?;
    messages::find(c, session_id, message_id).await
}

pub(crate) async fn list_messages(
    c: &impl GenericClient,
    owner: &SessionOwner,
    session_id: &str,
    offset: i64,
    limit: i64,
) -> Result<(Vec<Message>, i64)> {
    owned_session(c, session_id, owner).await?;
    let total = messages::count(c, session_id).await?;
    Ok((messages::page(c, session_id, offset, limit).await?, total))
}

pub(crate) async fn messages_after(
    c: &impl GenericClient,
    session_id: &str,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Message>> {
    let after_seq = match after {
        Some(id) => messages::seq_of(c, session_id, id)
            .await?
            .ok_or(Error::InvalidCursor)?,
        None => 0,
    };
    messages::after(c, session_id, after_seq, limit).await
}

pub(crate) async fn mark_read_by_user(
    c: &impl GenericClient,
    owner: &SessionOwner,
    session_id: &str,
    up_to: &str,
    at: Timestamp,
) -> Result<usize> {
    owned_session(c, session_id, owner).await?;
    let seq = messages::seq_of(c, session_id, up_to)
        .await?
        .ok_or_else(|| Error::validation("upTo", "upTo does not name a message of this session"))?;
    messages::mark_read(c, session_id, Sender::Admin, seq, at).await
}

/// Stores a rating unless the session has one; UNIQUE on the session makes a concurrent
/// second rating `AlreadyRated` (when PostgreSQL does not report it as a lost race first).
async fn insert_rating(
    c: &impl GenericClient,
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
    ratings::insert(c, &row).await.map_err(|e| {
        if is_unique_violation(&e) {
            Error::AlreadyRated
        } else {
            e
        }
    })?;
    Ok(row)
}

pub(crate) async fn end_by_user(
    c: &impl GenericClient,
    owner: &SessionOwner,
    session_id: &str,
    reason: Option<&str>,
    rating: Option<&NewRating>,
    now: Timestamp,
    idle: IdleRule,
) -> Result<EndOutcome> {
    let mut row = owned_session(c, session_id, owner).await?;
    let mut changed = expire_if_idle(c, &mut row, now, idle).await?;
    if row.status.is_active() {
        changed |= sessions::end(
            c,
            &row.id,
            &sessions::EndSession {
                status: SessionStatus::EndedByUser,
                ended_by: EndedBy::User.as_str(),
                agent_id: None,
                reason,
                at: now,
            },
        )
        .await?;
    }
    if let Some(rating) = rating
        && ratings::for_session(c, &row.id).await?.is_none()
    {
        insert_rating(c, &row.id, rating, now).await?;
    }
    let state = load_state(c, &row.id)
        .await?
        .ok_or(Error::SessionNotFound)?;
    Ok(EndOutcome { state, changed })
}

pub(crate) async fn rate(
    c: &impl GenericClient,
    owner: &SessionOwner,
    session_id: &str,
    rating: &NewRating,
    now: Timestamp,
    idle: IdleRule,
) -> Result<(Rating, Option<SessionState>)> {
    let mut row = owned_session(c, session_id, owner).await?;
    let expired = if expire_if_idle(c, &mut row, now, idle).await? {
        Some(state_of(c, row.clone()).await?)
    } else {
        None
    };
    if row.status.is_active() {
        return Err(Error::SessionActive);
    }
    if ratings::for_session(c, &row.id).await?.is_some() {
        return Err(Error::AlreadyRated);
    }
    Ok((insert_rating(c, &row.id, rating, now).await?, expired))
}

pub(crate) async fn history(
    c: &impl GenericClient,
    owner: &SessionOwner,
    offset: i64,
    limit: i64,
) -> Result<(Vec<PastSession>, i64)> {
    let total = sessions::count_for_user(c, owner).await?;
    let mut rows = Vec::new();
    for session in sessions::list_for_user(c, owner, offset, limit).await? {
        rows.push(PastSession {
            rating: ratings::for_session(c, &session.id).await?,
            last_message: messages::last(c, &session.id).await?,
            last_agent_message: messages::last_from_agent(c, &session.id).await?,
            session,
        });
    }
    Ok((rows, total))
}

pub(crate) async fn queue_wait(
    c: &impl GenericClient,
    created_at: Timestamp,
) -> Result<(i64, Option<i64>)> {
    let position = sessions::queue_position(c, created_at).await?;
    let avg = analytics::recent_first_response_seconds(c, 50).await?;
    Ok((position, avg))
}
