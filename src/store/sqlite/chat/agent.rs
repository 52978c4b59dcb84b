//! The agents' side: assignment and capacity, replies, notes, priority, the queue, the chat
//! view, and the background sweeps.

use std::collections::HashMap;

use rusqlite::{Connection, params};
use serde_json::json;

use super::{
    Draft, duplicate_of, expire_if_idle, insert_message, load_state, state_after, state_of,
};
use crate::domain::agent::AgentLoad;
use crate::domain::assignment::round_robin;
use crate::domain::note::Note;
use crate::domain::session::{IdleRule, Session, SessionState};
use crate::domain::{
    EndedBy, MessageKind, Priority, SendAs, Sender, SessionOwner, SessionStatus, Timestamp,
};
use crate::error::{Error, Result};
use crate::store::attachments::Uploader;
use crate::store::chats::{
    ActiveSession, Actor, AssignRequest, ChatRecord, DayFigures, EndOutcome, NewAgentMessage,
    ReplyOutcome, SendOutcome, TransferRequest,
};
use crate::store::sqlite::{
    agents, analytics, audit, labels, messages, notes, personas, ratings, sessions,
};

/// How many earlier chats of the same user the chat view shows.
const EARLIER_SESSIONS: i64 = 10;

/// The guard of every assignment: touches the agent's row only if the agent may take one more
/// chat (mirroring [`AgentLoad::may_take`]), and records the round-robin time. Under several
/// writers the row lock makes concurrent assigners of one agent queue up and re-check the count
/// the triggers keep on that row. False when the agent may not take a chat now.
fn try_take_capacity(conn: &Connection, agent_id: &str, now: Timestamp) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "UPDATE agents SET last_assigned_at =
                 MAX(?2, COALESCE((SELECT MAX(last_assigned_at) FROM agents), 0) + 1)
             WHERE id = ?1 AND disabled = 0 AND role IN ('super_admin', 'chat_admin')
               AND active_chats < max_concurrent_chats",
        )?
        .execute(params![agent_id, now])?
        == 1)
}

/// [`try_take_capacity`], with the reason when the agent may not take the chat.
fn take_capacity(conn: &Connection, agent_id: &str, now: Timestamp) -> Result<AgentLoad> {
    let load = agents::require_load(conn, agent_id)?;
    load.may_take()?;
    if !try_take_capacity(conn, agent_id, now)? {
        let load = agents::require_load(conn, agent_id)?;
        load.may_take()?;
        return Err(Error::AgentAtCapacity);
    }
    Ok(load)
}

/// An active session by id (expired on the spot if it went idle).
fn active_session(
    conn: &Connection,
    session_id: &str,
    now: Timestamp,
    idle: IdleRule,
) -> Result<Session> {
    let mut row = sessions::get(conn, session_id)?.ok_or(Error::SessionNotFound)?;
    expire_if_idle(conn, &mut row, now, idle)?;
    row.check_open()?;
    Ok(row)
}

/// Gives `row` (active, unassigned) to `agent_id` after the capacity guard; false when another
/// writer assigned it first.
fn give(
    conn: &Connection,
    row: &mut Session,
    agent_id: &str,
    actor_id: Option<&str>,
    action: &str,
    now: Timestamp,
) -> Result<bool> {
    if !sessions::assign_if_unassigned(conn, &row.id, agent_id, now)? {
        return Ok(false);
    }
    audit::record(
        conn,
        now,
        actor_id,
        action,
        Some(&row.id),
        Some(&json!({"agentId": agent_id})),
    )?;
    row.assigned_agent_id = Some(agent_id.to_string());
    row.assigned_at = Some(now);
    Ok(true)
}

pub fn assign(conn: &Connection, req: &AssignRequest) -> Result<Session> {
    let mut row = active_session(conn, &req.session_id, req.now, req.idle)?;
    match row.assigned_agent_id.as_deref() {
        Some(current) if current == req.agent_id => return Ok(row),
        Some(_) => return Err(Error::AlreadyAssigned),
        None => {}
    }
    take_capacity(conn, &req.agent_id, req.now)?;
    if !give(
        conn,
        &mut row,
        &req.agent_id,
        req.actor_id.as_deref(),
        "assign",
        req.now,
    )? {
        return Err(Error::AlreadyAssigned);
    }
    Ok(row)
}

pub fn release(
    conn: &Connection,
    session_id: &str,
    actor: &Actor,
    now: Timestamp,
) -> Result<Session> {
    let mut row = sessions::get(conn, session_id)?.ok_or(Error::SessionNotFound)?;
    let Some(holder) = row.assigned_agent_id.clone() else {
        return Ok(row);
    };
    if holder != actor.id && !actor.overrides {
        return Err(Error::Forbidden(
            "Only the agent handling this chat or a super admin can release it",
        ));
    }
    if !sessions::release_from(conn, session_id, &holder)? {
        return Err(Error::AlreadyAssigned);
    }
    audit::record(
        conn,
        now,
        Some(&actor.id),
        "release",
        Some(session_id),
        Some(&json!({"agentId": holder})),
    )?;
    row.assigned_agent_id = None;
    row.assigned_at = None;
    Ok(row)
}

pub fn transfer(conn: &Connection, req: &TransferRequest) -> Result<Session> {
    let mut row = active_session(conn, &req.session_id, req.now, req.idle)?;
    let from = row.assigned_agent_id.clone();
    let to = req.to_agent_id.as_str();
    if let Some(holder) = &from {
        if holder == to {
            return Ok(row);
        }
        if *holder != req.actor.id && !req.actor.overrides {
            return Err(Error::Forbidden(
                "Only the agent handling this chat or a super admin can transfer it",
            ));
        }
    }
    let target = take_capacity(conn, to, req.now)?;
    if !sessions::reassign_from(conn, &req.session_id, from.as_deref(), Some(to), req.now)? {
        return Err(Error::AlreadyAssigned);
    }
    row.assigned_agent_id = Some(to.to_string());
    row.assigned_at = Some(req.now);
    let text = match &req.note {
        Some(n) => format!("Transferred to {}: {n}", target.agent.name),
        None => format!("Transferred to {}", target.agent.name),
    };
    notes::insert(
        conn,
        &req.note_id,
        &req.session_id,
        &req.actor.id,
        &text,
        req.now,
    )?;
    audit::record(
        conn,
        req.now,
        Some(&req.actor.id),
        "transfer",
        Some(&req.session_id),
        Some(&json!({"from": from, "to": to, "note": req.note})),
    )?;
    Ok(row)
}

pub fn end_by_agent(
    conn: &Connection,
    session_id: &str,
    actor_id: &str,
    reason: Option<&str>,
    now: Timestamp,
    idle: IdleRule,
) -> Result<EndOutcome> {
    let mut row = sessions::get(conn, session_id)?.ok_or(Error::SessionNotFound)?;
    let expired = expire_if_idle(conn, &mut row, now, idle)?;
    if !row.status.is_active() {
        return Ok(EndOutcome {
            state: state_of(conn, row)?,
            changed: expired,
        });
    }
    let ended = sessions::end(
        conn,
        session_id,
        &sessions::EndSession {
            status: SessionStatus::EndedByAdmin,
            ended_by: EndedBy::Admin.as_str(),
            agent_id: Some(actor_id),
            reason,
            at: now,
        },
    )?;
    if ended {
        audit::record(
            conn,
            now,
            Some(actor_id),
            "end",
            Some(session_id),
            Some(&json!({"reason": reason})),
        )?;
    }
    let state = load_state(conn, session_id)?.ok_or(Error::SessionNotFound)?;
    Ok(EndOutcome {
        state,
        changed: ended,
    })
}

/// The name a reply is shown under, and whether that is allowed for this chat.
fn reply_identity(
    conn: &Connection,
    row: &Session,
    m: &NewAgentMessage,
) -> Result<(String, Option<String>)> {
    match m.send_as {
        SendAs::Agent => Ok((m.agent_name.clone(), m.department.clone())),
        SendAs::Persona => {
            let persona_id = row.persona_id.as_deref().ok_or_else(|| {
                Error::validation("sendAs", "this chat was not started with a persona")
            })?;
            let persona = personas::get(conn, persona_id)?.ok_or(Error::NotFound("Persona"))?;
            Ok((persona.name, None))
        }
    }
}

pub fn append_agent_message(conn: &Connection, m: &NewAgentMessage) -> Result<ReplyOutcome> {
    let unassigned = |outcome| ReplyOutcome {
        outcome,
        assigned: false,
    };
    if let Some(existing) =
        duplicate_of(conn, &m.session_id, &m.message_id, &m.text, &m.attachments)?
    {
        return Ok(unassigned(SendOutcome::Existing(existing)));
    }
    let mut row = match active_session(conn, &m.session_id, m.now, m.idle) {
        Err(Error::SessionExpired) => {
            let row = sessions::get(conn, &m.session_id)?.ok_or(Error::SessionNotFound)?;
            return Ok(unassigned(SendOutcome::Expired(state_of(conn, row)?)));
        }
        other => other?,
    };
    let mut assigned = false;
    if row.assigned_agent_id.is_none() {
        take_capacity(conn, &m.agent_id, m.now)?;
        // Losing to a concurrent assigner is fine: a held chat may still be answered.
        assigned = give(
            conn,
            &mut row,
            &m.agent_id,
            Some(&m.agent_id),
            "assign_on_reply",
            m.now,
        )?;
    }
    let (shown_name, department) = reply_identity(conn, &row, m)?;
    let message = insert_message(
        conn,
        &mut row,
        &Draft {
            id: &m.message_id,
            sender: Sender::Admin,
            agent_id: Some(&m.agent_id),
            sent_as: Some(m.send_as),
            display_name: Some(&shown_name),
            department: department.as_deref(),
            body: &m.text,
            kind: MessageKind::Text,
            created_at: m.now,
            client_timestamp: m.client_timestamp.as_deref(),
            files: &m.attachments,
            uploader: Some(&Uploader::Agent(m.agent_id.clone())),
        },
    )?;
    audit::record(
        conn,
        m.now,
        Some(&m.agent_id),
        "reply",
        Some(&row.id),
        Some(
            &json!({"messageId": message.id, "sendAs": m.send_as.as_str(), "shownAs": shown_name}),
        ),
    )?;
    let state = state_after(row, &message);
    Ok(ReplyOutcome {
        outcome: SendOutcome::Sent(message, state),
        assigned,
    })
}

pub fn add_note(
    conn: &Connection,
    session_id: &str,
    agent_id: &str,
    note_id: &str,
    body: &str,
    now: Timestamp,
) -> Result<Note> {
    sessions::get(conn, session_id)?.ok_or(Error::SessionNotFound)?;
    notes::insert(conn, note_id, session_id, agent_id, body, now)?;
    audit::record(
        conn,
        now,
        Some(agent_id),
        "note",
        Some(session_id),
        Some(&json!({"noteId": note_id})),
    )?;
    Ok(Note {
        id: note_id.to_string(),
        session_id: session_id.to_string(),
        agent_id: agent_id.to_string(),
        agent_name: agents::get(conn, agent_id)?.map(|a| a.name),
        body: body.to_string(),
        created_at: now,
    })
}

pub fn set_priority(
    conn: &Connection,
    session_id: &str,
    actor_id: &str,
    priority: Option<Priority>,
    now: Timestamp,
) -> Result<Session> {
    let mut row = sessions::get(conn, session_id)?.ok_or(Error::SessionNotFound)?;
    sessions::set_priority(conn, session_id, priority)?;
    audit::record(
        conn,
        now,
        Some(actor_id),
        "priority",
        Some(session_id),
        Some(&json!({"priority": priority.map(Priority::as_str)})),
    )?;
    row.priority_override = priority;
    Ok(row)
}

pub fn active_sessions(conn: &Connection) -> Result<Vec<ActiveSession>> {
    Ok(sessions::list_active_detailed(conn)?
        .into_iter()
        .map(|r| ActiveSession {
            session: r.session,
            persona_name: r.persona_name,
            agent_name: r.agent_name,
            last_message: r.last_message,
        })
        .collect())
}

pub fn day_figures(conn: &Connection, from: Timestamp, to: Timestamp) -> Result<DayFigures> {
    Ok(DayFigures {
        average_first_response: analytics::average_first_response_between(conn, from, to)?,
        agent_messages: analytics::agent_messages_between(conn, from, to)?,
    })
}

pub fn chat_record(conn: &Connection, id: &str) -> Result<Option<ChatRecord>> {
    let Some(session) = sessions::get(conn, id)? else {
        return Ok(None);
    };
    let messages = messages::all(conn, id)?;
    let mut agent_names: Vec<(String, String)> = Vec::new();
    for agent_id in messages.iter().filter_map(|m| m.agent_id.as_deref()) {
        if !agent_names.iter().any(|(known, _)| known == agent_id)
            && let Some(agent) = agents::get(conn, agent_id)?
        {
            agent_names.push((agent.id, agent.name));
        }
    }
    Ok(Some(ChatRecord {
        persona: match &session.persona_id {
            Some(p) => personas::get(conn, p)?,
            None => None,
        },
        agent: match &session.assigned_agent_id {
            Some(a) => agents::get(conn, a)?,
            None => None,
        },
        notes: notes::for_session(conn, id)?,
        rating: ratings::for_session(conn, id)?,
        labels: labels::of_chat(conn, id)?,
        earlier_sessions: sessions::others_of_user(
            conn,
            &SessionOwner::of(&session),
            id,
            EARLIER_SESSIONS,
        )?,
        messages,
        agent_names,
        session,
    }))
}

pub fn mark_read_by_agent(
    conn: &Connection,
    id: &str,
    at: Timestamp,
) -> Result<Option<SessionState>> {
    let row = sessions::get(conn, id)?.ok_or(Error::SessionNotFound)?;
    let Some((latest, _)) = messages::latest(conn, id)? else {
        return Ok(None);
    };
    if row.unread_by_agent == 0 && row.agent_read_seq >= latest {
        return Ok(None);
    }
    messages::mark_read(conn, id, Sender::User, latest, at)?;
    sessions::mark_read_by_agent(conn, id, latest)?;
    load_state(conn, id)
}

/// Expires those of `candidates` that are still idle (see [`sessions::idle_since`]).
pub fn expire_idle(
    conn: &Connection,
    candidates: &[String],
    now: Timestamp,
    idle: IdleRule,
) -> Result<Vec<SessionState>> {
    let cutoff = Timestamp(now.0 - idle.timeout_ms);
    let reason = idle.reason();
    let mut states = Vec::new();
    for id in candidates {
        if sessions::expire_one(conn, id, cutoff, idle.timeout_ms, &reason)?
            && let Some(state) = load_state(conn, id)?
        {
            states.push(state);
        }
    }
    Ok(states)
}

pub fn auto_assign(
    conn: &Connection,
    now: Timestamp,
    excluded: &HashMap<String, String>,
    idle: IdleRule,
) -> Result<Vec<String>> {
    let mut waiting: Vec<Session> = sessions::list_active(conn)?
        .into_iter()
        .filter(|s| s.assigned_agent_id.is_none())
        .filter(|s| !idle.is_expired(s.channel, s.status, s.last_activity_at, now))
        .collect();
    waiting.sort_by_key(|s| (s.awaiting_since.is_none(), s.awaiting_since, s.created_at));
    let mut assigned = Vec::new();
    for mut session in waiting {
        // Re-read every time: each assignment changes loads and round-robin order.
        let mut candidates: Vec<AgentLoad> = agents::list_loads(conn)?
            .into_iter()
            .filter(|a| a.available_for_auto(now))
            .collect();
        if candidates.is_empty() {
            break;
        }
        round_robin(&mut candidates);
        let Some(agent) = candidates
            .iter()
            .find(|a| excluded.get(&session.id) != Some(&a.agent.id))
        else {
            continue;
        };
        if try_take_capacity(conn, &agent.agent.id, now)?
            && give(
                conn,
                &mut session,
                &agent.agent.id,
                None,
                "auto_assign",
                now,
            )?
        {
            assigned.push(session.id);
        }
    }
    Ok(assigned)
}

pub fn release_silent(
    conn: &Connection,
    now: Timestamp,
    after_ms: i64,
) -> Result<Vec<(String, String)>> {
    let mut released = Vec::new();
    for session in sessions::list_active(conn)? {
        let (Some(agent), Some(waiting)) = (&session.assigned_agent_id, session.awaiting_since)
        else {
            continue;
        };
        let since = waiting.max(session.assigned_at.unwrap_or(waiting));
        if now.0 - since.0 < after_ms || !sessions::release_from(conn, &session.id, agent)? {
            continue;
        }
        audit::record(
            conn,
            now,
            None,
            "auto_release",
            Some(&session.id),
            Some(&json!({"agentId": agent, "silentMinutes": (now.0 - since.0) / 60_000})),
        )?;
        released.push((session.id.clone(), agent.clone()));
    }
    Ok(released)
}
