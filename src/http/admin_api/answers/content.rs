//! Personas, canned responses and the audit log as the admin API shows them.

use serde::Serialize;
use serde_json::Value;

use crate::domain::Timestamp;
use crate::domain::audit::AuditEvent;
use crate::domain::canned::CannedResponse;
use crate::domain::persona::Persona;
use crate::http::api::answers::EventsPage;

/// A persona, with its creation time.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PersonaAnswer {
    pub persona_id: String,
    pub name: String,
    pub bio: Option<String>,
    pub avatar_url: Option<String>,
    pub created_at: Timestamp,
}

impl From<&Persona> for PersonaAnswer {
    fn from(p: &Persona) -> Self {
        PersonaAnswer {
            persona_id: p.id.clone(),
            name: p.name.clone(),
            bio: p.bio.clone(),
            avatar_url: p.avatar_url.clone(),
            created_at: p.created_at,
        }
    }
}

/// `GET /api/admin/personas`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PersonaList {
    pub personas: Vec<PersonaAnswer>,
}

/// One persona created, changed or read.
#[derive(Serialize, utoipa::ToSchema)]
pub struct OnePersona {
    pub persona: PersonaAnswer,
}

/// A persona was deleted (hidden from new chats).
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PersonaDeleted {
    pub persona_id: String,
}

/// A canned response; `text` is its body.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CannedAnswer {
    pub id: String,
    pub title: String,
    pub shortcut: String,
    pub text: String,
    pub created_by: Option<String>,
    pub updated_at: Timestamp,
}

impl From<CannedResponse> for CannedAnswer {
    fn from(c: CannedResponse) -> Self {
        CannedAnswer {
            id: c.id,
            title: c.title,
            shortcut: c.shortcut,
            text: c.body,
            created_by: c.created_by,
            updated_at: c.updated_at,
        }
    }
}

/// `GET /api/admin/canned-responses`.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CannedList {
    pub canned_responses: Vec<CannedAnswer>,
}

/// One canned response created, changed or read.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OneCanned {
    pub canned_response: CannedAnswer,
}

/// A canned response was deleted.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CannedDeleted {
    pub id: String,
}

/// One audit event; `detail` is free-form JSON recorded with the action.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    pub id: i64,
    pub at: Timestamp,
    pub agent_id: Option<String>,
    pub agent_name: Option<String>,
    pub action: String,
    pub session_id: Option<String>,
    pub detail: Option<Value>,
}

impl From<AuditEvent> for AuditEntry {
    fn from(e: AuditEvent) -> Self {
        AuditEntry {
            id: e.seq,
            at: e.at,
            agent_id: e.agent_id,
            agent_name: e.agent_name,
            action: e.action,
            session_id: e.session_id,
            detail: e.detail,
        }
    }
}

/// `GET /api/admin/audit`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AuditAnswer {
    pub events: Vec<AuditEntry>,
    pub pagination: EventsPage,
}
