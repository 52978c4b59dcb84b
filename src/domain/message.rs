//! Who sent a message and how it is shown.

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
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

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
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
