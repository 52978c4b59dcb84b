//! Canned responses: reusable replies with a shortcut (`/refund`). Every agent can read them;
//! chat admins and super admins manage them.

use super::{AgentPrincipal, Services};
use crate::domain::Permission;
use crate::domain::canned::{CannedFields, CannedResponse};
use crate::domain::text::required_text;
use crate::error::{Error, Result};

pub const MAX_TITLE_CHARS: usize = 100;
pub const MAX_SHORTCUT_CHARS: usize = 32;
pub const MAX_TEXT_CHARS: usize = 2000;

/// A canned response's fields, validated.
pub struct CannedInput(CannedFields);

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
        Ok(CannedInput(CannedFields {
            title: required_text("title", title, MAX_TITLE_CHARS)?,
            shortcut: format!("/{bare}"),
            body: required_text("text", text, MAX_TEXT_CHARS)?,
        }))
    }
}

#[tracing::instrument(level = "debug", skip_all, err(level = "debug"), fields(agent_id = %actor.id))]
pub async fn list(ctx: &Services, actor: &AgentPrincipal) -> Result<Vec<CannedResponse>> {
    actor.require(Permission::ViewChats)?;
    ctx.store.canned_responses().await
}

#[tracing::instrument(level = "debug", skip_all, err(level = "debug"), fields(agent_id = %actor.id, id = %id))]
pub async fn get(ctx: &Services, actor: &AgentPrincipal, id: &str) -> Result<CannedResponse> {
    actor.require(Permission::ViewChats)?;
    ctx.store
        .canned_response(id)
        .await?
        .ok_or(Error::NotFound("Canned response"))
}

/// Creates a canned response; a shortcut already in use is a conflict.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"), fields(agent_id = %actor.id))]
pub async fn create(
    ctx: &Services,
    actor: &AgentPrincipal,
    input: CannedInput,
) -> Result<CannedResponse> {
    actor.require(Permission::ManageCannedResponses)?;
    let now = ctx.clock.now();
    let id = crate::domain::ids::generate("canned", now.0);
    ctx.store
        .create_canned_response(&id, input.0, &actor.id, now)
        .await
}

#[tracing::instrument(level = "debug", skip_all, err(level = "debug"), fields(agent_id = %actor.id, id = %id))]
pub async fn update(
    ctx: &Services,
    actor: &AgentPrincipal,
    id: &str,
    input: CannedInput,
) -> Result<CannedResponse> {
    actor.require(Permission::ManageCannedResponses)?;
    ctx.store
        .update_canned_response(id, input.0, &actor.id, ctx.clock.now())
        .await
}

#[tracing::instrument(level = "debug", skip_all, err(level = "debug"), fields(agent_id = %actor.id, id = %id))]
pub async fn delete(ctx: &Services, actor: &AgentPrincipal, id: &str) -> Result<()> {
    actor.require(Permission::ManageCannedResponses)?;
    ctx.store
        .delete_canned_response(id, &actor.id, ctx.clock.now())
        .await
}
