//! Personas: named identities a chat can be started with and agents can reply as.

use serde_json::json;

use super::{AgentPrincipal, Services};
use crate::domain::Permission;
use crate::domain::text::{optional_text, required_text};
use crate::error::{Error, Result};
use crate::store::audit;
use crate::store::personas::{self, PersonaFields, PersonaRow};

pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_BIO_CHARS: usize = 1000;
pub const MAX_AVATAR_URL_CHARS: usize = 2048;

/// A persona's fields, validated.
pub struct PersonaInput {
    name: String,
    bio: Option<String>,
    avatar_url: Option<String>,
}

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
        Ok(PersonaInput {
            name: required_text("name", name, MAX_NAME_CHARS)?,
            bio: optional_text("bio", bio, MAX_BIO_CHARS)?,
            avatar_url,
        })
    }

    fn fields(&self) -> PersonaFields<'_> {
        PersonaFields {
            name: &self.name,
            bio: self.bio.as_deref(),
            avatar_url: self.avatar_url.as_deref(),
        }
    }
}

/// Personas users can choose from (also what agents see).
pub async fn list_public(ctx: &Services) -> Result<Vec<PersonaRow>> {
    ctx.store.read(personas::list).await
}

pub async fn list(ctx: &Services, actor: &AgentPrincipal) -> Result<Vec<PersonaRow>> {
    actor.require(Permission::ViewChats)?;
    list_public(ctx).await
}

pub async fn get(ctx: &Services, actor: &AgentPrincipal, id: &str) -> Result<PersonaRow> {
    actor.require(Permission::ViewChats)?;
    let id = id.to_string();
    match ctx.store.read(move |conn| personas::get(conn, &id)).await? {
        Some(p) if !p.deleted => Ok(p),
        _ => Err(Error::NotFound("Persona")),
    }
}

pub async fn create(
    ctx: &Services,
    actor: &AgentPrincipal,
    input: PersonaInput,
) -> Result<PersonaRow> {
    actor.require(Permission::ManagePersonas)?;
    let (actor_id, now) = (actor.id.clone(), ctx.clock.now());
    ctx.store
        .write(move |conn| {
            let id = crate::domain::ids::generate("persona", now.0);
            personas::insert(conn, &id, &input.fields(), now)?;
            audit::record(
                conn,
                now,
                Some(&actor_id),
                "persona_create",
                None,
                Some(&json!({"personaId": id})),
            )?;
            personas::get(conn, &id)?.ok_or(Error::NotFound("Persona"))
        })
        .await
}

pub async fn update(
    ctx: &Services,
    actor: &AgentPrincipal,
    id: &str,
    input: PersonaInput,
) -> Result<PersonaRow> {
    actor.require(Permission::ManagePersonas)?;
    let (id, actor_id, now) = (id.to_string(), actor.id.clone(), ctx.clock.now());
    ctx.store
        .write(move |conn| {
            if !personas::update(conn, &id, &input.fields(), now)? {
                return Err(Error::NotFound("Persona"));
            }
            audit::record(
                conn,
                now,
                Some(&actor_id),
                "persona_update",
                None,
                Some(&json!({"personaId": id})),
            )?;
            personas::get(conn, &id)?.ok_or(Error::NotFound("Persona"))
        })
        .await
}

/// Hides a persona from new chats; chats that used it keep showing its name.
pub async fn delete(ctx: &Services, actor: &AgentPrincipal, id: &str) -> Result<()> {
    actor.require(Permission::ManagePersonas)?;
    let (id, actor_id, now) = (id.to_string(), actor.id.clone(), ctx.clock.now());
    ctx.store
        .write(move |conn| {
            if !personas::soft_delete(conn, &id, now)? {
                return Err(Error::NotFound("Persona"));
            }
            audit::record(
                conn,
                now,
                Some(&actor_id),
                "persona_delete",
                None,
                Some(&json!({"personaId": id})),
            )
        })
        .await
}
