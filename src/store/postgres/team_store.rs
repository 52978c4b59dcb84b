//! [`TeamStore`] on PostgreSQL. Each write is one SERIALIZABLE transaction (run again whole
//! when it loses a race with another replica), so a guard that reads other rows (the last
//! super admin, the first-run setup token, a server setting not stored yet) holds as it does
//! under the SQLite engine's single writer; reads that must agree share one snapshot.

use async_trait::async_trait;
use deadpool_postgres::{GenericClient, Object, Transaction};
use serde_json::json;
use tokio_postgres::IsolationLevel;

use super::{PgStore, agents, analytics, audit, canned, dashboard_sessions, labels, personas};
use super::{is_unique_violation, server_settings, settings, write_tx};
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

fn email_conflict(e: Error) -> Error {
    if is_unique_violation(&e) {
        Error::Conflict("An agent with this email already exists".into())
    } else {
        e
    }
}

fn shortcut_conflict(e: Error) -> Error {
    if is_unique_violation(&e) {
        Error::Conflict("Another canned response already uses this shortcut".into())
    } else {
        e
    }
}

/// A read-only transaction on one snapshot, for reads of several statements that must agree.
async fn snapshot(c: &mut Object) -> Result<Transaction<'_>> {
    Ok(c.build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await?)
}

/// Inserts an agent and records `agent_create`; shared by creation and first-run setup.
async fn insert_agent(
    c: &impl GenericClient,
    agent: &NewAgent,
    actor: Option<&str>,
    now: Timestamp,
) -> Result<AgentLoad> {
    agents::insert(c, agent, now)
        .await
        .map_err(email_conflict)?;
    audit::record(
        c,
        now,
        actor,
        "agent_create",
        None,
        Some(&json!({"agentId": agent.id, "email": agent.email, "role": agent.role.as_str()})),
    )
    .await?;
    agents::require_load(c, &agent.id).await
}

#[async_trait]
impl TeamStore for PgStore {
    async fn create_agent(
        &self,
        agent: NewAgent,
        actor: Option<&str>,
        now: Timestamp,
    ) -> Result<AgentLoad> {
        write_tx!(self, |tx| insert_agent(&tx, &agent, actor, now).await)
    }

    async fn agent(&self, id: &str) -> Result<Option<AgentLoad>> {
        let c = self.reader().await?;
        agents::get_load(&c, id).await
    }

    async fn agents(&self) -> Result<Vec<AgentLoad>> {
        let c = self.reader().await?;
        agents::list_loads(&c).await
    }

    async fn agent_credentials(&self, email: &str) -> Result<Option<AgentCredentials>> {
        let c = self.reader().await?;
        agents::credentials(&c, email).await
    }

    async fn update_agent(
        &self,
        id: &str,
        change: AgentChange,
        actor: &str,
        now: Timestamp,
    ) -> Result<AgentLoad> {
        write_tx!(self, |tx| {
            let row = agents::get(&tx, id)
                .await?
                .ok_or(Error::NotFound("Agent"))?;
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
            if !agents::update_guarded(&tx, id, &update).await? {
                return Err(last_super_admin());
            }
            if let Some(hash) = &change.password_hash {
                agents::set_password(&tx, id, hash, now).await?;
                dashboard_sessions::delete_for_agent(&tx, id).await?;
            }
            audit::record(
                &tx,
                now,
                Some(actor),
                "agent_update",
                None,
                Some(&json!({
                    "agentId": id,
                    "role": role.as_str(),
                    "passwordChanged": change.password_hash.is_some(),
                })),
            )
            .await?;
            agents::require_load(&tx, id).await
        })
    }

    async fn disable_agent(
        &self,
        id: &str,
        actor: Option<&str>,
        now: Timestamp,
    ) -> Result<DisabledAgent> {
        write_tx!(self, |tx| {
            if !agents::disable_guarded(&tx, id, now).await? {
                return Err(match agents::get(&tx, id).await? {
                    None => Error::NotFound("Agent"),
                    Some(_) => last_super_admin(),
                });
            }
            dashboard_sessions::delete_for_agent(&tx, id).await?;
            let released = agents::release_active_chats(&tx, id).await?;
            for session_id in &released {
                audit::record(
                    &tx,
                    now,
                    None,
                    "release",
                    Some(session_id),
                    Some(&json!({"agentId": id, "why": "agent disabled"})),
                )
                .await?;
            }
            audit::record(
                &tx,
                now,
                actor,
                "agent_disable",
                None,
                Some(&json!({"agentId": id})),
            )
            .await?;
            Ok(DisabledAgent {
                agent: agents::require_load(&tx, id).await?,
                released_sessions: released,
            })
        })
    }

    async fn set_agent_online(
        &self,
        id: &str,
        online: bool,
        action: &str,
        now: Timestamp,
    ) -> Result<AgentLoad> {
        write_tx!(self, |tx| {
            if !agents::set_online(&tx, id, online, now).await? {
                return Err(Error::NotFound("Agent"));
            }
            audit::record(&tx, now, Some(id), action, None, None).await?;
            agents::require_load(&tx, id).await
        })
    }

    async fn sign_out_agent(&self, id: &str, now: Timestamp) -> Result<AgentLoad> {
        write_tx!(self, |tx| {
            if !agents::sign_out(&tx, id, now).await? {
                return Err(Error::NotFound("Agent"));
            }
            audit::record(&tx, now, Some(id), "api_logout", None, None).await?;
            agents::require_load(&tx, id).await
        })
    }

    async fn touch_agent(&self, id: &str, now: Timestamp) -> Result<()> {
        write_tx!(self, |tx| agents::touch(&tx, id, now).await)
    }

    async fn set_agent_password(
        &self,
        id: &str,
        password_hash: &str,
        now: Timestamp,
    ) -> Result<()> {
        write_tx!(self, |tx| {
            if !agents::set_password(&tx, id, password_hash, now).await? {
                return Err(Error::NotFound("Agent"));
            }
            dashboard_sessions::delete_for_agent(&tx, id).await?;
            audit::record(
                &tx,
                now,
                None,
                "agent_password_reset",
                None,
                Some(&json!({"agentId": id})),
            )
            .await
        })
    }

    async fn setup_token_or_init(&self, candidate: String) -> Result<Option<String>> {
        write_tx!(self, |tx| {
            if agents::count(&tx).await? > 0 {
                server_settings::delete(&tx, server_settings::SETUP_TOKEN).await?;
                return Ok(None);
            }
            server_settings::get_or_init(&tx, server_settings::SETUP_TOKEN, &candidate)
                .await
                .map(Some)
        })
    }

    async fn setup_token(&self) -> Result<Option<String>> {
        let mut c = self.reader().await?;
        let tx = snapshot(&mut c).await?;
        let token = if agents::count(&tx).await? > 0 {
            None
        } else {
            server_settings::get(&tx, server_settings::SETUP_TOKEN).await?
        };
        tx.commit().await?;
        Ok(token)
    }

    async fn complete_setup(
        &self,
        token: &str,
        agent: NewAgent,
        now: Timestamp,
    ) -> Result<AgentLoad> {
        write_tx!(self, |tx| {
            // Deleting the token is the guard: of concurrent attempts only one deletes it,
            // and the others run again and find an agent.
            if agents::count(&tx).await? > 0
                || !server_settings::delete_if(&tx, server_settings::SETUP_TOKEN, token).await?
            {
                return Err(Error::Forbidden("This setup link is no longer valid"));
            }
            insert_agent(&tx, &agent, None, now).await
        })
    }

    async fn start_dashboard_session(&self, session: DashboardSessionRecord) -> Result<AgentLoad> {
        let (id, now) = (session.agent_id.as_str(), session.created_at);
        write_tx!(self, |tx| {
            dashboard_sessions::insert(&tx, &session).await?;
            if !agents::set_online(&tx, id, true, now).await? {
                return Err(Error::NotFound("Agent"));
            }
            audit::record(&tx, now, Some(id), "dashboard_login", None, None).await?;
            agents::require_load(&tx, id).await
        })
    }

    async fn dashboard_session(&self, token_hash: &str) -> Result<Option<DashboardSessionRecord>> {
        let c = self.reader().await?;
        dashboard_sessions::get(&c, token_hash).await
    }

    async fn touch_dashboard_session(&self, token_hash: &str, now: Timestamp) -> Result<()> {
        write_tx!(self, |tx| dashboard_sessions::touch(&tx, token_hash, now)
            .await)
    }

    async fn delete_dashboard_session(&self, token_hash: &str) -> Result<()> {
        write_tx!(self, |tx| dashboard_sessions::delete(&tx, token_hash).await)
    }

    async fn end_dashboard_session(
        &self,
        token_hash: &str,
        agent_id: &str,
        now: Timestamp,
    ) -> Result<()> {
        write_tx!(self, |tx| {
            dashboard_sessions::delete(&tx, token_hash).await?;
            agents::set_online(&tx, agent_id, false, now).await?;
            audit::record(&tx, now, Some(agent_id), "dashboard_logout", None, None).await
        })
    }

    async fn delete_idle_dashboard_sessions(&self, cutoff: Timestamp) -> Result<usize> {
        write_tx!(self, |tx| dashboard_sessions::delete_idle(&tx, cutoff)
            .await)
    }

    async fn personas(&self) -> Result<Vec<Persona>> {
        let c = self.reader().await?;
        personas::list(&c).await
    }

    async fn persona(&self, id: &str) -> Result<Option<Persona>> {
        let c = self.reader().await?;
        personas::get(&c, id).await
    }

    async fn create_persona(
        &self,
        id: &str,
        fields: PersonaFields,
        actor: &str,
        now: Timestamp,
    ) -> Result<Persona> {
        write_tx!(self, |tx| {
            personas::insert(&tx, id, &fields, now).await?;
            record_item_change(&tx, now, actor, "persona_create", "personaId", id).await?;
            personas::get(&tx, id)
                .await?
                .ok_or(Error::NotFound("Persona"))
        })
    }

    async fn update_persona(
        &self,
        id: &str,
        fields: PersonaFields,
        actor: &str,
        now: Timestamp,
    ) -> Result<Persona> {
        write_tx!(self, |tx| {
            if !personas::update(&tx, id, &fields, now).await? {
                return Err(Error::NotFound("Persona"));
            }
            record_item_change(&tx, now, actor, "persona_update", "personaId", id).await?;
            personas::get(&tx, id)
                .await?
                .ok_or(Error::NotFound("Persona"))
        })
    }

    async fn delete_persona(&self, id: &str, actor: &str, now: Timestamp) -> Result<()> {
        write_tx!(self, |tx| {
            if !personas::soft_delete(&tx, id, now).await? {
                return Err(Error::NotFound("Persona"));
            }
            record_item_change(&tx, now, actor, "persona_delete", "personaId", id).await
        })
    }

    async fn canned_responses(&self) -> Result<Vec<CannedResponse>> {
        let c = self.reader().await?;
        canned::list(&c).await
    }

    async fn canned_response(&self, id: &str) -> Result<Option<CannedResponse>> {
        let c = self.reader().await?;
        canned::get(&c, id).await
    }

    async fn create_canned_response(
        &self,
        id: &str,
        fields: CannedFields,
        actor: &str,
        now: Timestamp,
    ) -> Result<CannedResponse> {
        write_tx!(self, |tx| {
            canned::insert(&tx, id, &fields, actor, now)
                .await
                .map_err(shortcut_conflict)?;
            record_item_change(&tx, now, actor, "canned_create", "cannedId", id).await?;
            canned::get(&tx, id)
                .await?
                .ok_or(Error::NotFound("Canned response"))
        })
    }

    async fn update_canned_response(
        &self,
        id: &str,
        fields: CannedFields,
        actor: &str,
        now: Timestamp,
    ) -> Result<CannedResponse> {
        write_tx!(self, |tx| {
            if !canned::update(&tx, id, &fields, now)
                .await
                .map_err(shortcut_conflict)?
            {
                return Err(Error::NotFound("Canned response"));
            }
            record_item_change(&tx, now, actor, "canned_update", "cannedId", id).await?;
            canned::get(&tx, id)
                .await?
                .ok_or(Error::NotFound("Canned response"))
        })
    }

    async fn delete_canned_response(&self, id: &str, actor: &str, now: Timestamp) -> Result<()> {
        write_tx!(self, |tx| {
            if !canned::delete(&tx, id).await? {
                return Err(Error::NotFound("Canned response"));
            }
            record_item_change(&tx, now, actor, "canned_delete", "cannedId", id).await
        })
    }

    async fn record_audit(&self, event: NewAuditEvent) -> Result<()> {
        write_tx!(self, |tx| audit::record_event(&tx, &event).await)
    }

    async fn audit_events(
        &self,
        filter: AuditFilter,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<AuditEvent>, i64)> {
        let mut c = self.reader().await?;
        let tx = snapshot(&mut c).await?;
        let total = audit::count(&tx, &filter).await?;
        let page = audit::list(&tx, &filter, offset, limit).await?;
        tx.commit().await?;
        Ok((page, total))
    }

    async fn server_setting_or_init(&self, key: &str, candidate: String) -> Result<String> {
        write_tx!(self, |tx| server_settings::get_or_init(
            &tx, key, &candidate
        )
        .await)
    }

    async fn business_hours(&self) -> Result<Option<BusinessHours>> {
        let c = self.reader().await?;
        settings::business_hours(&c).await
    }

    async fn save_business_hours(
        &self,
        hours: BusinessHours,
        actor: &str,
        now: Timestamp,
    ) -> Result<BusinessHours> {
        // A summary: the audit page shows details inline, and 366 dates would swamp it.
        let detail = json!({
            "enabled": hours.enabled,
            "timeZone": hours.time_zone.name(),
            "weekly": hours.weekly_summary(),
            "closedDates": hours.closed_dates.len(),
        });
        write_tx!(self, |tx| {
            settings::set_business_hours(&tx, &hours, actor, now).await?;
            audit::record(&tx, now, Some(actor), "hours_update", None, Some(&detail)).await
        })?;
        Ok(hours)
    }

    async fn analytics_totals(&self, scope: Scope, now: Timestamp) -> Result<AnalyticsTotals> {
        let mut c = self.reader().await?;
        let tx = snapshot(&mut c).await?;
        // The same rule auto-assignment asks, not a second copy of it in SQL.
        let available_agents = agents::list_loads(&tx)
            .await?
            .iter()
            .filter(|a| a.available_for_auto(now))
            .count() as i64;
        let (days, rating_distribution, busiest_hours) =
            analytics::totals(&tx, scope.from, scope.to, scope.label_id.as_deref()).await?;
        tx.commit().await?;
        Ok(AnalyticsTotals {
            days,
            rating_distribution,
            busiest_hours,
            available_agents,
        })
    }

    async fn report_totals(&self, scope: Scope, max_sessions: i64) -> Result<ReportTotals> {
        let (from, to, label) = (scope.from, scope.to, scope.label_id.as_deref());
        let mut c = self.reader().await?;
        let tx = snapshot(&mut c).await?;
        let mut sums = analytics::label_totals(&tx, from, to).await?;
        let by_label = labels::list(&tx)
            .await?
            .into_iter()
            .map(|l| {
                let sum = sums.remove(&l.id).unwrap_or_default();
                (l, sum)
            })
            .collect();
        let totals = ReportTotals {
            days: analytics::totals(&tx, from, to, label).await?.0,
            agents: analytics::agent_totals(&tx, from, to, label).await?,
            sessions: analytics::session_usage(&tx, from, to, max_sessions, label).await?,
            labels: by_label,
        };
        tx.commit().await?;
        Ok(totals)
    }
}

/// Audits a change to one persona or canned response: who, what, and the item's id under `key`.
pub(super) async fn record_item_change(
    c: &impl GenericClient,
    now: Timestamp,
    actor: &str,
    action: &str,
    key: &str,
    id: &str,
) -> Result<()> {
    let detail = json!({ key: id });
    audit::record(c, now, Some(actor), action, None, Some(&detail)).await
}
