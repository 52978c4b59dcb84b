//! Managing agent accounts: listing, creating, changing, disabling, resetting passwords.

use super::presence::announce;
use super::principal::AgentPrincipal;
use super::view::AgentView;
use crate::auth::password;
use crate::domain::agent::{Agent, AgentChange, NewAgent};
use crate::domain::text::{optional_text, required_text};
use crate::domain::{Permission, Role};
use crate::error::{Error, Result};
use crate::realtime::DashboardEvent;
use crate::service::{Services, blocking};

pub const MAX_EMAIL_CHARS: usize = 254;
pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_DEPARTMENT_CHARS: usize = 100;
pub const MAX_CAPACITY: i64 = 1000;
pub const DEFAULT_CAPACITY: i64 = 5;

/// Every agent with their load; agents who may transfer chats need the names.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"), fields(agent_id = %actor.id))]
pub async fn list(ctx: &Services, actor: &AgentPrincipal) -> Result<Vec<AgentView>> {
    actor.require(Permission::ViewChats)?;
    list_all(ctx).await
}

/// Every agent (also used by the command line, which has no principal).
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn list_all(ctx: &Services) -> Result<Vec<AgentView>> {
    let now = ctx.clock.now();
    let loads = ctx.store.agents().await?;
    Ok(loads.into_iter().map(|l| AgentView::at(l, now)).collect())
}

/// One agent; anyone may read themselves, others need `ManageAgents`.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"), fields(agent_id = %actor.id, id = %id))]
pub async fn get(ctx: &Services, actor: &AgentPrincipal, id: &str) -> Result<AgentView> {
    if actor.id != id {
        actor.require(Permission::ManageAgents)?;
    }
    let load = ctx.store.agent(id).await?.ok_or(Error::NotFound("Agent"))?;
    Ok(AgentView::at(load, ctx.clock.now()))
}

/// A new agent's details, not yet validated.
#[derive(Debug, Default)]
pub struct NewAgentInput {
    pub email: String,
    pub name: String,
    pub role: String,
    pub password: String,
    pub department: Option<String>,
    pub max_concurrent_chats: Option<i64>,
}

fn valid_email(raw: &str) -> Result<String> {
    let email = required_text("email", raw, MAX_EMAIL_CHARS)?;
    let (local, domain) = email.split_once('@').unwrap_or(("", ""));
    if local.is_empty() || domain.is_empty() || email.chars().any(char::is_whitespace) {
        return Err(Error::validation(
            "email",
            "email must look like name@example.com",
        ));
    }
    Ok(email)
}

fn valid_role(raw: &str) -> Result<Role> {
    Role::parse(raw).ok_or_else(|| {
        Error::validation(
            "role",
            "role must be super_admin, chat_admin or support_admin",
        )
    })
}

fn valid_capacity(value: i64) -> Result<i64> {
    if (0..=MAX_CAPACITY).contains(&value) {
        Ok(value)
    } else {
        Err(Error::validation(
            "maxConcurrentChats",
            format!("maxConcurrentChats must be between 0 and {MAX_CAPACITY}"),
        ))
    }
}

/// Validates a new agent and hashes their password (off the runtime).
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn prepare_new_agent(ctx: &Services, input: NewAgentInput) -> Result<NewAgent> {
    let email = valid_email(&input.email)?;
    let name = required_text("name", &input.name, MAX_NAME_CHARS)?;
    let role = valid_role(&input.role)?;
    let department = optional_text(
        "department",
        input.department.as_deref(),
        MAX_DEPARTMENT_CHARS,
    )?;
    let capacity = valid_capacity(input.max_concurrent_chats.unwrap_or(DEFAULT_CAPACITY))?;
    password::check_policy(&input.password)?;
    let given = input.password;
    let password_hash = blocking(move || password::hash(&given)).await??;
    Ok(NewAgent {
        id: crate::domain::ids::generate("agt", ctx.clock.now().0),
        email,
        name,
        department,
        role,
        password_hash,
        max_concurrent_chats: capacity,
    })
}

/// Creates an agent. `actor` is `None` for the command line.
#[tracing::instrument(level = "debug", 
    skip_all,
    err(level = "debug"),
    fields(actor_id = actor.map(|a| a.id.as_str()))
)]
pub async fn create(
    ctx: &Services,
    actor: Option<&AgentPrincipal>,
    input: NewAgentInput,
) -> Result<AgentView> {
    if let Some(actor) = actor {
        actor.require(Permission::ManageAgents)?;
    }
    let agent = prepare_new_agent(ctx, input).await?;
    let now = ctx.clock.now();
    let load = ctx
        .store
        .create_agent(agent, actor.map(|a| a.id.as_str()), now)
        .await?;
    Ok(AgentView::at(load, now))
}

/// Changes to an agent; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct AgentPatch {
    pub name: Option<String>,
    /// `Some(None)` clears the department.
    pub department: Option<Option<String>>,
    pub role: Option<String>,
    pub max_concurrent_chats: Option<i64>,
    pub password: Option<String>,
}

/// Changes an agent; the last enabled super admin cannot be demoted.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"), fields(agent_id = %actor.id, id = %id))]
pub async fn update(
    ctx: &Services,
    actor: &AgentPrincipal,
    id: &str,
    patch: AgentPatch,
) -> Result<AgentView> {
    actor.require(Permission::ManageAgents)?;
    let name = patch
        .name
        .as_deref()
        .map(|n| required_text("name", n, MAX_NAME_CHARS))
        .transpose()?;
    let department = patch
        .department
        .map(|d| optional_text("department", d.as_deref(), MAX_DEPARTMENT_CHARS))
        .transpose()?;
    let role = patch.role.as_deref().map(valid_role).transpose()?;
    let max_concurrent_chats = patch.max_concurrent_chats.map(valid_capacity).transpose()?;
    let password_hash = match patch.password {
        Some(given) => {
            password::check_policy(&given)?;
            Some(blocking(move || password::hash(&given)).await??)
        }
        None => None,
    };
    let change = AgentChange {
        name,
        department,
        role,
        max_concurrent_chats,
        password_hash,
    };
    let affects_assignment = change.affects_assignment();
    let now = ctx.clock.now();
    let load = ctx.store.update_agent(id, change, &actor.id, now).await?;
    if affects_assignment {
        announce(ctx);
    } else {
        ctx.bus.publish(DashboardEvent::QueueChanged);
    }
    Ok(AgentView::at(load, now))
}

/// Disables an agent: their tokens and dashboard sessions stop working at once, and their
/// chats go back to the queue. History stays attributed to them. The last enabled super admin
/// cannot be disabled, and nobody can disable themselves.
#[tracing::instrument(level = "debug", 
    skip_all,
    err(level = "debug"),
    fields(actor_id = actor.map(|a| a.id.as_str()), id = %id)
)]
pub async fn disable(
    ctx: &Services,
    actor: Option<&AgentPrincipal>,
    id: &str,
) -> Result<AgentView> {
    if let Some(actor) = actor {
        actor.require(Permission::ManageAgents)?;
        if actor.id == id {
            return Err(Error::Conflict(
                "You cannot disable your own account".into(),
            ));
        }
    }
    let now = ctx.clock.now();
    let disabled = ctx
        .store
        .disable_agent(id, actor.map(|a| a.id.as_str()), now)
        .await?;
    for session_id in disabled.released_sessions {
        ctx.bus
            .publish(DashboardEvent::SessionDetails(session_id.into()));
    }
    announce(ctx);
    Ok(AgentView::at(disabled.agent, now))
}

/// Looks an agent up by email (command line).
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn find_by_email(ctx: &Services, email: &str) -> Result<Agent> {
    ctx.store
        .agent_credentials(email.trim())
        .await?
        .map(|c| c.agent)
        .ok_or(Error::NotFound("Agent"))
}

/// Replaces an agent's password (command line); every token and session of theirs ends.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"), fields(id = %id))]
pub async fn set_password(ctx: &Services, id: &str, new_password: String) -> Result<()> {
    password::check_policy(&new_password)?;
    let hash = blocking(move || password::hash(&new_password)).await??;
    ctx.store
        .set_agent_password(id, &hash, ctx.clock.now())
        .await
}
