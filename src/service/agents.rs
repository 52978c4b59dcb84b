//! Agents: signing in, knowing who is calling, and managing accounts.

use std::net::IpAddr;

use serde_json::json;

use super::{Services, blocking};
use crate::auth::throttle::{PER_ADDRESS, PER_EMAIL, Verdict};
use crate::auth::{AgentClaims, password};
use crate::domain::text::{optional_text, required_text};
use crate::domain::{Permission, Role, Timestamp};
use crate::error::{Error, Result};
use crate::realtime::DashboardEvent;
use crate::store::agents::{self, AgentRow, AgentUpdate, NewAgent};
use crate::store::{audit, is_unique_violation, sessions};

/// An agent not seen for this long counts as offline, whatever their status says.
pub const ONLINE_WINDOW_MS: i64 = 120_000;
/// How stale `last_seen_at` may get before a request refreshes it (saves a write per call).
const TOUCH_EVERY_MS: i64 = 30_000;
pub const MAX_EMAIL_CHARS: usize = 254;
pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_DEPARTMENT_CHARS: usize = 100;
pub const MAX_CAPACITY: i64 = 1000;
pub const DEFAULT_CAPACITY: i64 = 5;

/// The agent making a request.
#[derive(Clone, Debug)]
pub struct AgentPrincipal {
    pub id: String,
    pub email: String,
    pub name: String,
    pub department: Option<String>,
    pub role: Role,
}

impl AgentPrincipal {
    pub fn require(&self, permission: Permission) -> Result<()> {
        if self.role.can(permission) {
            Ok(())
        } else {
            Err(Error::Forbidden("Your role does not allow this"))
        }
    }

    fn from_row(row: &AgentRow) -> Self {
        AgentPrincipal {
            id: row.id.clone(),
            email: row.email.clone(),
            name: row.name.clone(),
            department: row.department.clone(),
            role: row.role,
        }
    }
}

/// An agent with their current load, as lists and the login answer show them.
#[derive(Clone, Debug)]
pub struct AgentView {
    pub row: AgentRow,
    pub active_chats: i64,
    pub online: bool,
}

/// Resolves an agent bearer token: valid signature, enabled agent, current token version.
pub async fn authenticate_token(ctx: &Services, token: &str) -> Result<AgentPrincipal> {
    authenticate_claims(ctx, &ctx.agent_tokens.verify(token)?).await
}

/// The agent a verified token names, if still enabled and the token not revoked.
pub async fn authenticate_claims(ctx: &Services, claims: &AgentClaims) -> Result<AgentPrincipal> {
    let row = load_enabled(ctx, &claims.sub).await?;
    if row.token_version != claims.ver {
        return Err(Error::Unauthenticated(
            "This token was revoked; sign in again",
        ));
    }
    principal_seen(ctx, &row).await
}

/// The principal for an agent id (dashboard sessions), if the agent is still enabled.
pub async fn authenticate_id(ctx: &Services, agent_id: &str) -> Result<AgentPrincipal> {
    let row = load_enabled(ctx, agent_id).await?;
    principal_seen(ctx, &row).await
}

async fn load_enabled(ctx: &Services, agent_id: &str) -> Result<AgentRow> {
    let id = agent_id.to_string();
    match ctx.store.read(move |conn| agents::get(conn, &id)).await? {
        Some(row) if !row.disabled => Ok(row),
        _ => Err(Error::Unauthenticated(
            "This account is disabled or no longer exists",
        )),
    }
}

/// Builds the principal and refreshes `last_seen_at` when it is getting stale (before
/// answering, so that this very request sees its agent as online).
async fn principal_seen(ctx: &Services, row: &AgentRow) -> Result<AgentPrincipal> {
    let now = ctx.clock.now();
    if row
        .last_seen_at
        .is_none_or(|seen| now.0 - seen.0 > TOUCH_EVERY_MS)
    {
        let id = row.id.clone();
        ctx.store
            .write(move |conn| agents::touch(conn, &id, now))
            .await?;
    }
    Ok(AgentPrincipal::from_row(row))
}

/// Checks an email and password with throttling; the same answer, in about the same time, for
/// an unknown email, a wrong password and a disabled account.
pub async fn verify_credentials(
    ctx: &Services,
    email: &str,
    password: &str,
    addr: Option<IpAddr>,
) -> Result<AgentRow> {
    let email_key = format!("email:{}", email.trim().to_lowercase());
    let addr_key = addr.map(|a| format!("addr:{a}"));
    let mut keys = vec![(email_key.as_str(), PER_EMAIL)];
    if let Some(k) = &addr_key {
        keys.push((k.as_str(), PER_ADDRESS));
    }
    match ctx.login_throttle.check(&keys) {
        Verdict::Refuse { retry_after } => return Err(Error::RateLimited { retry_after }),
        Verdict::Proceed { delay } if !delay.is_zero() => tokio::time::sleep(delay).await,
        Verdict::Proceed { .. } => {}
    }
    let lookup = email.trim().to_string();
    let row = if lookup.is_empty() || lookup.len() > MAX_EMAIL_CHARS {
        None
    } else {
        ctx.store
            .read(move |conn| agents::by_email(conn, &lookup))
            .await?
    };
    let stored = row.as_ref().map(|r| r.password_hash.clone());
    let given = password.to_string();
    let matches = blocking(move || password::verify(&given, stored.as_deref())).await?;
    match row {
        Some(row) if matches && !row.disabled => {
            ctx.login_throttle.record_success(&email_key);
            Ok(row)
        }
        _ => {
            ctx.login_throttle.record_failure(&keys);
            Err(Error::Unauthenticated("Invalid email or password"))
        }
    }
}

/// API login: checks credentials, marks the agent online and issues a bearer token.
pub async fn login(
    ctx: &Services,
    email: &str,
    password: &str,
    addr: Option<IpAddr>,
) -> Result<(String, AgentView)> {
    let row = verify_credentials(ctx, email, password, addr).await?;
    let token = ctx.agent_tokens.issue(&row.id, row.token_version)?;
    let view = mark_signed_in(ctx, &row, "login").await?;
    Ok((token, view))
}

/// Marks an agent online after signing in and records it in the audit log.
pub async fn mark_signed_in(
    ctx: &Services,
    row: &AgentRow,
    how: &'static str,
) -> Result<AgentView> {
    let now = ctx.clock.now();
    let id = row.id.clone();
    let view = ctx
        .store
        .write(move |conn| {
            agents::set_online(conn, &id, true, now)?;
            audit::record(conn, now, Some(&id), how, None, None)?;
            let row = agents::get(conn, &id)?.ok_or(Error::NotFound("Agent"))?;
            let active_chats = sessions::count_assigned(conn, &id)?;
            Ok(AgentView {
                online: row.effectively_online(now, ONLINE_WINDOW_MS),
                row,
                active_chats,
            })
        })
        .await?;
    ctx.bus.publish(DashboardEvent::QueueChanged);
    super::auto_assign::nudge_all(ctx);
    Ok(view)
}

/// Sets the caller's own online flag.
pub async fn set_status(ctx: &Services, actor: &AgentPrincipal, online: bool) -> Result<AgentView> {
    let now = ctx.clock.now();
    let id = actor.id.clone();
    let view = ctx
        .store
        .write(move |conn| {
            agents::set_online(conn, &id, online, now)?;
            audit::record(
                conn,
                now,
                Some(&id),
                if online {
                    "status_online"
                } else {
                    "status_offline"
                },
                None,
                None,
            )?;
            view_in(conn, &id, now)
        })
        .await?;
    ctx.bus.publish(DashboardEvent::QueueChanged);
    if online {
        super::auto_assign::nudge_all(ctx);
    }
    Ok(view)
}

fn view_in(conn: &rusqlite::Connection, id: &str, now: Timestamp) -> Result<AgentView> {
    let row = agents::get(conn, id)?.ok_or(Error::NotFound("Agent"))?;
    let active_chats = sessions::count_assigned(conn, id)?;
    Ok(AgentView {
        online: row.effectively_online(now, ONLINE_WINDOW_MS),
        row,
        active_chats,
    })
}

/// Every agent with their load; agents who may transfer chats need the names.
pub async fn list(ctx: &Services, actor: &AgentPrincipal) -> Result<Vec<AgentView>> {
    actor.require(Permission::ViewChats)?;
    list_all(ctx).await
}

/// Every agent (also used by the command line, which has no principal).
pub async fn list_all(ctx: &Services) -> Result<Vec<AgentView>> {
    let now = ctx.clock.now();
    ctx.store
        .read(move |conn| {
            agents::list(conn)?
                .into_iter()
                .map(|row| {
                    let active_chats = sessions::count_assigned(conn, &row.id)?;
                    Ok(AgentView {
                        online: row.effectively_online(now, ONLINE_WINDOW_MS),
                        row,
                        active_chats,
                    })
                })
                .collect()
        })
        .await
}

pub async fn get(ctx: &Services, actor: &AgentPrincipal, id: &str) -> Result<AgentView> {
    if actor.id != id {
        actor.require(Permission::ManageAgents)?;
    }
    let (id, now) = (id.to_string(), ctx.clock.now());
    ctx.store.read(move |conn| view_in(conn, &id, now)).await
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

/// Creates an agent. `actor` is `None` for the command line and first-run setup.
pub async fn create(
    ctx: &Services,
    actor: Option<&AgentPrincipal>,
    input: NewAgentInput,
) -> Result<AgentView> {
    if let Some(actor) = actor {
        actor.require(Permission::ManageAgents)?;
    }
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
    let hash = blocking(move || password::hash(&given)).await??;
    let now = ctx.clock.now();
    let actor_id = actor.map(|a| a.id.clone());
    ctx.store
        .write(move |conn| {
            let id = crate::domain::ids::generate("agt", now.0);
            agents::insert(
                conn,
                &NewAgent {
                    id: &id,
                    email: &email,
                    name: &name,
                    department: department.as_deref(),
                    role,
                    password_hash: &hash,
                    max_concurrent_chats: capacity,
                    at: now,
                },
            )
            .map_err(|e| {
                if is_unique_violation(&e) {
                    Error::Conflict("An agent with this email already exists".into())
                } else {
                    e.into()
                }
            })?;
            audit::record(
                conn,
                now,
                actor_id.as_deref(),
                "agent_create",
                None,
                Some(&json!({"agentId": id, "email": email, "role": role.as_str()})),
            )?;
            view_in(conn, &id, now)
        })
        .await
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
    let capacity = patch.max_concurrent_chats.map(valid_capacity).transpose()?;
    let hash = match patch.password {
        Some(given) => {
            password::check_policy(&given)?;
            Some(blocking(move || password::hash(&given)).await??)
        }
        None => None,
    };
    let (id, actor_id, now) = (id.to_string(), actor.id.clone(), ctx.clock.now());
    let view = ctx
        .store
        .write(move |conn| {
            let row = agents::get(conn, &id)?.ok_or(Error::NotFound("Agent"))?;
            let new_role = role.unwrap_or(row.role);
            if row.role == Role::SuperAdmin && new_role != Role::SuperAdmin {
                ensure_another_super_admin(conn, &row.id)?;
            }
            agents::update(
                conn,
                &id,
                &AgentUpdate {
                    name: name.as_deref().unwrap_or(&row.name),
                    department: match &department {
                        Some(d) => d.as_deref(),
                        None => row.department.as_deref(),
                    },
                    role: new_role,
                    max_concurrent_chats: capacity.unwrap_or(row.max_concurrent_chats),
                    at: now,
                },
            )?;
            if let Some(hash) = &hash {
                agents::set_password(conn, &id, hash, now)?;
            }
            audit::record(
                conn,
                now,
                Some(&actor_id),
                "agent_update",
                None,
                Some(&json!({"agentId": id, "role": new_role.as_str(), "passwordChanged": hash.is_some()})),
            )?;
            view_in(conn, &id, now)
        })
        .await?;
    ctx.bus.publish(DashboardEvent::QueueChanged);
    Ok(view)
}

fn ensure_another_super_admin(conn: &rusqlite::Connection, except: &str) -> Result<()> {
    let others = agents::list(conn)?
        .iter()
        .filter(|a| a.role == Role::SuperAdmin && !a.disabled && a.id != except)
        .count();
    if others == 0 {
        return Err(Error::Conflict(
            "This is the last super admin; appoint another first".into(),
        ));
    }
    Ok(())
}

/// Disables an agent: their tokens and dashboard sessions stop working at once, and their
/// chats go back to the queue. History stays attributed to them.
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
    let (id, actor_id, now) = (id.to_string(), actor.map(|a| a.id.clone()), ctx.clock.now());
    let (view, released) = ctx
        .store
        .write(move |conn| {
            let row = agents::get(conn, &id)?.ok_or(Error::NotFound("Agent"))?;
            if row.role == Role::SuperAdmin && !row.disabled {
                ensure_another_super_admin(conn, &id)?;
            }
            agents::disable(conn, &id, now)?;
            crate::store::dashboard_sessions::delete_for_agent(conn, &id)?;
            let released = super::assignment::release_all_in_tx(conn, &id, now)?;
            audit::record(
                conn,
                now,
                actor_id.as_deref(),
                "agent_disable",
                None,
                Some(&json!({"agentId": id})),
            )?;
            Ok((view_in(conn, &id, now)?, released))
        })
        .await?;
    for session_id in released {
        ctx.bus
            .publish(DashboardEvent::SessionDetails(session_id.into()));
    }
    ctx.bus.publish(DashboardEvent::QueueChanged);
    super::auto_assign::nudge_all(ctx);
    Ok(view)
}

/// Looks an agent up by email (command line).
pub async fn find_by_email(ctx: &Services, email: &str) -> Result<AgentRow> {
    let email = email.trim().to_string();
    ctx.store
        .read(move |conn| agents::by_email(conn, &email))
        .await?
        .ok_or(Error::NotFound("Agent"))
}

/// Replaces an agent's password (command line); every token and session of theirs ends.
pub async fn set_password(ctx: &Services, id: &str, new_password: String) -> Result<()> {
    password::check_policy(&new_password)?;
    let hash = blocking(move || password::hash(&new_password)).await??;
    let (id, now) = (id.to_string(), ctx.clock.now());
    ctx.store
        .write(move |conn| {
            agents::set_password(conn, &id, &hash, now)?;
            crate::store::dashboard_sessions::delete_for_agent(conn, &id)?;
            audit::record(
                conn,
                now,
                None,
                "agent_password_reset",
                None,
                Some(&json!({"agentId": id})),
            )
        })
        .await
}
