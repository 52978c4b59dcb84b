//! The PostgreSQL side of [`crate::store::TeamStore`].

use async_trait::async_trait;
use crate::domain::Timestamp;
use crate::domain::agent::{AgentChange, AgentCredentials, AgentLoad, DisabledAgent, NewAgent};
use crate::domain::analytics::{AgentTotals, DayTotals, SessionUsage};
use crate::domain::audit::{AuditEvent, AuditFilter, NewAuditEvent};
use crate::domain::canned::{CannedFields, CannedResponse};
use crate::domain::dashboard_session::DashboardSessionRecord;
use crate::domain::hours::BusinessHours;
use crate::domain::label::Label;
use crate::domain::persona::{Persona, PersonaFields};
use crate::error::Result;
use crate::store::team::*;
use crate::store::postgres::PgStore;

#[async_trait]
impl TeamStore for PgStore {
    async fn create_agent(
        &self,
        _agent: NewAgent,
        _actor: Option<&str>,
        _now: Timestamp,
    ) -> Result<AgentLoad> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn agent(&self, _id: &str) -> Result<Option<AgentLoad>> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn agents(&self) -> Result<Vec<AgentLoad>> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn agent_credentials(&self, _email: &str) -> Result<Option<AgentCredentials>> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn update_agent(
        &self,
        _id: &str,
        _change: AgentChange,
        _actor: &str,
        _now: Timestamp,
    ) -> Result<AgentLoad> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn disable_agent(
        &self,
        _id: &str,
        _actor: Option<&str>,
        _now: Timestamp,
    ) -> Result<DisabledAgent> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn set_agent_online(
        &self,
        _id: &str,
        _online: bool,
        _action: &str,
        _now: Timestamp,
    ) -> Result<AgentLoad> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn touch_agent(&self, _id: &str, _now: Timestamp) -> Result<()> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn set_agent_password(&self, _id: &str, _password_hash: &str, _now: Timestamp)
    -> Result<()> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn sign_out_agent(&self, _id: &str, _now: Timestamp) -> Result<AgentLoad> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn setup_token_or_init(&self, _candidate: String) -> Result<Option<String>> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn setup_token(&self) -> Result<Option<String>> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn complete_setup(
        &self,
        _token: &str,
        _agent: NewAgent,
        _now: Timestamp,
    ) -> Result<AgentLoad> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn start_dashboard_session(&self, _session: DashboardSessionRecord) -> Result<AgentLoad> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn dashboard_session(&self, _token_hash: &str) -> Result<Option<DashboardSessionRecord>> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn touch_dashboard_session(&self, _token_hash: &str, _now: Timestamp) -> Result<()> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn delete_dashboard_session(&self, _token_hash: &str) -> Result<()> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn end_dashboard_session(
        &self,
        _token_hash: &str,
        _agent_id: &str,
        _now: Timestamp,
    ) -> Result<()> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn delete_idle_dashboard_sessions(&self, _cutoff: Timestamp) -> Result<usize> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn personas(&self) -> Result<Vec<Persona>> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn persona(&self, _id: &str) -> Result<Option<Persona>> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn create_persona(
        &self,
        _id: &str,
        _fields: PersonaFields,
        _actor: &str,
        _now: Timestamp,
    ) -> Result<Persona> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn update_persona(
        &self,
        _id: &str,
        _fields: PersonaFields,
        _actor: &str,
        _now: Timestamp,
    ) -> Result<Persona> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn delete_persona(&self, _id: &str, _actor: &str, _now: Timestamp) -> Result<()> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn canned_responses(&self) -> Result<Vec<CannedResponse>> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn canned_response(&self, _id: &str) -> Result<Option<CannedResponse>> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn create_canned_response(
        &self,
        _id: &str,
        _fields: CannedFields,
        _actor: &str,
        _now: Timestamp,
    ) -> Result<CannedResponse> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn update_canned_response(
        &self,
        _id: &str,
        _fields: CannedFields,
        _actor: &str,
        _now: Timestamp,
    ) -> Result<CannedResponse> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn delete_canned_response(&self, _id: &str, _actor: &str, _now: Timestamp) -> Result<()> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn record_audit(&self, _event: NewAuditEvent) -> Result<()> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn audit_events(
        &self,
        _filter: AuditFilter,
        _offset: i64,
        _limit: i64,
    ) -> Result<(Vec<AuditEvent>, i64)> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn server_setting_or_init(&self, _key: &str, _candidate: String) -> Result<String> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn business_hours(&self) -> Result<Option<BusinessHours>> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn save_business_hours(
        &self,
        _hours: BusinessHours,
        _actor: &str,
        _now: Timestamp,
    ) -> Result<BusinessHours> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn analytics_totals(&self, _scope: Scope, _now: Timestamp) -> Result<AnalyticsTotals> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn report_totals(&self, _scope: Scope, _max_sessions: i64) -> Result<ReportTotals> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

}

/// Audits a change to one persona or canned response: who, what, and the item's id under `key`.
pub(super) async fn record_item_change(
    c: &impl deadpool_postgres::GenericClient,
    now: Timestamp,
    actor: &str,
    action: &str,
    key: &str,
    id: &str,
) -> Result<()> {
    let detail = serde_json::json!({ key: id });
    super::audit::record(c, now, Some(actor), action, None, Some(&detail)).await
}
