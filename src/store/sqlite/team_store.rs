//! [`TeamStore`] on SQLite. Each method runs as one job of the group-commit writer (or one read
//! on the reader pool) and keeps its guarantee with conditional statements, not by relying on
//! there being a single writer. Where a guard reads other rows (the last super admin), SQLite's
//! write transaction serialises it; an engine with concurrent writers takes a lock first (on
//! PostgreSQL `SELECT ... FROM agents WHERE role = 'super_admin' FOR UPDATE`).

use async_trait::async_trait;
use serde_json::json;

use super::{SqliteStore, agents, analytics, audit, canned, dashboard_sessions, labels, personas};
use super::{is_unique_violation, server_settings, settings};
use crate::domain::Timestamp;
use crate::domain::agent::{AgentChange, AgentCredentials, AgentLoad, DisabledAgent, NewAgent};
use crate::domain::audit::{AuditEvent, AuditFilter, NewAuditEvent};
use crate::domain::canned::{CannedFields, CannedResponse};
use crate::domain::dashboard_session::DashboardSessionRecord;
use crate::domain::hours::BusinessHours;
use crate::domain::persona::{Persona, PersonaFields};
use crate::error::{Error, Result};
use crate::store::TeamStore;
use crate::store::team::{AnalyticsTotals, ReportTotals, Scope};

fn last_super_admin() -> Error {
    Error::Conflict("This is the last super admin; appoint another first".into())
}

fn email_conflict(e: rusqlite::Error) -> Error {
    if is_unique_violation(&e) {
        Error::Conflict("An agent with this email already exists".into())
    } else {
        e.into()
    }
}

fn shortcut_conflict(e: rusqlite::Error) -> Error {
    if is_unique_violation(&e) {
        Error::Conflict("Another canned response already uses this shortcut".into())
    } else {
        e.into()
    }
}

/// Inserts an agent and records `agent_create`; shared by creation and first-run setup.
fn insert_agent(
    conn: &rusqlite::Connection,
    agent: &NewAgent,
    actor: Option<&str>,
    now: Timestamp,
) -> Result<AgentLoad> {
    agents::insert(conn, agent, now).map_err(email_conflict)?;
    audit::record(
        conn,
        now,
        actor,
        "agent_create",
        None,
        Some(&json!({"agentId": agent.id, "email": agent.email, "role": agent.role.as_str()})),
    )?;
    agents::require_load(conn, &agent.id)
}

#[async_trait]
impl TeamStore for SqliteStore {
    async fn create_agent(
        &self,
        agent: NewAgent,
        actor: Option<&str>,
        now: Timestamp,
    ) -> Result<AgentLoad> {
        let actor = actor.map(str::to_string);
        self.write(move |conn| insert_agent(conn, &agent, actor.as_deref(), now))
            .await
    }

    async fn agent(&self, id: &str) -> Result<Option<AgentLoad>> {
        let id = id.to_string();
        self.read(move |conn| agents::get_load(conn, &id)).await
    }

    async fn agents(&self) -> Result<Vec<AgentLoad>> {
        self.read(agents::list_loads).await
    }

    async fn agent_credentials(&self, email: &str) -> Result<Option<AgentCredentials>> {
        let email = email.to_string();
        self.read(move |conn| agents::credentials(conn, &email))
            .await
    }

    async fn update_agent(
        &self,
        id: &str,
        change: AgentChange,
        actor: &str,
        now: Timestamp,
    ) -> Result<AgentLoad> {
        let (id, actor) = (id.to_string(), actor.to_string());
        self.write(move |conn| {
            let row = agents::get(conn, &id)?.ok_or(Error::NotFound("Agent"))?;
            let role = change.role.unwrap_or(row.role);
            let department = match &change.department {
                Some(d) => d.as_deref(),
                None => row.department.as_deref(),
            };
            let update = agents::AgentUpdate {
                name: change.name.as_deref().unwrap_or(&row.name),
                department,
                role,
                max_concurrent_chats: change
                    .max_concurrent_chats
                    .unwrap_or(row.max_concurrent_chats),
                at: now,
            };
            if !agents::update_guarded(conn, &id, &update)? {
                return Err(last_super_admin());
            }
            if let Some(hash) = &change.password_hash {
                agents::set_password(conn, &id, hash, now)?;
                dashboard_sessions::delete_for_agent(conn, &id)?;
            }
            audit::record(
                conn,
                now,
                Some(&actor),
                "agent_update",
                None,
                Some(&json!({
                    "agentId": id,
                    "role": role.as_str(),
                    "passwordChanged": change.password_hash.is_some(),
                })),
            )?;
            agents::require_load(conn, &id)
        })
        .await
    }

    async fn disable_agent(
        &self,
        id: &str,
        actor: Option<&str>,
        now: Timestamp,
    ) -> Result<DisabledAgent> {
        let (id, actor) = (id.to_string(), actor.map(str::to_string));
        self.write(move |conn| {
            if !agents::disable_guarded(conn, &id, now)? {
                return Err(match agents::get(conn, &id)? {
                    None => Error::NotFound("Agent"),
                    Some(_) => last_super_admin(),
                });
            }
            dashboard_sessions::delete_for_agent(conn, &id)?;
            let released = agents::release_active_chats(conn, &id)?;
            for session_id in &released {
                audit::record(
                    conn,
                    now,
                    None,
                    "release",
                    Some(session_id),
                    Some(&json!({"agentId": id, "why": "agent disabled"})),
                )?;
            }
            audit::record(
                conn,
                now,
                actor.as_deref(),
                "agent_disable",
                None,
                Some(&json!({"agentId": id})),
            )?;
            Ok(DisabledAgent {
                agent: agents::require_load(conn, &id)?,
                released_sessions: released,
            })
        })
        .await
    }

    async fn set_agent_online(
        &self,
        id: &str,
        online: bool,
        action: &str,
        now: Timestamp,
    ) -> Result<AgentLoad> {
        let (id, action) = (id.to_string(), action.to_string());
        self.write(move |conn| {
            if !agents::set_online(conn, &id, online, now)? {
                return Err(Error::NotFound("Agent"));
            }
            audit::record(conn, now, Some(&id), &action, None, None)?;
            agents::require_load(conn, &id)
        })
        .await
    }

    async fn sign_out_agent(&self, id: &str, now: Timestamp) -> Result<AgentLoad> {
        let id = id.to_string();
        self.write(move |conn| {
            if !agents::sign_out(conn, &id, now)? {
                return Err(Error::NotFound("Agent"));
            }
            audit::record(conn, now, Some(&id), "api_logout", None, None)?;
            agents::require_load(conn, &id)
        })
        .await
    }

    async fn touch_agent(&self, id: &str, now: Timestamp) -> Result<()> {
        let id = id.to_string();
        self.write(move |conn| agents::touch(conn, &id, now)).await
    }

    async fn set_agent_password(
        &self,
        id: &str,
        password_hash: &str,
        now: Timestamp,
    ) -> Result<()> {
        let (id, hash) = (id.to_string(), password_hash.to_string());
        self.write(move |conn| {
            if !agents::set_password(conn, &id, &hash, now)? {
                return Err(Error::NotFound("Agent"));
            }
            dashboard_sessions::delete_for_agent(conn, &id)?;
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

    async fn setup_token_or_init(&self, candidate: String) -> Result<Option<String>> {
        self.write(move |conn| {
            if agents::count(conn)? > 0 {
                server_settings::delete(conn, server_settings::SETUP_TOKEN)?;
                return Ok(None);
            }
            server_settings::get_or_init(conn, server_settings::SETUP_TOKEN, || candidate).map(Some)
        })
        .await
    }

    async fn setup_token(&self) -> Result<Option<String>> {
        self.read(|conn| {
            if agents::count(conn)? > 0 {
                return Ok(None);
            }
            server_settings::get(conn, server_settings::SETUP_TOKEN)
        })
        .await
    }

    async fn complete_setup(
        &self,
        token: &str,
        agent: NewAgent,
        now: Timestamp,
    ) -> Result<AgentLoad> {
        let token = token.to_string();
        self.write(move |conn| {
            // Deleting the token is the guard: only one attempt can delete it.
            if agents::count(conn)? > 0
                || !server_settings::delete_if(conn, server_settings::SETUP_TOKEN, &token)?
            {
                return Err(Error::Forbidden("This setup link is no longer valid"));
            }
            insert_agent(conn, &agent, None, now)
        })
        .await
    }

    async fn start_dashboard_session(&self, session: DashboardSessionRecord) -> Result<AgentLoad> {
        self.write(move |conn| {
            let (id, now) = (session.agent_id.as_str(), session.created_at);
            dashboard_sessions::insert(conn, &session)?;
            if !agents::set_online(conn, id, true, now)? {
                return Err(Error::NotFound("Agent"));
            }
            audit::record(conn, now, Some(id), "dashboard_login", None, None)?;
            agents::require_load(conn, id)
        })
        .await
    }

    async fn dashboard_session(&self, token_hash: &str) -> Result<Option<DashboardSessionRecord>> {
        let token_hash = token_hash.to_string();
        self.read(move |conn| dashboard_sessions::get(conn, &token_hash))
            .await
    }

    async fn touch_dashboard_session(&self, token_hash: &str, now: Timestamp) -> Result<()> {
        let token_hash = token_hash.to_string();
        self.write(move |conn| dashboard_sessions::touch(conn, &token_hash, now))
            .await
    }

    async fn delete_dashboard_session(&self, token_hash: &str) -> Result<()> {
        let token_hash = token_hash.to_string();
        self.write(move |conn| dashboard_sessions::delete(conn, &token_hash))
            .await
    }

    async fn end_dashboard_session(
        &self,
        token_hash: &str,
        agent_id: &str,
        now: Timestamp,
    ) -> Result<()> {
        let (token_hash, agent_id) = (token_hash.to_string(), agent_id.to_string());
        self.write(move |conn| {
            dashboard_sessions::delete(conn, &token_hash)?;
            agents::set_online(conn, &agent_id, false, now)?;
            audit::record(conn, now, Some(&agent_id), "dashboard_logout", None, None)
        })
        .await
    }

    async fn delete_idle_dashboard_sessions(&self, cutoff: Timestamp) -> Result<usize> {
        self.write(move |conn| dashboard_sessions::delete_idle(conn, cutoff))
            .await
    }

    async fn personas(&self) -> Result<Vec<Persona>> {
        self.read(personas::list).await
    }

    async fn persona(&self, id: &str) -> Result<Option<Persona>> {
        let id = id.to_string();
        self.read(move |conn| personas::get(conn, &id)).await
    }

    async fn create_persona(
        &self,
        id: &str,
        fields: PersonaFields,
        actor: &str,
        now: Timestamp,
    ) -> Result<Persona> {
        let (id, actor) = (id.to_string(), actor.to_string());
        self.write(move |conn| {
            personas::insert(conn, &id, &fields, now)?;
            record_item_change(conn, now, &actor, "persona_create", "personaId", &id)?;
            personas::get(conn, &id)?.ok_or(Error::NotFound("Persona"))
        })
        .await
    }

    async fn update_persona(
        &self,
        id: &str,
        fields: PersonaFields,
        actor: &str,
        now: Timestamp,
    ) -> Result<Persona> {
        let (id, actor) = (id.to_string(), actor.to_string());
        self.write(move |conn| {
            if !personas::update(conn, &id, &fields, now)? {
                return Err(Error::NotFound("Persona"));
            }
            record_item_change(conn, now, &actor, "persona_update", "personaId", &id)?;
            personas::get(conn, &id)?.ok_or(Error::NotFound("Persona"))
        })
        .await
    }

    async fn delete_persona(&self, id: &str, actor: &str, now: Timestamp) -> Result<()> {
        let (id, actor) = (id.to_string(), actor.to_string());
        self.write(move |conn| {
            if !personas::soft_delete(conn, &id, now)? {
                return Err(Error::NotFound("Persona"));
            }
            record_item_change(conn, now, &actor, "persona_delete", "personaId", &id)
        })
        .await
    }

    async fn canned_responses(&self) -> Result<Vec<CannedResponse>> {
        self.read(canned::list).await
    }

    async fn canned_response(&self, id: &str) -> Result<Option<CannedResponse>> {
        let id = id.to_string();
        self.read(move |conn| canned::get(conn, &id)).await
    }

    async fn create_canned_response(
        &self,
        id: &str,
        fields: CannedFields,
        actor: &str,
        now: Timestamp,
    ) -> Result<CannedResponse> {
        let (id, actor) = (id.to_string(), actor.to_string());
        self.write(move |conn| {
            canned::insert(conn, &id, &fields, &actor, now).map_err(shortcut_conflict)?;
            record_item_change(conn, now, &actor, "canned_create", "cannedId", &id)?;
            canned::get(conn, &id)?.ok_or(Error::NotFound("Canned response"))
        })
        .await
    }

    async fn update_canned_response(
        &self,
        id: &str,
        fields: CannedFields,
        actor: &str,
        now: Timestamp,
    ) -> Result<CannedResponse> {
        let (id, actor) = (id.to_string(), actor.to_string());
        self.write(move |conn| {
            if !canned::update(conn, &id, &fields, now).map_err(shortcut_conflict)? {
                return Err(Error::NotFound("Canned response"));
            }
            record_item_change(conn, now, &actor, "canned_update", "cannedId", &id)?;
            canned::get(conn, &id)?.ok_or(Error::NotFound("Canned response"))
        })
        .await
    }

    async fn delete_canned_response(&self, id: &str, actor: &str, now: Timestamp) -> Result<()> {
        let (id, actor) = (id.to_string(), actor.to_string());
        self.write(move |conn| {
            if !canned::delete(conn, &id)? {
                return Err(Error::NotFound("Canned response"));
            }
            record_item_change(conn, now, &actor, "canned_delete", "cannedId", &id)
        })
        .await
    }

    async fn record_audit(&self, event: NewAuditEvent) -> Result<()> {
        self.write(move |conn| audit::record_event(conn, &event))
            .await
    }

    async fn audit_events(
        &self,
        filter: AuditFilter,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<AuditEvent>, i64)> {
        self.read(move |conn| {
            let total = audit::count(conn, &filter)?;
            Ok((audit::list(conn, &filter, offset, limit)?, total))
        })
        .await
    }

    async fn server_setting_or_init(&self, key: &str, candidate: String) -> Result<String> {
        let key = key.to_string();
        self.write(move |conn| server_settings::get_or_init(conn, &key, || candidate))
            .await
    }

    async fn business_hours(&self) -> Result<Option<BusinessHours>> {
        self.read(settings::business_hours).await
    }

    async fn save_business_hours(
        &self,
        hours: BusinessHours,
        actor: &str,
        now: Timestamp,
    ) -> Result<BusinessHours> {
        let actor = actor.to_string();
        self.write(move |conn| {
            settings::set_business_hours(conn, &hours, &actor, now)?;
            // A summary: the audit page shows details inline, and 366 dates would swamp it.
            let detail = json!({
                "enabled": hours.enabled,
                "timeZone": hours.time_zone.name(),
                "weekly": hours.weekly_summary(),
                "closedDates": hours.closed_dates.len(),
            });
            audit::record(conn, now, Some(&actor), "hours_update", None, Some(&detail))?;
            Ok(hours)
        })
        .await
    }

    async fn analytics_totals(&self, scope: Scope, now: Timestamp) -> Result<AnalyticsTotals> {
        self.read(move |conn| {
            // The same rule auto-assignment asks, not a second copy of it in SQL.
            let available_agents = agents::list_loads(conn)?
                .iter()
                .filter(|a| a.available_for_auto(now))
                .count() as i64;
            let (days, rating_distribution, busiest_hours) =
                analytics::totals(conn, scope.from, scope.to, scope.label_id.as_deref())?;
            Ok(AnalyticsTotals {
                days,
                rating_distribution,
                busiest_hours,
                available_agents,
            })
        })
        .await
    }

    async fn report_totals(&self, scope: Scope, max_sessions: i64) -> Result<ReportTotals> {
        self.read(move |conn| {
            let (from, to, label) = (scope.from, scope.to, scope.label_id.as_deref());
            let mut sums = analytics::label_totals(conn, from, to)?;
            let by_label = labels::list(conn)?
                .into_iter()
                .map(|l| {
                    let sum = sums.remove(&l.id).unwrap_or_default();
                    (l, sum)
                })
                .collect();
            Ok(ReportTotals {
                days: analytics::totals(conn, from, to, label)?.0,
                agents: analytics::agent_totals(conn, from, to, label)?,
                sessions: analytics::session_usage(conn, from, to, max_sessions, label)?,
                labels: by_label,
            })
        })
        .await
    }
}

/// Audits a change to one persona or canned response: who, what, and the item's id under `key`.
pub(super) fn record_item_change(
    conn: &rusqlite::Connection,
    now: Timestamp,
    actor: &str,
    action: &str,
    key: &str,
    id: &str,
) -> Result<()> {
    let detail = json!({ key: id });
    audit::record(conn, now, Some(actor), action, None, Some(&detail))
}
