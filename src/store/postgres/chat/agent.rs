//! The agents' side: assignment and capacity, replies, notes, priority, the queue, the chat
//! view, and the background sweeps. Every write here runs inside one SERIALIZABLE transaction
//! (see `write_tx!`), so a read-then-write below behaves as if it ran alone: when two replicas
//! race for one chat or one agent's last free place, PostgreSQL fails one of them and the whole
//! unit of work runs again against what the winner committed.

use std::collections::HashMap;

use deadpool_postgres::GenericClient;
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
use crate::store::postgres::{
    agents, analytics, audit, db, labels, messages, notes, personas, ratings, sessions,
};

/// How many earlier chats of the same user the chat view shows.
const EARLIER_SESSIONS: i64 = 10;

/// The guard of every assignment: touches the agent's row only if the agent may take one more
/// chat (mirroring [`AgentLoad::may_take`]), and records the round-robin time, one past every
/// earlier one so that the order is strict. Two transactions that take places of one agent
/// both update this row, so PostgreSQL fails the later one and it runs again against the
/// count the triggers keep on the row. False when the agent may not take a chat now.
async fn try_take_capacity(c: &impl GenericClient, agent_id: &str, now: Timestamp) -> Result<bool> {
    Ok(db::exec(
        c,
        "UPDATE agents SET last_assigned_at =
             GREATEST($2, COALESCE((SELECT MAX(last_assigned_at) FROM agents), 0) + 1)
         WHERE id = $1 AND NOT disabled AND role IN ('super_admin', 'chat_admin')
           AND active_chats < max_concurrent_chats",
        &[&agent_id, &now],
    )
    .await?
        == 1)
}

/// [`try_take_capacity`], with the reason when the agent may not take the chat.
async fn take_capacity(
    c: &impl GenericClient,
    agent_id: &str,
    now: Timestamp,
) -> Result<AgentLoad> {
    let load = agents::require_load(c, agent_id).await?;
    load.may_take()?;
    if !try_take_capacity(c, agent_id, now).await? {
        let load = agents::require_load(c, agent_id).await?;
        load.may_take()?;
        return Err(Error::AgentAtCapacity);
    }
    Ok(load)
}

/// An active session by id (expired on the spot if it went idle), its row locked until the
/// transaction ends: the first thing an agent's unit on a chat does, so units on one chat
/// queue for it instead of racing (and a READ COMMITTED unit reads what the last committed).
async fn active_session(
    c: &impl GenericClient,
    session_id: &str,
    now: Timestamp,
    idle: IdleRule,
) -> Result<Session> {
    let mut row = sessions::get_for_update(c, session_id)
        .await?
        .ok_or(Error::SessionNotFound)?;
    expire_if_idle(c, &mut row, now, idle).await?;
    row.check_open()?;
    Ok(row)
}

/// Gives `row` (active, unassigned) to `agent_id` after the capacity guard; false when another
/// writer assigned it first.
async fn give(
    c: &impl GenericClient,
    row: &mut Session,
    agent_id: &str,
    actor_id: Option<&str>,
    action: &str,
    now: Timestamp,
) -> Result<bool> {
    if !sessions::assign_if_unassigned(c, &row.id, agent_id, now).await? {
        return Ok(false);
    }
    audit::record(
        c,
        now,
        actor_id,
        action,
        Some(&row.id),
        Some(&json!({"agentId": agent_id})),
    )
    .await?;
    row.assigned_agent_id = Some(agent_id.to_string());
    row.assigned_at = Some(now);
    Ok(true)
}

/// Runs at READ COMMITTED (`write_tx!(.., locking, ..)`): the session's row is locked first
/// (by `active_session`, in the order every unit that also touches an agent's count follows),
/// and the agent's capacity and the assignment are each taken by a conditional update.
pub(crate) async fn assign(c: &impl GenericClient, req: &AssignRequest) -> Result<Session> {
    let mut row = active_session(c, &req.session_id, req.now, req.idle).await?;
    match row.assigned_agent_id.as_deref() {
        Some(current) if current == req.agent_id => return Ok(row),
        Some(_) => return Err(Error::AlreadyAssigned),
        None => {}
    }
    take_capacity(c, &req.agent_id, req.now).await?;
    if !give(
        c,
        &mut row,
        &req.agent_id,
        req.actor_id.as_deref(),
        "assign",
        req.now,
    )
    .await?
    {
        return Err(Error::AlreadyAssigned);
    }
    Ok(row)
}

pub(crate) async fn release(
    c: &impl GenericClient,
    session_id: &str,
    actor: &Actor,
    now: Timestamp,
) -> Result<Session> {
    let mut row = sessions::get(c, session_id)
        .await?
        .ok_or(Error::SessionNotFound)?;
    let Some(holder) = row.assigned_agent_id.clone() else {
        return Ok(row);
    };
    if holder != actor.id && !actor.overrides {
        return Err(Error::Forbidden(
            "Only the agent handling this chat or a super admin can release it",
        ));
    }
    if !sessions::release_from(c, session_id, &holder).await? {
        return Err(Error::AlreadyAssigned);
    }
    audit::record(
        c,
        now,
        Some(&actor.id),
        "release",
        Some(session_id),
        Some(&json!({"agentId": holder})),
    )
    .await?;
    row.assigned_agent_id = None;
    row.assigned_at = None;
    Ok(row)
}

pub(crate) async fn transfer(c: &impl GenericClient, req: &TransferRequest) -> Result<Session> {
    let mut row = active_session(c, &req.session_id, req.now, req.idle).await?;
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
    let target = take_capacity(c, to, req.now).await?;
    if !sessions::reassign_from(c, &req.session_id, from.as_deref(), Some(to), req.now).await? {
        return Err(Error::AlreadyAssigned);
    }
    row.assigned_agent_id = Some(to.to_string());
    row.assigned_at = Some(req.now);
    let text = match &req.note {
        Some(n) => format!("Transferred to {}: {n}", target.agent.name),
        None => format!("Transferred to {}", target.agent.name),
    };
    notes::insert(
        c,
        &req.note_id,
        &req.session_id,
        &req.actor.id,
        &text,
        req.now,
    )
    .await?;
    audit::record(
        c,
        req.now,
        Some(&req.actor.id),
        "transfer",
        Some(&req.session_id),
        Some(&json!({"from": from, "to": to, "note": req.note})),
    )
    .await?;
    Ok(row)
}

pub(crate) async fn end_by_agent(
    c: &impl GenericClient,
    session_id: &str,
    actor_id: &str,
    reason: Option<&str>,
    now: Timestamp,
    idle: IdleRule,
) -> Result<EndOutcome> {
    let mut row = sessions::get(c, session_id)
        .await?
        .ok_or(Error::SessionNotFound)?;
    let expired = expire_if_idle(c, &mut row, now, idle).await?;
    if !row.status.is_active() {
        return Ok(EndOutcome {
            state: state_of(c, row).await?,
            changed: expired,
        });
    }
    let ended = sessions::end(
        c,
        session_id,
        &sessions::EndSession {
            status: SessionStatus::EndedByAdmin,
            ended_by: EndedBy::Admin.as_str(),
            agent_id: Some(actor_id),
            reason,
            at: now,
        },
    )
    .await?;
    if ended {
        audit::record(
            c,
            now,
            Some(actor_id),
            "end",
            Some(session_id),
            Some(&json!({"reason": reason})),
        )
        .await?;
    }
    let state = load_state(c, session_id)
        .await?
        .ok_or(Error::SessionNotFound)?;
    Ok(EndOutcome {
        state,
        changed: ended,
    })
}

/// The name a reply is shown under, and whether that is allowed for this chat.
async fn reply_identity(
    c: &impl GenericClient,
    row: &Session,
    m: &NewAgentMessage,
) -> Result<(String, Option<String>)> {
    match m.send_as {
        SendAs::Agent => Ok((m.agent_name.clone(), m.department.clone())),
        SendAs::Persona => {
            let persona_id = row.persona_id.as_deref().ok_or_else(|| {
                Error::validation("sendAs", "this chat was not started with a persona")
            })?;
            let persona = personas::get(c, persona_id)
                .await?
                .ok_or(Error::NotFound("Persona"))?;
            Ok((persona.name, None))
        }
    }
}

pub(crate) async fn append_agent_message(
    c: &impl GenericClient,
    m: &NewAgentMessage,
) -> Result<ReplyOutcome> {
    let unassigned = |outcome| ReplyOutcome {
        outcome,
        assigned: false,
    };
    if let Some(existing) =
        duplicate_of(c, &m.session_id, &m.message_id, &m.text, &m.attachments).await?
    {
        return Ok(unassigned(SendOutcome::Existing(existing)));
    }
    let mut row = match active_session(c, &m.session_id, m.now, m.idle).await {
        Err(Error::SessionExpired) => {
            let row = sessions::get(c, &m.session_id)
                .await?
                .ok_or(Error::SessionNotFound)?;
            return Ok(unassigned(SendOutcome::Expired(state_of(c, row).await?)));
        }
        other => other?,
    };
    let mut assigned = false;
    if row.assigned_agent_id.is_none() {
        take_capacity(c, &m.agent_id, m.now).await?;
        // Losing to a concurrent assigner is fine: a held chat may still be answered.
        assigned = give(
            c,
            &mut row,
            &m.agent_id,
            Some(&m.agent_id),
            "assign_on_reply",
            m.now,
        )
        .await?;
    }
    let (shown_name, department) = reply_identity(c, &row, m).await?;
    let message = insert_message(
        c,
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
    )
    .await?;
    audit::record(
        c,
        m.now,
        Some(&m.agent_id),
        "reply",
        Some(&row.id),
        Some(
            &json!({"messageId": message.id, "sendAs": m.send_as.as_str(), "shownAs": shown_name}),
        ),
    )
    .await?;
    let state = state_after(row, &message);
    Ok(ReplyOutcome {
        outcome: SendOutcome::Sent(message, state),
        assigned,
    })
}

pub(crate) async fn add_note(
    c: &impl GenericClient,
    session_id: &str,
    agent_id: &str,
    note_id: &str,
    body: &str,
    now: Timestamp,
) -> Result<Note> {
    sessions::get(c, session_id)
        .await?
        .ok_or(Error::SessionNotFound)?;
    notes::insert(c, note_id, session_id, agent_id, body, now).await?;
    audit::record(
        c,
        now,
        Some(agent_id),
        "note",
        Some(session_id),
        Some(&json!({"noteId": note_id})),
    )
    .await?;
    Ok(Note {
        id: note_id.to_string(),
        session_id: session_id.to_string(),
        agent_id: agent_id.to_string(),
        agent_name: agents::get(c, agent_id).await?.map(|a| a.name),
        body: body.to_string(),
        created_at: now,
    })
}

pub(crate) async fn set_priority(
    c: &impl GenericClient,
    session_id: &str,
    actor_id: &str,
    priority: Option<Priority>,
    now: Timestamp,
) -> Result<Session> {
    let mut row = sessions::get(c, session_id)
        .await?
        .ok_or(Error::SessionNotFound)?;
    sessions::set_priority(c, session_id, priority).await?;
    audit::record(
        c,
        now,
        Some(actor_id),
        "priority",
        Some(session_id),
        Some(&json!({"priority": priority.map(Priority::as_str)})),
    )
    .await?;
    row.priority_override = priority;
    Ok(row)
}

pub(crate) async fn active_sessions(c: &impl GenericClient) -> Result<Vec<ActiveSession>> {
    Ok(sessions::list_active_detailed(c)
        .await?
        .into_iter()
        .map(|r| ActiveSession {
            session: r.session,
            persona_name: r.persona_name,
            agent_name: r.agent_name,
            last_message: r.last_message,
        })
        .collect())
}

pub(crate) async fn day_figures(
    c: &impl GenericClient,
    from: Timestamp,
    to: Timestamp,
) -> Result<DayFigures> {
    Ok(DayFigures {
        average_first_response: analytics::average_first_response_between(c, from, to).await?,
        agent_messages: analytics::agent_messages_between(c, from, to).await?,
    })
}

/// Everything the chat view shows about one chat. Several statements that must agree: run it
/// in a REPEATABLE READ transaction (or inside a write) so they share one snapshot.
pub(crate) async fn chat_record(c: &impl GenericClient, id: &str) -> Result<Option<ChatRecord>> {
    let Some(session) = sessions::get(c, id).await? else {
        return Ok(None);
    };
    let messages = messages::all(c, id).await?;
    let mut agent_names: Vec<(String, String)> = Vec::new();
    for agent_id in messages.iter().filter_map(|m| m.agent_id.as_deref()) {
        if !agent_names.iter().any(|(known, _)| known == agent_id)
            && let Some(agent) = agents::get(c, agent_id).await?
        {
            agent_names.push((agent.id, agent.name));
        }
    }
    Ok(Some(ChatRecord {
        persona: match &session.persona_id {
            Some(p) => personas::get(c, p).await?,
            None => None,
        },
        agent: match &session.assigned_agent_id {
            Some(a) => agents::get(c, a).await?,
            None => None,
        },
        notes: notes::for_session(c, id).await?,
        rating: ratings::for_session(c, id).await?,
        labels: labels::of_chat(c, id).await?,
        earlier_sessions: sessions::others_of_user(
            c,
            &SessionOwner::of(&session),
            id,
            EARLIER_SESSIONS,
        )
        .await?,
        messages,
        agent_names,
        session,
    }))
}

pub(crate) async fn mark_read_by_agent(
    c: &impl GenericClient,
    id: &str,
    at: Timestamp,
) -> Result<Option<SessionState>> {
    let row = sessions::get(c, id).await?.ok_or(Error::SessionNotFound)?;
    let Some((latest, _)) = messages::latest(c, id).await? else {
        return Ok(None);
    };
    if row.unread_by_agent == 0 && row.agent_read_seq >= latest {
        return Ok(None);
    }
    messages::mark_read(c, id, Sender::User, latest, at).await?;
    sessions::mark_read_by_agent(c, id, latest).await?;
    load_state(c, id).await
}

/// Expires those of `candidates` that are still idle (see [`sessions::idle_since`]).
pub(crate) async fn expire_idle(
    c: &impl GenericClient,
    candidates: &[String],
    now: Timestamp,
    idle: IdleRule,
) -> Result<Vec<SessionState>> {
    let cutoff = Timestamp(now.0 - idle.timeout_ms);
    let reason = idle.reason();
    let mut states = Vec::new();
    for id in candidates {
        if sessions::expire_one(c, id, cutoff, idle.timeout_ms, &reason).await?
            && let Some(state) = load_state(c, id).await?
        {
            states.push(state);
        }
    }
    Ok(states)
}

pub(crate) async fn auto_assign(
    c: &impl GenericClient,
    now: Timestamp,
    excluded: &HashMap<String, String>,
    idle: IdleRule,
) -> Result<Vec<String>> {
    let mut waiting: Vec<Session> = sessions::list_active(c)
        .await?
        .into_iter()
        .filter(|s| s.assigned_agent_id.is_none())
        .filter(|s| !idle.is_expired(s.channel, s.status, s.last_activity_at, now))
        .collect();
    waiting.sort_by_key(|s| (s.awaiting_since.is_none(), s.awaiting_since, s.created_at));
    let mut assigned = Vec::new();
    for mut session in waiting {
        // Re-read every time: each assignment changes loads and round-robin order.
        let mut candidates: Vec<AgentLoad> = agents::list_loads(c)
            .await?
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
        if try_take_capacity(c, &agent.agent.id, now).await?
            && give(c, &mut session, &agent.agent.id, None, "auto_assign", now).await?
        {
            assigned.push(session.id);
        }
    }
    Ok(assigned)
}

pub(crate) async fn release_silent(
    c: &impl GenericClient,
    now: Timestamp,
    after_ms: i64,
) -> Result<Vec<(String, String)>> {
    let mut released = Vec::new();
    for session in sessions::list_active(c).await? {
        let (Some(agent), Some(waiting)) = (&session.assigned_agent_id, session.awaiting_since)
        else {
            continue;
        };
        let since = waiting.max(session.assigned_at.unwrap_or(waiting));
        if now.0 - since.0 < after_ms || !sessions::release_from(c, &session.id, agent).await? {
            continue;
        }
        audit::record(
            c,
            now,
            None,
            "auto_release",
            Some(&session.id),
            Some(&json!({"agentId": agent, "silentMinutes": (now.0 - since.0) / 60_000})),
        )
        .await?;
        released.push((session.id.clone(), agent.clone()));
    }
    Ok(released)
}
