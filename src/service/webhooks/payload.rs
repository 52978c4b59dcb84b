//! What a webhook says: `{type, timestamp, data}`, with `data` naming the chat and what
//! happened to it. Rendered once, when the event is fanned out; every retry sends those bytes.

use serde::Serialize;

use crate::domain::attachment::Attachment;
use crate::domain::message::Message;
use crate::domain::rating::Rating;
use crate::domain::session::Session;
use crate::store::outbox::OutboxEvent;

#[derive(Serialize)]
struct Payload<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    timestamp: String,
    data: EventData<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EventData<'a> {
    session: SessionData<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<MessageData<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    agent: Option<AgentData<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rating: Option<RatingData<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SessionData<'a> {
    session_id: &'a str,
    user_id: &'a str,
    user_name: Option<&'a str>,
    user_email: Option<&'a str>,
    is_guest: bool,
    channel: &'static str,
    status: &'static str,
    assigned_agent_id: Option<&'a str>,
    created_at: String,
    ended_at: Option<String>,
    ended_by: Option<&'a str>,
    end_reason: Option<&'a str>,
}

impl<'a> SessionData<'a> {
    fn of(s: &'a Session) -> Self {
        SessionData {
            session_id: &s.id,
            user_id: &s.user_id,
            user_name: s.user_name.as_deref(),
            user_email: s.user_email.as_deref(),
            is_guest: s.is_guest,
            channel: s.channel.as_str(),
            status: s.status.as_str(),
            assigned_agent_id: s.assigned_agent_id.as_deref(),
            created_at: s.created_at.rfc3339(),
            ended_at: s.ended_at.map(|t| t.rfc3339()),
            ended_by: s.ended_by.as_deref(),
            end_reason: s.end_reason.as_deref(),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MessageData<'a> {
    message_id: &'a str,
    /// `user` or `agent`.
    sender: &'static str,
    /// The name the user saw (the agent's or the persona's).
    sender_name: Option<&'a str>,
    /// The real agent behind an agent message.
    agent_id: Option<&'a str>,
    message: &'a str,
    timestamp: String,
    attachments: Vec<FileData<'a>>,
}

impl<'a> MessageData<'a> {
    fn of(m: &'a Message) -> Self {
        MessageData {
            message_id: &m.id,
            sender: match m.sender {
                crate::domain::Sender::User => "user",
                _ => "agent",
            },
            sender_name: m.display_name.as_deref(),
            agent_id: m.agent_id.as_deref(),
            message: &m.body,
            timestamp: m.created_at.rfc3339(),
            attachments: m.attachments.iter().map(FileData::of).collect(),
        }
    }
}

/// A file's description; the file itself is fetched with an agent token (links expire).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FileData<'a> {
    attachment_id: &'a str,
    name: &'a str,
    content_type: &'static str,
    size: u64,
}

impl<'a> FileData<'a> {
    fn of(a: &'a Attachment) -> Self {
        FileData {
            attachment_id: a.id.as_str(),
            name: &a.name,
            content_type: a.kind.mime(),
            size: a.size,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AgentData<'a> {
    agent_id: &'a str,
    name: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RatingData<'a> {
    rating_id: &'a str,
    rating: i64,
    feedback: Option<&'a str>,
    categories: &'a [String],
}

impl<'a> RatingData<'a> {
    fn of(r: &'a Rating) -> Self {
        RatingData {
            rating_id: &r.id,
            rating: r.rating,
            feedback: r.feedback.as_deref(),
            categories: &r.categories,
        }
    }
}

/// The JSON body of `event`.
pub fn render(event: &OutboxEvent) -> String {
    let payload = Payload {
        kind: event.event.as_str(),
        timestamp: event.created_at.rfc3339(),
        data: EventData {
            session: SessionData::of(&event.session),
            message: event.message.as_ref().map(MessageData::of),
            agent: event
                .agent
                .as_ref()
                .map(|(id, name)| AgentData { agent_id: id, name }),
            rating: event.rating.as_ref().map(RatingData::of),
        },
    };
    serde_json::to_string(&payload).expect("a payload of strings and numbers serializes")
}
