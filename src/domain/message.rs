//! Who sent a message and how it is shown.

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sender {
    User,
    /// An agent, shown to the user under the agent's or a persona's name.
    Admin,
    /// Welcome and other server notices.
    System,
}

impl Sender {
    pub fn as_str(self) -> &'static str {
        match self {
            Sender::User => "user",
            Sender::Admin => "admin",
            Sender::System => "system",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "user" => Sender::User,
            "admin" => Sender::Admin,
            "system" => Sender::System,
            _ => return None,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    Text,
    System,
}

impl MessageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Text => "text",
            MessageKind::System => "system",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "text" => MessageKind::Text,
            "system" => MessageKind::System,
            _ => return None,
        })
    }
}

/// The name an agent's reply is shown under.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum SendAs {
    #[default]
    Agent,
    Persona,
}

impl SendAs {
    pub fn as_str(self) -> &'static str {
        match self {
            SendAs::Agent => "agent",
            SendAs::Persona => "persona",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "agent" => Some(SendAs::Agent),
            "persona" => Some(SendAs::Persona),
            _ => None,
        }
    }
}

/// A message as stored. `seq` is its position in its session (1, 2, 3, ...): what poll
/// cursors, stream event ids and read watermarks count.
#[derive(Clone, Debug)]
pub struct Message {
    pub seq: i64,
    pub id: String,
    pub session_id: String,
    pub sender: Sender,
    /// The real agent, even when shown under a persona.
    pub agent_id: Option<String>,
    pub sent_as: Option<SendAs>,
    pub display_name: Option<String>,
    pub department: Option<String>,
    pub body: String,
    pub kind: MessageKind,
    pub created_at: crate::domain::Timestamp,
    pub client_timestamp: Option<String>,
    pub delivered_at: Option<crate::domain::Timestamp>,
    pub read_at: Option<crate::domain::Timestamp>,
    /// Files sent with the message, in the order sent. With files and no words, `body` is
    /// empty (see [`crate::domain::attachment::fallback_text`]).
    pub attachments: Vec<crate::domain::attachment::Attachment>,
}
