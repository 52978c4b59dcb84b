//! Personas: named identities a chat can be started with and agents can reply as.

use super::Timestamp;

/// A persona. Deleting only hides it from new chats; old chats keep showing its name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Persona {
    pub id: String,
    pub name: String,
    pub bio: Option<String>,
    pub avatar_url: Option<String>,
    pub deleted: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A persona's editable fields, already validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersonaFields {
    pub name: String,
    pub bio: Option<String>,
    pub avatar_url: Option<String>,
}
