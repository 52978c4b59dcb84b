//! How admin-API answers look. Unlike the client API, agents see the real agent behind every
//! reply, delivery and read marks, notes and internal details.

use serde_json::{Value, json};

use crate::domain::audit::AuditEvent;
use crate::domain::canned::CannedResponse;
use crate::domain::message::Message;
use crate::domain::note::Note;
use crate::domain::persona::Persona;
use crate::domain::session::Session;
use crate::domain::time::human_age;
use crate::service::agents::AgentView;
use crate::service::queue::QueueEntry;
use crate::service::transcript::SessionDetail;

pub fn agent(v: &AgentView) -> Value {
    let a = &v.agent;
    json!({
        "id": a.id,
        "email": a.email,
        "name": a.name,
        "role": a.role,
        "department": a.department,
        "isOnline": v.online,
        "activeChatSessions": v.active_chats,
        "maxConcurrentChats": a.max_concurrent_chats,
        "disabled": a.disabled,
        "lastSeenAt": a.last_seen_at,
        "createdAt": a.created_at,
    })
}

pub fn persona(p: &Persona) -> Value {
    json!({ "personaId": p.id, "name": p.name, "bio": p.bio, "avatarUrl": p.avatar_url, "createdAt": p.created_at })
}

pub fn canned(c: &CannedResponse) -> Value {
    json!({
        "id": c.id,
        "title": c.title,
        "shortcut": c.shortcut,
        "text": c.body,
        "createdBy": c.created_by,
        "updatedAt": c.updated_at,
    })
}

pub fn note(n: &Note) -> Value {
    json!({
        "id": n.id,
        "sessionId": n.session_id,
        "agentId": n.agent_id,
        "agentName": n.agent_name,
        "note": n.body,
        "createdAt": n.created_at,
    })
}

pub fn audit(e: &AuditEvent) -> Value {
    json!({
        "id": e.seq,
        "at": e.at,
        "agentId": e.agent_id,
        "agentName": e.agent_name,
        "action": e.action,
        "sessionId": e.session_id,
        "detail": e.detail,
    })
}

/// A message with its real agent (even when shown under a persona).
pub fn message(m: &Message, agent_name: Option<&str>) -> Value {
    json!({
        "messageId": m.id,
        "message": m.body,
        "sender": m.sender,
        "messageType": m.kind,
        "timestamp": m.created_at,
        "clientTimestamp": m.client_timestamp,
        "shownAs": m.display_name,
        "sendAs": m.sent_as,
        "agentId": m.agent_id,
        "agentName": agent_name,
        "deliveredAt": m.delivered_at,
        "readAt": m.read_at,
    })
}

fn user_info(s: &Session) -> Value {
    json!({ "name": s.user_name, "email": s.user_email, "phone": s.user_phone })
}

/// Session fields shared by the queue and the detail view.
pub fn session(s: &Session) -> Value {
    json!({
        "sessionId": s.id,
        "userId": s.user_id,
        "userInfo": user_info(s),
        "isGuest": s.is_guest,
        "personaId": s.persona_id,
        "status": s.status,
        "assignedAgentId": s.assigned_agent_id,
        "assignedAt": s.assigned_at,
        "priorityOverride": s.priority_override,
        "createdAt": s.created_at,
        "endedAt": s.ended_at,
        "endedBy": s.ended_by,
        "endReason": s.end_reason,
        "totalMessages": s.message_count,
        "lastActivity": s.last_activity_at,
        "waitingSince": s.awaiting_since,
        "metadata": s.metadata.as_deref().and_then(|m| serde_json::from_str::<Value>(m).ok()),
    })
}

pub fn queue_entry(e: &QueueEntry) -> Value {
    let s = &e.row.session;
    let mut v = session(s);
    let extra = json!({
        "persona": e.row.persona_name.as_ref().map(|name| json!({ "personaId": s.persona_id, "name": name })),
        "assignedAgent": e.row.agent_name.as_ref().map(|name| json!({ "id": s.assigned_agent_id, "name": name })),
        "timeSinceLastMessage": human_age(e.seconds_since_activity),
        "waitingSeconds": e.waiting_seconds,
        "priority": e.priority,
        "waitPriority": e.wait_priority,
        "isAdminActive": e.agent_active,
        "awaitingReply": e.awaiting_reply,
        "unreadCount": s.unread_by_agent,
        "lastMessage": e.row.last_message,
        "userTyping": e.user_typing,
    });
    merge(&mut v, extra);
    v
}

pub fn session_detail(d: &SessionDetail) -> Value {
    let mut v = session(&d.session);
    let extra = json!({
        "persona": d.persona.as_ref().map(persona),
        "assignedAgent": d.agent.as_ref().map(|a| json!({ "id": a.id, "name": a.name, "email": a.email })),
        "messages": d.messages.iter().map(|m| message(m, m.agent_id.as_deref().and_then(|id| d.agent_name(id)))).collect::<Vec<_>>(),
        "notes": d.notes.iter().map(note).collect::<Vec<_>>(),
        "rating": d.rating.as_ref().map(|r| json!({
            "ratingId": r.id, "rating": r.rating, "feedback": r.feedback, "categories": r.categories, "submittedAt": r.created_at,
        })),
        "earlierSessions": d.earlier_sessions.iter().map(|s| json!({
            "sessionId": s.id, "status": s.status, "createdAt": s.created_at, "endedAt": s.ended_at, "totalMessages": s.message_count,
        })).collect::<Vec<_>>(),
        "userTyping": d.user_typing,
        "unreadCount": d.session.unread_by_agent,
    });
    merge(&mut v, extra);
    v
}

fn merge(target: &mut Value, extra: Value) {
    if let (Value::Object(t), Value::Object(e)) = (target, extra) {
        t.extend(e);
    }
}
