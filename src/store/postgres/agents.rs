//! The `agents` table (support staff). Disabling keeps the row: history stays attributed.

use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

use super::db;
use crate::domain::agent::{Agent, AgentCredentials, AgentLoad, NewAgent};
use crate::domain::{Role, Timestamp};
use crate::error::{Error, Result};

/// The columns of [`from_row`], qualified for queries on `agents a`; then the active chat
/// count: the one the session triggers keep on the agent's row, the same one the assignment
/// guard compares with the capacity.
const LOAD_COLUMNS: &str = "a.id, a.email, a.name, a.department, a.role, a.max_concurrent_chats, \
    a.is_online, a.last_seen_at, a.last_assigned_at, a.disabled, a.token_version, a.created_at, \
    a.updated_at, a.active_chats";

/// A super admin other than `$1` who is enabled exists (SQL predicate). The guard of every
/// statement that could leave no enabled super admin; the SERIALIZABLE transaction around it
/// makes two writers that each rely on the other's row stay a super admin conflict, so one of
/// them runs again and sees the other's change.
const ANOTHER_SUPER_ADMIN: &str = "EXISTS (SELECT 1 FROM agents o
    WHERE o.id <> $1 AND o.role = 'super_admin' AND NOT o.disabled)";

fn from_row(r: &Row) -> Result<Agent> {
    Ok(Agent {
        id: r.try_get(0)?,
        email: r.try_get(1)?,
        name: r.try_get(2)?,
        department: r.try_get(3)?,
        role: r.try_get(4)?,
        max_concurrent_chats: r.try_get(5)?,
        is_online: r.try_get(6)?,
        last_seen_at: r.try_get(7)?,
        last_assigned_at: r.try_get(8)?,
        disabled: r.try_get(9)?,
        token_version: r.try_get(10)?,
        created_at: r.try_get(11)?,
        updated_at: r.try_get(12)?,
    })
}

/// Column 13 is the active chat count.
fn load_from_row(r: &Row) -> Result<AgentLoad> {
    Ok(AgentLoad {
        agent: from_row(r)?,
        active_chats: r.try_get(13)?,
    })
}

/// A duplicate email (ignoring case) is a UNIQUE violation.
pub(crate) async fn insert(c: &impl GenericClient, a: &NewAgent, at: Timestamp) -> Result<()> {
    db::exec(
        c,
        "INSERT INTO agents (id, email, name, department, role, password_hash, max_concurrent_chats,
             created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
        &[
            &a.id,
            &a.email,
            &a.name,
            &a.department,
            &a.role,
            &a.password_hash,
            &a.max_concurrent_chats,
            &at,
        ],
    )
    .await?;
    Ok(())
}

pub(crate) async fn get(c: &impl GenericClient, id: &str) -> Result<Option<Agent>> {
    db::row_opt(
        c,
        &format!("SELECT {LOAD_COLUMNS} FROM agents a WHERE a.id = $1"),
        &[&id],
    )
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// The agent with their active chat count.
pub(crate) async fn get_load(c: &impl GenericClient, id: &str) -> Result<Option<AgentLoad>> {
    db::row_opt(
        c,
        &format!("SELECT {LOAD_COLUMNS} FROM agents a WHERE a.id = $1"),
        &[&id],
    )
    .await?
    .as_ref()
    .map(load_from_row)
    .transpose()
}

/// Like [`get_load`], but a missing agent is `Error::NotFound`.
pub(crate) async fn require_load(c: &impl GenericClient, id: &str) -> Result<AgentLoad> {
    get_load(c, id).await?.ok_or(Error::NotFound("Agent"))
}

/// The agent with this email (ASCII letters in any case, as on SQLite; the unique index on
/// `lower(email)` answers it) and their password hash.
pub(crate) async fn credentials(
    c: &impl GenericClient,
    email: &str,
) -> Result<Option<AgentCredentials>> {
    db::row_opt(
        c,
        &format!(
            "SELECT {LOAD_COLUMNS}, a.password_hash FROM agents a WHERE lower(a.email) = lower($1)"
        ),
        &[&email],
    )
    .await?
    .map(|r| {
        Ok(AgentCredentials {
            agent: from_row(&r)?,
            password_hash: r.try_get(14)?,
        })
    })
    .transpose()
}

/// Every agent with their active chat count: enabled first, then by name and email, in the
/// SQLite engine's order (bytes; emails ignoring the case of ASCII letters) whatever the
/// database's collation.
pub(crate) async fn list_loads(c: &impl GenericClient) -> Result<Vec<AgentLoad>> {
    db::rows(
        c,
        &format!(
            "SELECT {LOAD_COLUMNS} FROM agents a
             ORDER BY a.disabled, a.name COLLATE \"C\", lower(a.email COLLATE \"C\")"
        ),
        &[],
    )
    .await?
    .iter()
    .map(load_from_row)
    .collect()
}

pub(crate) async fn count(c: &impl GenericClient) -> Result<i64> {
    Ok(db::row(c, "SELECT COUNT(*) FROM agents", &[])
        .await?
        .try_get(0)?)
}

/// An agent's new details, complete.
pub struct AgentUpdate<'a> {
    pub name: &'a str,
    pub department: Option<&'a str>,
    pub role: Role,
    pub max_concurrent_chats: i64,
    pub at: Timestamp,
}

/// Writes the details unless that would demote the last enabled super admin: the statement's
/// own WHERE requires the agent to stay a super admin, not to be one (or be disabled), or
/// another enabled super admin to exist. False when nothing was written (no such agent, or
/// the guard refused).
pub(crate) async fn update_guarded(
    c: &impl GenericClient,
    id: &str,
    u: &AgentUpdate<'_>,
) -> Result<bool> {
    Ok(db::exec(
        c,
        &format!(
            "UPDATE agents SET name = $2, department = $3, role = $4, max_concurrent_chats = $5,
                 updated_at = $6
             WHERE id = $1
               AND ($4 = 'super_admin' OR role <> 'super_admin' OR disabled
                    OR {ANOTHER_SUPER_ADMIN})"
        ),
        &[
            &id,
            &u.name,
            &u.department,
            &u.role,
            &u.max_concurrent_chats,
            &u.at,
        ],
    )
    .await?
        == 1)
}

/// Replaces the password and voids every token issued before; false when there is no agent.
pub(crate) async fn set_password(
    c: &impl GenericClient,
    id: &str,
    password_hash: &str,
    at: Timestamp,
) -> Result<bool> {
    Ok(db::exec(
        c,
        "UPDATE agents SET password_hash = $2, token_version = token_version + 1, updated_at = $3
         WHERE id = $1",
        &[&id, &password_hash, &at],
    )
    .await?
        == 1)
}

/// Disables the agent, voids their tokens and takes them offline, unless they are the last
/// enabled super admin (the guard is part of the statement). False when nothing was written.
pub(crate) async fn disable_guarded(
    c: &impl GenericClient,
    id: &str,
    at: Timestamp,
) -> Result<bool> {
    Ok(db::exec(
        c,
        &format!(
            "UPDATE agents SET disabled = TRUE, is_online = FALSE,
                 token_version = token_version + 1, updated_at = $2
             WHERE id = $1 AND (role <> 'super_admin' OR disabled OR {ANOTHER_SUPER_ADMIN})"
        ),
        &[&id, &at],
    )
    .await?
        == 1)
}

/// Takes the agent offline and voids every token issued before; false when there is no agent.
pub(crate) async fn sign_out(c: &impl GenericClient, id: &str, at: Timestamp) -> Result<bool> {
    Ok(db::exec(
        c,
        "UPDATE agents SET is_online = FALSE, last_seen_at = $2,
             token_version = token_version + 1, updated_at = $2
         WHERE id = $1",
        &[&id, &at],
    )
    .await?
        == 1)
}

/// False when there is no such agent.
pub(crate) async fn set_online(
    c: &impl GenericClient,
    id: &str,
    online: bool,
    at: Timestamp,
) -> Result<bool> {
    Ok(db::exec(
        c,
        "UPDATE agents SET is_online = $2, last_seen_at = $3 WHERE id = $1",
        &[&id, &online, &at],
    )
    .await?
        == 1)
}

/// Moves `last_seen_at` forward; an older time is ignored.
pub(crate) async fn touch(c: &impl GenericClient, id: &str, at: Timestamp) -> Result<()> {
    db::exec(
        c,
        "UPDATE agents SET last_seen_at = $2
         WHERE id = $1 AND (last_seen_at IS NULL OR last_seen_at < $2)",
        &[&id, &at],
    )
    .await?;
    Ok(())
}

/// Returns the agent's active chats to the queue; their ids, oldest chat first.
pub(crate) async fn release_active_chats(
    c: &impl GenericClient,
    agent_id: &str,
) -> Result<Vec<String>> {
    let mut released = db::rows(
        c,
        "UPDATE sessions SET assigned_agent_id = NULL, assigned_at = NULL
         WHERE assigned_agent_id = $1 AND status = 'active'
         RETURNING id, created_at",
        &[&agent_id],
    )
    .await?
    .iter()
    .map(|r| Ok((r.try_get::<_, Timestamp>(1)?, r.try_get::<_, String>(0)?)))
    .collect::<Result<Vec<_>>>()?;
    released.sort();
    Ok(released.into_iter().map(|(_, id)| id).collect())
}
