//! A chat's transcript as an export carries it: the chat, every message in order with the real
//! agent behind each reply, and the internal notes, marked as internal. Every format is
//! written from this one document, so they cannot disagree.

use serde::Serialize;

use crate::domain::message::Message;
use crate::domain::note::Note;
use crate::domain::{Channel, Sender, SessionStatus, Timestamp};
use crate::store::chats::ChatRecord;

/// `GET /api/admin/chat/session/{id}/export?format=json`: one chat's transcript.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TranscriptExport {
    pub exported_at: Timestamp,
    #[serde(flatten)]
    pub transcript: ChatTranscript,
}

/// A chat, its messages and its notes.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChatTranscript {
    pub chat: TranscriptChat,
    /// In the order they were sent.
    pub messages: Vec<TranscriptMessage>,
    /// Agents' notes, oldest first; never shown to the user.
    pub internal_notes: Vec<InternalNote>,
}

/// The chat itself.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TranscriptChat {
    pub session_id: String,
    pub user_id: String,
    pub user_name: Option<String>,
    pub user_email: Option<String>,
    pub channel: Channel,
    pub status: SessionStatus,
    pub created_at: Timestamp,
    pub ended_at: Option<Timestamp>,
    pub assigned_agent: Option<ExportedAgent>,
    pub rating: Option<TranscriptRating>,
}

/// An agent by id and name.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ExportedAgent {
    pub id: String,
    pub name: String,
}

/// The user's rating of the chat.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TranscriptRating {
    /// 1 to 5.
    pub rating: i64,
    pub feedback: Option<String>,
    pub categories: Vec<String>,
    pub submitted_at: Timestamp,
}

/// One message.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TranscriptMessage {
    /// Its position in the chat, from 1.
    pub seq: i64,
    pub message_id: String,
    pub sender: Sender,
    /// The real agent behind an agent's message, even one shown under a persona.
    pub agent_id: Option<String>,
    pub agent_name: Option<String>,
    /// The name the user saw: the agent's or the persona's.
    pub shown_as: Option<String>,
    /// The text as sent; empty for a message that carries only files.
    pub body: String,
    pub sent_at: Timestamp,
    /// The names of the files sent with it.
    pub attachments: Vec<String>,
}

/// An agent's note on the chat.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InternalNote {
    pub note_id: String,
    /// Always `true`: notes are for agents, never shown to the user.
    pub internal: bool,
    pub agent_id: String,
    pub agent_name: Option<String>,
    pub body: String,
    pub created_at: Timestamp,
}

impl ChatTranscript {
    /// The transcript of `record`.
    pub fn of(record: &ChatRecord) -> Self {
        let agent_name = |id: &str| {
            record
                .agent_names
                .iter()
                .find(|(known, _)| known == id)
                .map(|(_, name)| name.clone())
        };
        ChatTranscript {
            chat: TranscriptChat::of(record),
            messages: record
                .messages
                .iter()
                .map(|m| TranscriptMessage::of(m, m.agent_id.as_deref().and_then(agent_name)))
                .collect(),
            internal_notes: record.notes.iter().map(InternalNote::from).collect(),
        }
    }

    /// Messages and notes in one line of time: each note after the messages sent before it,
    /// so a reader sees it where it was written.
    pub fn timeline(&self) -> Vec<Entry<'_>> {
        let mut notes = self.internal_notes.iter().peekable();
        let mut entries = Vec::with_capacity(self.messages.len() + self.internal_notes.len());
        for message in &self.messages {
            while let Some(note) = notes.next_if(|n| n.created_at < message.sent_at) {
                entries.push(Entry::Note(note));
            }
            entries.push(Entry::Message(message));
        }
        entries.extend(notes.map(Entry::Note));
        entries
    }
}

/// One line of a transcript's timeline.
#[derive(Clone, Copy, Debug)]
pub enum Entry<'a> {
    Message(&'a TranscriptMessage),
    Note(&'a InternalNote),
}

impl TranscriptChat {
    fn of(record: &ChatRecord) -> Self {
        let s = &record.session;
        TranscriptChat {
            session_id: s.id.clone(),
            user_id: s.user_id.clone(),
            user_name: s.user_name.clone(),
            user_email: s.user_email.clone(),
            channel: s.channel,
            status: s.status,
            created_at: s.created_at,
            ended_at: s.ended_at,
            assigned_agent: record.agent.as_ref().map(|a| ExportedAgent {
                id: a.id.clone(),
                name: a.name.clone(),
            }),
            rating: record.rating.as_ref().map(|r| TranscriptRating {
                rating: r.rating,
                feedback: r.feedback.clone(),
                categories: r.categories.clone(),
                submitted_at: r.created_at,
            }),
        }
    }
}

impl TranscriptMessage {
    fn of(m: &Message, agent_name: Option<String>) -> Self {
        TranscriptMessage {
            seq: m.seq,
            message_id: m.id.clone(),
            sender: m.sender,
            agent_id: m.agent_id.clone(),
            agent_name,
            shown_as: m.display_name.clone(),
            body: m.body.clone(),
            sent_at: m.created_at,
            attachments: m.attachments.iter().map(|a| a.name.clone()).collect(),
        }
    }

    /// Who wrote it, as a reader of the transcript needs it: `user` (the chat's user as
    /// people call them), "System", or the name shown, with the real agent beside it when
    /// they differ (`Ava (sent by Sam)`).
    pub fn author(&self, user: &str) -> String {
        match self.sender {
            Sender::User => user.to_string(),
            Sender::System => "System".to_string(),
            Sender::Admin => {
                let shown = self.shown_as.as_deref();
                match (shown, self.agent_name.as_deref()) {
                    (Some(shown), Some(real)) if shown != real => {
                        format!("{shown} (sent by {real})")
                    }
                    (Some(name), _) | (None, Some(name)) => name.to_string(),
                    (None, None) => "Agent".to_string(),
                }
            }
        }
    }
}

impl TranscriptChat {
    /// How to call the user: name, else email, else their id.
    pub fn user_label(&self) -> &str {
        self.user_name
            .as_deref()
            .or(self.user_email.as_deref())
            .unwrap_or(&self.user_id)
    }
}

impl From<&Note> for InternalNote {
    fn from(n: &Note) -> Self {
        InternalNote {
            note_id: n.id.clone(),
            internal: true,
            agent_id: n.agent_id.clone(),
            agent_name: n.agent_name.clone(),
            body: n.body.clone(),
            created_at: n.created_at,
        }
    }
}
