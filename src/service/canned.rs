//! Canned responses: reusable replies with a shortcut (`/refund`). Every agent can read them;
//! chat admins and super admins manage them.

use serde_json::json;

use super::{AgentPrincipal, Services};
use crate::domain::Permission;
use crate::domain::text::required_text;
use crate::error::{Error, Result};
use crate::store::canned::{self, CannedFields, CannedRow};
use crate::store::{audit, is_unique_violation};

pub const MAX_TITLE_CHARS: usize = 100;
pub const MAX_SHORTCUT_CHARS: usize = 32;
pub const MAX_TEXT_CHARS: usize = 2000;

/// A canned response's fields, validated.
pub struct CannedInput {
    title: String,
    shortcut: String,
    text: String,
}

impl CannedInput {
    pub fn new(title: &str, shortcut: &str, text: &str) -> Result<Self> {
        let shortcut = required_text("shortcut", shortcut, MAX_SHORTCUT_CHARS)?;
        let bare = shortcut.trim_start_matches('/');
        if bare.is_empty()
            || !bare
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
        {
            return Err(Error::validation(
                "shortcut",
                "shortcut may contain only letters, digits, '-' and '_' (a leading '/' is optional)",
            ));
        }
        Ok(CannedInput {
            title: required_text("title", title, MAX_TITLE_CHARS)?,
            shortcut: format!("/{bare}"),
            text: required_text("text", text, MAX_TEXT_CHARS)?,
        })
    }

    fn fields(&self) -> CannedFields<'_> {
        CannedFields {
            title: &self.title,
            shortcut: &self.shortcut,
            body: &self.text,
        }
    }
}

fn shortcut_conflict(e: rusqlite::Error) -> Error {
    if is_unique_violation(&e) {
        Error::Conflict("Another canned response already uses this shortcut".into())
    } else {
        e.into()
    }
}

pub async fn list(ctx: &Services, actor: &AgentPrincipal) -> Result<Vec<CannedRow>> {
    actor.require(Permission::ViewChats)?;
    ctx.store.read(canned::list).await
}

pub async fn get(ctx: &Services, actor: &AgentPrincipal, id: &str) -> Result<CannedRow> {
    actor.require(Permission::ViewChats)?;
    let id = id.to_string();
    ctx.store
        .read(move |conn| canned::get(conn, &id))
        .await?
        .ok_or(Error::NotFound("Canned response"))
}

pub async fn create(
    ctx: &Services,
    actor: &AgentPrincipal,
    input: CannedInput,
) -> Result<CannedRow> {
    actor.require(Permission::ManageCannedResponses)?;
    let (actor_id, now) = (actor.id.clone(), ctx.clock.now());
    ctx.store
        .write(move |conn| {
            let id = crate::domain::ids::generate("canned", now.0);
            canned::insert(conn, &id, &input.fields(), &actor_id, now)
                .map_err(shortcut_conflict)?;
            audit::record(
                conn,
                now,
                Some(&actor_id),
                "canned_create",
                None,
                Some(&json!({"cannedId": id})),
            )?;
            canned::get(conn, &id)?.ok_or(Error::NotFound("Canned response"))
        })
        .await
}

pub async fn update(
    ctx: &Services,
    actor: &AgentPrincipal,
    id: &str,
    input: CannedInput,
) -> Result<CannedRow> {
    actor.require(Permission::ManageCannedResponses)?;
    let (id, actor_id, now) = (id.to_string(), actor.id.clone(), ctx.clock.now());
    ctx.store
        .write(move |conn| {
            if !canned::update(conn, &id, &input.fields(), now).map_err(shortcut_conflict)? {
                return Err(Error::NotFound("Canned response"));
            }
            audit::record(
                conn,
                now,
                Some(&actor_id),
                "canned_update",
                None,
                Some(&json!({"cannedId": id})),
            )?;
            canned::get(conn, &id)?.ok_or(Error::NotFound("Canned response"))
        })
        .await
}

pub async fn delete(ctx: &Services, actor: &AgentPrincipal, id: &str) -> Result<()> {
    actor.require(Permission::ManageCannedResponses)?;
    let (id, actor_id, now) = (id.to_string(), actor.id.clone(), ctx.clock.now());
    ctx.store
        .write(move |conn| {
            if !canned::delete(conn, &id)? {
                return Err(Error::NotFound("Canned response"));
            }
            audit::record(
                conn,
                now,
                Some(&actor_id),
                "canned_delete",
                None,
                Some(&json!({"cannedId": id})),
            )
        })
        .await
}
