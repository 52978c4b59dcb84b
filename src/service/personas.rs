//! Personas: named identities a chat can be started with and agents can reply as.

use super::{AgentPrincipal, Services};
use crate::domain::Permission;
use crate::domain::persona::{Persona, PersonaFields};
use crate::domain::text::{optional_text, required_text};
use crate::error::{Error, Result};

pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_BIO_CHARS: usize = 1000;
pub const MAX_AVATAR_URL_CHARS: usize = 2048;

/// A persona's fields, validated.
pub struct PersonaInput(PersonaFields);

impl PersonaInput {
    pub fn new(name: &str, bio: Option<&str>, avatar_url: Option<&str>) -> Result<Self> {
        let avatar_url = optional_text("avatarUrl", avatar_url, MAX_AVATAR_URL_CHARS)?;
        if let Some(url) = &avatar_url
            && !(url.starts_with("https://") || url.starts_with("http://"))
        {
            return Err(Error::validation(
                "avatarUrl",
                "avatarUrl must be an http(s) URL",
            ));
        }
        Ok(PersonaInput(PersonaFields {
            name: required_text("name", name, MAX_NAME_CHARS)?,
            bio: optional_text("bio", bio, MAX_BIO_CHARS)?,
            avatar_url,
        }))
    }
}

/// Personas users can choose from (also what agents see).
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn list_public(ctx: &Services) -> Result<Vec<Persona>> {
    ctx.store.personas().await
}

#[tracing::instrument(level = "debug", skip_all, err(level = "debug"), fields(agent_id = %actor.id))]
pub async fn list(ctx: &Services, actor: &AgentPrincipal) -> Result<Vec<Persona>> {
    actor.require(Permission::ViewChats)?;
    list_public(ctx).await
}

#[tracing::instrument(level = "debug", skip_all, err(level = "debug"), fields(agent_id = %actor.id, id = %id))]
pub async fn get(ctx: &Services, actor: &AgentPrincipal, id: &str) -> Result<Persona> {
    actor.require(Permission::ViewChats)?;
    match ctx.store.persona(id).await? {
        Some(p) if !p.deleted => Ok(p),
        _ => Err(Error::NotFound("Persona")),
    }
}

#[tracing::instrument(level = "debug", skip_all, err(level = "debug"), fields(agent_id = %actor.id))]
pub async fn create(
    ctx: &Services,
    actor: &AgentPrincipal,
    input: PersonaInput,
) -> Result<Persona> {
    actor.require(Permission::ManagePersonas)?;
    let now = ctx.clock.now();
    let id = crate::domain::ids::generate("persona", now.0);
    ctx.store.create_persona(&id, input.0, &actor.id, now).await
}

#[tracing::instrument(level = "debug", skip_all, err(level = "debug"), fields(agent_id = %actor.id, id = %id))]
pub async fn update(
    ctx: &Services,
    actor: &AgentPrincipal,
    id: &str,
    input: PersonaInput,
) -> Result<Persona> {
    actor.require(Permission::ManagePersonas)?;
    ctx.store
        .update_persona(id, input.0, &actor.id, ctx.clock.now())
        .await
}

/// Hides a persona from new chats; chats that used it keep showing its name.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"), fields(agent_id = %actor.id, id = %id))]
pub async fn delete(ctx: &Services, actor: &AgentPrincipal, id: &str) -> Result<()> {
    actor.require(Permission::ManagePersonas)?;
    ctx.store
        .delete_persona(id, &actor.id, ctx.clock.now())
        .await
}
