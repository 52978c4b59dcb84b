//! Internal notes on a chat: for agents only, never part of anything a user can read.

use super::{AgentPrincipal, Services};
use crate::domain::Permission;
use crate::domain::note::Note;
use crate::domain::text::required_text;
use crate::error::Result;
use crate::realtime::DashboardEvent;

pub const MAX_NOTE_CHARS: usize = 2000;

/// Adds an internal note to a chat.
#[tracing::instrument(level = "debug", 
    skip_all,
    err(level = "debug"),
    fields(agent_id = %actor.id, session_id = %session_id)
)]
pub async fn add(
    ctx: &Services,
    actor: &AgentPrincipal,
    session_id: &str,
    text: &str,
) -> Result<Note> {
    actor.require(Permission::WriteNotes)?;
    let body = required_text("note", text, MAX_NOTE_CHARS)?;
    let now = ctx.clock.now();
    let note = ctx
        .store
        .add_note(
            session_id.to_string(),
            actor.id.clone(),
            crate::domain::ids::generate("note", now.0),
            body,
            now,
        )
        .await?;
    ctx.bus
        .publish(DashboardEvent::SessionDetails(session_id.into()));
    Ok(note)
}
