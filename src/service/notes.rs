//! Internal notes on a chat: for agents only, never part of anything a user can read.

use serde_json::json;

use super::{AgentPrincipal, Services};
use crate::domain::Permission;
use crate::domain::text::required_text;
use crate::error::{Error, Result};
use crate::realtime::DashboardEvent;
use crate::store::notes::{self, NoteRow};
use crate::store::{audit, sessions};

pub const MAX_NOTE_CHARS: usize = 2000;

pub async fn add(
    ctx: &Services,
    actor: &AgentPrincipal,
    session_id: &str,
    text: &str,
) -> Result<NoteRow> {
    actor.require(Permission::WriteNotes)?;
    let body = required_text("note", text, MAX_NOTE_CHARS)?;
    let (sid, actor_id, actor_name, now) = (
        session_id.to_string(),
        actor.id.clone(),
        actor.name.clone(),
        ctx.clock.now(),
    );
    let note = ctx
        .store
        .write(move |conn| {
            sessions::get(conn, &sid)?.ok_or(Error::SessionNotFound)?;
            let id = crate::domain::ids::generate("note", now.0);
            notes::insert(conn, &id, &sid, &actor_id, &body, now)?;
            audit::record(
                conn,
                now,
                Some(&actor_id),
                "note",
                Some(&sid),
                Some(&json!({"noteId": id})),
            )?;
            Ok(NoteRow {
                id,
                session_id: sid,
                agent_id: actor_id,
                agent_name: Some(actor_name),
                body,
                created_at: now,
            })
        })
        .await?;
    ctx.bus
        .publish(DashboardEvent::SessionDetails(session_id.into()));
    Ok(note)
}
