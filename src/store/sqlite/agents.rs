//! The `agents` table (support staff). Disabling keeps the row: history stays attributed.

use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::domain::{Role, Timestamp};
use crate::error::Result;

#[derive(Clone, Debug)]
pub struct AgentRow {
    pub id: String,
    pub email: String,
    pub name: String,
    pub department: Option<String>,
    pub role: Role,
    pub password_hash: String,
    pub max_concurrent_chats: i64,
    pub is_online: bool,
    pub last_seen_at: Option<Timestamp>,
    pub last_assigned_at: Option<Timestamp>,
    pub disabled: bool,
    pub token_version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl AgentRow {
    /// Online means: said so, seen within `window_ms`, and not disabled.
    pub fn effectively_online(&self, now: Timestamp, window_ms: i64) -> bool {
        self.is_online
            && !self.disabled
            && self
                .last_seen_at
                .is_some_and(|seen| now.0 - seen.0 <= window_ms)
    }
}

const COLUMNS: &str = "id, email, name, department, role, password_hash, max_concurrent_chats, is_online, \
    last_seen_at, last_assigned_at, disabled, token_version, created_at, updated_at";

fn from_row(r: &Row<'_>) -> rusqlite::Result<AgentRow> {
    Ok(AgentRow {
        id: r.get(0)?,
        email: r.get(1)?,
        name: r.get(2)?,
        department: r.get(3)?,
        role: r.get(4)?,
        password_hash: r.get(5)?,
        max_concurrent_chats: r.get(6)?,
        is_online: r.get(7)?,
        last_seen_at: r.get(8)?,
        last_assigned_at: r.get(9)?,
        disabled: r.get(10)?,
        token_version: r.get(11)?,
        created_at: r.get(12)?,
        updated_at: r.get(13)?,
    })
}

pub struct NewAgent<'a> {
    pub id: &'a str,
    pub email: &'a str,
    pub name: &'a str,
    pub department: Option<&'a str>,
    pub role: Role,
    pub password_hash: &'a str,
    pub max_concurrent_chats: i64,
    pub at: Timestamp,
}

/// A duplicate email is a UNIQUE violation.
pub fn insert(conn: &Connection, a: &NewAgent<'_>) -> rusqlite::Result<()> {
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
        a.at
    ])?;
    Ok(())
}

pub fn get(conn: &Connection, id: &str) -> Result<Option<AgentRow>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM agents WHERE id = ?1"))?
        .query_row([id], from_row)
        .optional()?)
}

pub fn by_email(conn: &Connection, email: &str) -> Result<Option<AgentRow>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM agents WHERE email = ?1"))?
        .query_row([email], from_row)
        .optional()?)
}

pub fn list(conn: &Connection) -> Result<Vec<AgentRow>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM agents ORDER BY disabled, name, email"
    ))?;
    let rows = stmt
        .query_map([], from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

pub fn count(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("SELECT COUNT(*) FROM agents", [], |r| r.get(0))?)
}

pub struct AgentUpdate<'a> {
    pub name: &'a str,
    pub department: Option<&'a str>,
    pub role: Role,
    pub max_concurrent_chats: i64,
    pub at: Timestamp,
}

pub fn update(conn: &Connection, id: &str, u: &AgentUpdate<'_>) -> Result<()> {
    conn.prepare_cached(
        "UPDATE agents SET name = ?2, department = ?3, role = ?4, max_concurrent_chats = ?5, updated_at = ?6
         WHERE id = ?1",
    )?
    .execute(params![id, u.name, u.department, u.role, u.max_concurrent_chats, u.at])?;
    Ok(())
}

/// Replaces the password and voids every token issued before.
pub fn set_password(conn: &Connection, id: &str, password_hash: &str, at: Timestamp) -> Result<()> {
    conn.prepare_cached(
        "UPDATE agents SET password_hash = ?2, token_version = token_version + 1, updated_at = ?3 WHERE id = ?1",
    )?
    .execute(params![id, password_hash, at])?;
    Ok(())
}

/// Disables the agent, voids their tokens and takes them offline.
pub fn disable(conn: &Connection, id: &str, at: Timestamp) -> Result<()> {
    conn.prepare_cached(
        "UPDATE agents SET disabled = 1, is_online = 0, token_version = token_version + 1, updated_at = ?2
         WHERE id = ?1",
    )?
    .execute(params![id, at])?;
    Ok(())
}

pub fn set_online(conn: &Connection, id: &str, online: bool, at: Timestamp) -> Result<()> {
    conn.prepare_cached("UPDATE agents SET is_online = ?2, last_seen_at = ?3 WHERE id = ?1")?
        .execute(params![id, online, at])?;
    Ok(())
}

pub fn touch(conn: &Connection, id: &str, at: Timestamp) -> Result<()> {
    conn.prepare_cached("UPDATE agents SET last_seen_at = ?2 WHERE id = ?1")?
        .execute(params![id, at])?;
    Ok(())
}

/// Records an assignment for round-robin order. The value is the time, nudged to stay above
/// every earlier one, so several assignments in the same millisecond keep their order.
pub fn mark_assigned(conn: &Connection, id: &str, at: Timestamp) -> Result<()> {
    conn.prepare_cached(
        "UPDATE agents SET last_assigned_at =
             MAX(?2, COALESCE((SELECT MAX(last_assigned_at) FROM agents), 0) + 1)
         WHERE id = ?1",
    )?
    .execute(params![id, at])?;
    Ok(())
}

/// Agents who can take another chat now: enabled, online and seen within `seen_after`, allowed
/// to reply, under capacity. Least recently assigned first (round robin).
pub fn available_for_assignment(conn: &Connection, seen_after: Timestamp) -> Result<Vec<AgentRow>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM agents a
         WHERE a.disabled = 0 AND a.is_online = 1 AND a.last_seen_at >= ?1
           AND a.role IN ('super_admin', 'chat_admin')
           AND (SELECT COUNT(*) FROM sessions s WHERE s.assigned_agent_id = a.id AND s.status = 'active')
               < a.max_concurrent_chats
         ORDER BY a.last_assigned_at IS NOT NULL, a.last_assigned_at, a.id"
    ))?;
    let rows = stmt
        .query_map([seen_after], from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}
