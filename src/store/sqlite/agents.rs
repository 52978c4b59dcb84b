//! The `agents` table (support staff). Disabling keeps the row: history stays attributed.

use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::domain::agent::{Agent, AgentCredentials, AgentLoad, NewAgent};
use crate::domain::{Role, Timestamp};
use crate::error::{Error, Result};

const COLUMNS: &str = "id, email, name, department, role, max_concurrent_chats, is_online, \
    last_seen_at, last_assigned_at, disabled, token_version, created_at, updated_at";

/// The same columns, qualified for queries that join `agents a`.
const A_COLUMNS: &str = "a.id, a.email, a.name, a.department, a.role, a.max_concurrent_chats, \
    a.is_online, a.last_seen_at, a.last_assigned_at, a.disabled, a.token_version, a.created_at, \
    a.updated_at";

/// Active chats assigned to `a.id` (SQL expression): the count the session triggers keep on
/// the agent's row, the same one the assignment guard compares with the capacity.
const ACTIVE_CHATS: &str = "a.active_chats";

/// A super admin other than `?1` who is enabled exists (SQL predicate). The guard of every
/// statement that could leave no enabled super admin.
const ANOTHER_SUPER_ADMIN: &str = "EXISTS (SELECT 1 FROM agents o
    WHERE o.id <> ?1 AND o.role = 'super_admin' AND o.disabled = 0)";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Agent> {
    Ok(Agent {
        id: r.get(0)?,
        email: r.get(1)?,
        name: r.get(2)?,
        department: r.get(3)?,
        role: r.get(4)?,
        max_concurrent_chats: r.get(5)?,
        is_online: r.get(6)?,
        last_seen_at: r.get(7)?,
        last_assigned_at: r.get(8)?,
        disabled: r.get(9)?,
        token_version: r.get(10)?,
        created_at: r.get(11)?,
        updated_at: r.get(12)?,
    })
}

/// Column 13 is the active chat count.
fn load_from_row(r: &Row<'_>) -> rusqlite::Result<AgentLoad> {
    Ok(AgentLoad {
        agent: from_row(r)?,
        active_chats: r.get(13)?,
    })
}

/// A duplicate email is a UNIQUE violation.
pub fn insert(conn: &Connection, a: &NewAgent, at: Timestamp) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO agents (id, email, name, department, role, password_hash, max_concurrent_chats,
             created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
    )?
    .execute(params![
        a.id,
        a.email,
        a.name,
        a.department,
        a.role,
        a.password_hash,
        a.max_concurrent_chats,
        at
    ])?;
    Ok(())
}

pub fn get(conn: &Connection, id: &str) -> Result<Option<Agent>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM agents WHERE id = ?1"))?
        .query_row([id], from_row)
        .optional()?)
}

/// The agent with their active chat count.
pub fn get_load(conn: &Connection, id: &str) -> Result<Option<AgentLoad>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {A_COLUMNS}, {ACTIVE_CHATS} FROM agents a WHERE a.id = ?1"
        ))?
        .query_row([id], load_from_row)
        .optional()?)
}

/// Like [`get_load`], but a missing agent is `Error::NotFound`.
pub fn require_load(conn: &Connection, id: &str) -> Result<AgentLoad> {
    get_load(conn, id)?.ok_or(Error::NotFound("Agent"))
}

/// The agent with this email and their password hash.
pub fn credentials(conn: &Connection, email: &str) -> Result<Option<AgentCredentials>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS}, password_hash FROM agents WHERE email = ?1"
        ))?
        .query_row([email], |r| {
            Ok(AgentCredentials {
                agent: from_row(r)?,
                password_hash: r.get(13)?,
            })
        })
        .optional()?)
}

/// Every agent with their active chat count: enabled first, then by name and email.
pub fn list_loads(conn: &Connection) -> Result<Vec<AgentLoad>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {A_COLUMNS}, {ACTIVE_CHATS} FROM agents a ORDER BY a.disabled, a.name, a.email"
    ))?;
    let rows = stmt
        .query_map([], load_from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

pub fn count(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("SELECT COUNT(*) FROM agents", [], |r| r.get(0))?)
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
pub fn update_guarded(conn: &Connection, id: &str, u: &AgentUpdate<'_>) -> Result<bool> {
    Ok(conn
        .prepare_cached(&format!(
            "UPDATE agents SET name = ?2, department = ?3, role = ?4, max_concurrent_chats = ?5,
                 updated_at = ?6
             WHERE id = ?1
               AND (?4 = 'super_admin' OR role <> 'super_admin' OR disabled = 1
                    OR {ANOTHER_SUPER_ADMIN})"
        ))?
        .execute(params![
            id,
            u.name,
            u.department,
            u.role,
            u.max_concurrent_chats,
            u.at
        ])?
        == 1)
}

/// Replaces the password and voids every token issued before; false when there is no agent.
pub fn set_password(
    conn: &Connection,
    id: &str,
    password_hash: &str,
    at: Timestamp,
) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "UPDATE agents SET password_hash = ?2, token_version = token_version + 1, updated_at = ?3
             WHERE id = ?1",
        )?
        .execute(params![id, password_hash, at])?
        == 1)
}

/// Disables the agent, voids their tokens and takes them offline, unless they are the last
/// enabled super admin (the guard is part of the statement). False when nothing was written.
pub fn disable_guarded(conn: &Connection, id: &str, at: Timestamp) -> Result<bool> {
    Ok(conn
        .prepare_cached(&format!(
            "UPDATE agents SET disabled = 1, is_online = 0, token_version = token_version + 1,
                 updated_at = ?2
             WHERE id = ?1 AND (role <> 'super_admin' OR disabled = 1 OR {ANOTHER_SUPER_ADMIN})"
        ))?
        .execute(params![id, at])?
        == 1)
}

/// Takes the agent offline and voids every token issued before; false when there is no agent.
pub fn sign_out(conn: &Connection, id: &str, at: Timestamp) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "UPDATE agents SET is_online = 0, last_seen_at = ?2,
                 token_version = token_version + 1, updated_at = ?2
             WHERE id = ?1",
        )?
        .execute(params![id, at])?
        == 1)
}

/// False when there is no such agent.
pub fn set_online(conn: &Connection, id: &str, online: bool, at: Timestamp) -> Result<bool> {
    Ok(conn
        .prepare_cached("UPDATE agents SET is_online = ?2, last_seen_at = ?3 WHERE id = ?1")?
        .execute(params![id, online, at])?
        == 1)
}

/// Moves `last_seen_at` forward; an older time is ignored.
pub fn touch(conn: &Connection, id: &str, at: Timestamp) -> Result<()> {
    conn.prepare_cached(
        "UPDATE agents SET last_seen_at = ?2
         WHERE id = ?1 AND (last_seen_at IS NULL OR last_seen_at < ?2)",
    )?
    .execute(params![id, at])?;
    Ok(())
}

/// Returns the agent's active chats to the queue; their ids, oldest chat first.
pub fn release_active_chats(conn: &Connection, agent_id: &str) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "UPDATE sessions SET assigned_agent_id = NULL, assigned_at = NULL
         WHERE assigned_agent_id = ?1 AND status = 'active'
         RETURNING id, created_at",
    )?;
    let mut released = stmt
        .query_map([agent_id], |r| {
            Ok((r.get::<_, Timestamp>(1)?, r.get::<_, String>(0)?))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    released.sort();
    Ok(released.into_iter().map(|(_, id)| id).collect())
}
