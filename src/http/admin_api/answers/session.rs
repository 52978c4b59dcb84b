//! Chats as agents see them: the queue and a chat's full detail.

use serde::Serialize;
use serde_json::Value;

use super::content::PersonaAnswer;
use super::label::LabelAnswer;
use crate::auth::FileLinks;
use crate::domain::agent::Agent;
use crate::domain::attachment::fallback_text;
use crate::domain::message::Message;
use crate::domain::note::Note;
use crate::domain::rating::Rating;
use crate::domain::session::Session;
use crate::domain::time::human_age;
use crate::domain::visitor::VisitorContext;
use crate::domain::{Channel, MessageKind, Priority, SendAs, Sender, SessionStatus, Timestamp};
use crate::http::api::answers::AttachmentAnswer;
use crate::service::queue::QueueEntry;
use crate::service::transcript::SessionDetail;

/// What the user told us about themselves (or what their token says).
#[derive(Serialize, utoipa::ToSchema)]
pub struct UserInfo {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// Session fields shared by the queue and the detail view.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionAnswer {
    pub session_id: String,
    pub user_id: String,
    pub user_info: UserInfo,
    pub is_guest: bool,
    pub persona_id: Option<String>,
    pub status: SessionStatus,
    pub assigned_agent_id: Option<String>,
    pub assigned_at: Option<Timestamp>,
    pub priority_override: Option<Priority>,
    pub created_at: Timestamp,
    pub ended_at: Option<Timestamp>,
    pub ended_by: Option<String>,
    pub end_reason: Option<String>,
    pub total_messages: i64,
    pub last_activity: Timestamp,
    pub waiting_since: Option<Timestamp>,
    /// The client's free-form metadata object, when it sent one.
    pub metadata: Option<Value>,
    pub channel: Channel,
    /// The website visitor's page, referrer, language, browser and OS (nulls when unknown).
    pub context: ContextAnswer,
}

/// What the widget told us about the visitor.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContextAnswer {
    pub page_url: Option<String>,
    pub referrer: Option<String>,
    pub language: Option<String>,
    pub browser: Option<String>,
    pub os: Option<String>,
}

impl From<VisitorContext> for ContextAnswer {
    fn from(c: VisitorContext) -> Self {
        ContextAnswer {
            page_url: c.page_url,
            referrer: c.referrer,
            language: c.language,
            browser: c.browser,
            os: c.os,
        }
    }
}

impl From<&Session> for SessionAnswer {
    fn from(s: &Session) -> Self {
        let metadata: Option<Value> = s
            .metadata
            .as_deref()
            .and_then(|m| serde_json::from_str(m).ok());
        SessionAnswer {
            session_id: s.id.clone(),
            user_id: s.user_id.clone(),
            user_info: UserInfo {
                name: s.user_name.clone(),
                email: s.user_email.clone(),
                phone: s.user_phone.clone(),
            },
            is_guest: s.is_guest,
            persona_id: s.persona_id.clone(),
            status: s.status,
            assigned_agent_id: s.assigned_agent_id.clone(),
            assigned_at: s.assigned_at,
            priority_override: s.priority_override,
            created_at: s.created_at,
            ended_at: s.ended_at,
            ended_by: s.ended_by.clone(),
            end_reason: s.end_reason.clone(),
            total_messages: s.message_count,
            last_activity: s.last_activity_at,
            waiting_since: s.awaiting_since,
            context: metadata
                .as_ref()
                .map_or_else(VisitorContext::default, VisitorContext::from_value)
                .into(),
            metadata,
            channel: s.channel,
        }
    }
}

/// A persona by id and name.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PersonaName {
    pub persona_id: Option<String>,
    pub name: String,
}

/// An agent by id and name.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AgentName {
    pub id: Option<String>,
    pub name: String,
}

/// One chat in the queue.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct QueueEntryAnswer {
    #[serde(flatten)]
    pub session: SessionAnswer,
    pub persona: Option<PersonaName>,
    pub assigned_agent: Option<AgentName>,
    pub time_since_last_message: String,
    pub waiting_seconds: i64,
    pub priority: Priority,
    pub wait_priority: Priority,
    pub is_admin_active: bool,
    pub awaiting_reply: bool,
    pub unread_count: i64,
    pub last_message: Option<String>,
    pub user_typing: bool,
    pub labels: Vec<LabelAnswer>,
}

impl From<&QueueEntry> for QueueEntryAnswer {
    fn from(e: &QueueEntry) -> Self {
        let s = &e.row.session;
        QueueEntryAnswer {
            session: SessionAnswer::from(s),
            persona: e.row.persona_name.as_ref().map(|name| PersonaName {
                persona_id: s.persona_id.clone(),
                name: name.clone(),
            }),
            assigned_agent: e.row.agent_name.as_ref().map(|name| AgentName {
                id: s.assigned_agent_id.clone(),
                name: name.clone(),
            }),
            time_since_last_message: human_age(e.seconds_since_activity),
            waiting_seconds: e.waiting_seconds,
            priority: e.priority,
            wait_priority: e.wait_priority,
            is_admin_active: e.agent_active,
            awaiting_reply: e.awaiting_reply,
            unread_count: s.unread_by_agent,
            last_message: e.row.last_message.clone(),
            user_typing: e.user_typing,
            labels: LabelAnswer::all(&e.labels),
        }
    }
}

/// `GET /api/admin/sessions/active`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ActiveSessions {
    pub sessions: Vec<QueueEntryAnswer>,
    pub total: usize,
}

/// A message with its real agent (even when shown under a persona).
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdminMessage {
    pub message_id: String,
    pub message: String,
    pub sender: Sender,
    pub message_type: MessageKind,
    pub timestamp: Timestamp,
    pub client_timestamp: Option<String>,
    pub shown_as: Option<String>,
    pub send_as: Option<SendAs>,
    pub agent_id: Option<String>,
    pub agent_name: Option<String>,
    pub delivered_at: Option<Timestamp>,
    pub read_at: Option<Timestamp>,
    pub attachments: Vec<AttachmentAnswer>,
    /// `Some(true)` when `message` only names the files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fallback_text: Option<bool>,
}

impl AdminMessage {
    pub fn of(m: &Message, agent_name: Option<&str>, links: &FileLinks) -> Self {
        let fallback = m.body.is_empty() && !m.attachments.is_empty();
        AdminMessage {
            message_id: m.id.clone(),
            message: if fallback {
                fallback_text(&m.attachments)
            } else {
                m.body.clone()
            },
            attachments: AttachmentAnswer::list(&m.attachments, links),
            fallback_text: fallback.then_some(true),
            sender: m.sender,
            message_type: m.kind,
            timestamp: m.created_at,
            client_timestamp: m.client_timestamp.clone(),
            shown_as: m.display_name.clone(),
            send_as: m.sent_as,
            agent_id: m.agent_id.clone(),
            agent_name: agent_name.map(str::to_string),
            delivered_at: m.delivered_at,
            read_at: m.read_at,
        }
    }
}

/// An internal note on a chat.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NoteAnswer {
    pub id: String,
    pub session_id: String,
    pub agent_id: String,
    pub agent_name: Option<String>,
    pub note: String,
    pub created_at: Timestamp,
}

impl From<&Note> for NoteAnswer {
    fn from(n: &Note) -> Self {
        NoteAnswer {
            id: n.id.clone(),
            session_id: n.session_id.clone(),
            agent_id: n.agent_id.clone(),
            agent_name: n.agent_name.clone(),
            note: n.body.clone(),
            created_at: n.created_at,
        }
    }
}

/// The assigned agent of a chat in its detail.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AssignedAgent {
    pub id: String,
    pub name: String,
    pub email: String,
}

impl From<&Agent> for AssignedAgent {
    fn from(a: &Agent) -> Self {
        AssignedAgent {
            id: a.id.clone(),
            name: a.name.clone(),
            email: a.email.clone(),
        }
    }
}

/// The user's rating of the chat.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RatingSummary {
    pub rating_id: String,
    pub rating: i64,
    pub feedback: Option<String>,
    pub categories: Vec<String>,
    pub submitted_at: Timestamp,
}

impl From<&Rating> for RatingSummary {
    fn from(r: &Rating) -> Self {
        RatingSummary {
            rating_id: r.id.clone(),
            rating: r.rating,
            feedback: r.feedback.clone(),
            categories: r.categories.clone(),
            submitted_at: r.created_at,
        }
    }
}

/// One of the user's earlier chats.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EarlierSession {
    pub session_id: String,
    pub status: SessionStatus,
    pub channel: Channel,
    pub created_at: Timestamp,
    pub ended_at: Option<Timestamp>,
    pub total_messages: i64,
}

/// `GET /api/admin/sessions/{sessionId}`.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionDetailAnswer {
    #[serde(flatten)]
    pub session: SessionAnswer,
    pub persona: Option<PersonaAnswer>,
    pub assigned_agent: Option<AssignedAgent>,
    pub messages: Vec<AdminMessage>,
    pub notes: Vec<NoteAnswer>,
    pub rating: Option<RatingSummary>,
    pub earlier_sessions: Vec<EarlierSession>,
    pub labels: Vec<LabelAnswer>,
    pub user_typing: bool,
    pub unread_count: i64,
}

impl SessionDetailAnswer {
    pub fn of(d: &SessionDetail, links: &FileLinks) -> Self {
        SessionDetailAnswer {
            session: SessionAnswer::from(&d.session),
            persona: d.persona.as_ref().map(PersonaAnswer::from),
            assigned_agent: d.agent.as_ref().map(AssignedAgent::from),
            messages: d
                .messages
                .iter()
                .map(|m| {
                    let name = m.agent_id.as_deref().and_then(|id| d.agent_name(id));
                    AdminMessage::of(m, name, links)
                })
                .collect(),
            notes: d.notes.iter().map(NoteAnswer::from).collect(),
            rating: d.rating.as_ref().map(RatingSummary::from),
            earlier_sessions: d
                .earlier_sessions
                .iter()
                .map(|s| EarlierSession {
                    session_id: s.id.clone(),
                    status: s.status,
                    channel: s.channel,
                    created_at: s.created_at,
                    ended_at: s.ended_at,
                    total_messages: s.message_count,
                })
                .collect(),
            labels: LabelAnswer::all(&d.labels),
            user_typing: d.user_typing,
            unread_count: d.session.unread_by_agent,
        }
    }
}
