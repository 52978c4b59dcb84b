//! The team's side as storage sees it: agents, their sign-ins and dashboard sessions, personas,
//! canned replies, the audit log, server settings and analytics. Every method is one atomic unit
//! of work and its doc comment states the guarantee it keeps even when several writers commit at
//! once. Methods that change something record it in the audit log in the same unit of work,
//! under the action name their comment gives, so the log never disagrees with the data.

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

/// Server setting: the key agent tokens are signed with.
pub const AGENT_TOKEN_SECRET: &str = "agent_token_secret";

/// Everything the analytics page needs from one consistent read.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AnalyticsTotals {
    /// Days of the range with activity, by date.
    pub days: Vec<DayTotals>,
    /// Ratings of the range by value; index 0 is rating 1.
    pub rating_distribution: [i64; 5],
    /// User messages of the range by UTC hour of day.
    pub busiest_hours: [i64; 24],
    /// Agents who could take another chat now.
    pub available_agents: i64,
}

/// Everything a report needs from one consistent read.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReportTotals {
    pub days: Vec<DayTotals>,
    pub agents: Vec<AgentTotals>,
    pub sessions: Vec<SessionUsage>,
    /// Every label with the sums of the chats carrying it, by name.
    pub labels: Vec<(Label, DayTotals)>,
}

/// Which chats' numbers are asked for: those of `[from, to)`, all of them or only those
/// carrying `label_id`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scope {
    pub from: Timestamp,
    pub to: Timestamp,
    pub label_id: Option<String>,
}

/// Storage for the team and the business's configuration.
#[async_trait]
pub trait TeamStore: Send + Sync {
    // ---- agents ----

    /// Inserts an agent (audit `agent_create` by `actor`); a taken email (emails are unique)
    /// fails with `Error::Conflict` and changes nothing.
    async fn create_agent(
        &self,
        agent: NewAgent,
        actor: Option<&str>,
        now: Timestamp,
    ) -> Result<AgentLoad>;

    /// The agent with this id, disabled or not, with their active chat count.
    async fn agent(&self, id: &str) -> Result<Option<AgentLoad>>;

    /// Every agent with their active chat count: enabled first, then by name and email.
    async fn agents(&self) -> Result<Vec<AgentLoad>>;

    /// The agent with exactly this email and their password hash, for a sign-in to check.
    async fn agent_credentials(&self, email: &str) -> Result<Option<AgentCredentials>>;

    /// Applies `change` (audit `agent_update` by `actor`). Fails with `Error::NotFound` for an
    /// unknown id and with `Error::Conflict`, changing nothing, when it would demote the last
    /// enabled super admin: the demotion is one conditional statement that requires another
    /// enabled super admin to exist when it commits. A new password hash also ends every token
    /// and dashboard session of the agent.
    async fn update_agent(
        &self,
        id: &str,
        change: AgentChange,
        actor: &str,
        now: Timestamp,
    ) -> Result<AgentLoad>;

    /// Disables the agent: takes them offline, voids their tokens and dashboard sessions and
    /// returns their active chats to the queue (audit `release` per chat, then `agent_disable`
    /// by `actor`), all in one unit of work. Fails with `Error::NotFound` for an unknown id and
    /// with `Error::Conflict`, changing nothing, when the agent is the last enabled super admin;
    /// two such disables racing never leave zero enabled super admins.
    async fn disable_agent(
        &self,
        id: &str,
        actor: Option<&str>,
        now: Timestamp,
    ) -> Result<DisabledAgent>;

    /// Sets the agent's own online flag and `last_seen_at` and records `action` (a sign-in or
    /// a status change) by the agent. `Error::NotFound` for an unknown id.
    async fn set_agent_online(
        &self,
        id: &str,
        online: bool,
        action: &str,
        now: Timestamp,
    ) -> Result<AgentLoad>;

    /// Moves `last_seen_at` to `now` (never backwards: a late, older touch is ignored).
    async fn touch_agent(&self, id: &str, now: Timestamp) -> Result<()>;

    /// Replaces the password hash, ends every token and dashboard session of the agent
    /// (audit `agent_password_reset`). `Error::NotFound` for an unknown id.
    async fn set_agent_password(&self, id: &str, password_hash: &str, now: Timestamp)
    -> Result<()>;

    /// Signs the agent out of the admin API: takes them offline and bumps their token version,
    /// so every bearer token issued before stops working, in one unit of work (audit
    /// `api_logout` by the agent). Dashboard sessions are left alone. `Error::NotFound` for an
    /// unknown id.
    async fn sign_out_agent(&self, id: &str, now: Timestamp) -> Result<AgentLoad>;

    // ---- first-run setup ----

    /// The first-run setup token while there is no agent: the stored one, or `candidate`
    /// stored and returned when there is none (concurrent callers all get the same token).
    /// Once an agent exists the token is deleted and the answer is `None`.
    async fn setup_token_or_init(&self, candidate: String) -> Result<Option<String>>;

    /// The live setup token, if there is no agent yet and one was issued.
    async fn setup_token(&self) -> Result<Option<String>>;

    /// Consumes the setup token `token` and creates the first agent in the same unit of work.
    /// The token is deleted by one conditional statement, so of concurrent attempts exactly one
    /// succeeds; the others (and a wrong token) fail with `Error::Forbidden`.
    async fn complete_setup(
        &self,
        token: &str,
        agent: NewAgent,
        now: Timestamp,
    ) -> Result<AgentLoad>;

    // ---- dashboard sessions ----

    /// Stores a new dashboard session and marks its agent online (audit `dashboard_login`).
    async fn start_dashboard_session(&self, session: DashboardSessionRecord) -> Result<AgentLoad>;

    /// The dashboard session with this token hash, if it exists.
    async fn dashboard_session(&self, token_hash: &str) -> Result<Option<DashboardSessionRecord>>;

    /// Moves the session's `last_seen_at` forward to `now` (never backwards).
    async fn touch_dashboard_session(&self, token_hash: &str, now: Timestamp) -> Result<()>;

    /// Forgets one dashboard session (it expired); deleting one that is gone is not an error.
    async fn delete_dashboard_session(&self, token_hash: &str) -> Result<()>;

    /// Signs out: forgets the session and takes its agent offline (audit `dashboard_logout`).
    async fn end_dashboard_session(
        &self,
        token_hash: &str,
        agent_id: &str,
        now: Timestamp,
    ) -> Result<()>;

    /// Forgets every dashboard session idle since before `cutoff`; returns how many.
    async fn delete_idle_dashboard_sessions(&self, cutoff: Timestamp) -> Result<usize>;

    // ---- personas ----

    /// Personas that can be chosen (not deleted), by name then id.
    async fn personas(&self) -> Result<Vec<Persona>>;

    /// A persona by id, deleted or not (history shows deleted personas' names).
    async fn persona(&self, id: &str) -> Result<Option<Persona>>;

    /// Inserts a persona with the caller's id (audit `persona_create` by `actor`).
    async fn create_persona(
        &self,
        id: &str,
        fields: PersonaFields,
        actor: &str,
        now: Timestamp,
    ) -> Result<Persona>;

    /// Updates a persona that is not deleted (audit `persona_update`); `Error::NotFound` when
    /// there is none, deleted ones included.
    async fn update_persona(
        &self,
        id: &str,
        fields: PersonaFields,
        actor: &str,
        now: Timestamp,
    ) -> Result<Persona>;

    /// Soft-deletes a persona (audit `persona_delete`); `Error::NotFound` when it does not
    /// exist or is already deleted, so of concurrent deletes exactly one succeeds.
    async fn delete_persona(&self, id: &str, actor: &str, now: Timestamp) -> Result<()>;

    // ---- canned responses ----

    /// Every canned response, by shortcut.
    async fn canned_responses(&self) -> Result<Vec<CannedResponse>>;

    /// The canned response with this id, if it exists.
    async fn canned_response(&self, id: &str) -> Result<Option<CannedResponse>>;

    /// Inserts a canned response (audit `canned_create`); a taken shortcut (shortcuts are
    /// unique) fails with `Error::Conflict` and changes nothing.
    async fn create_canned_response(
        &self,
        id: &str,
        fields: CannedFields,
        actor: &str,
        now: Timestamp,
    ) -> Result<CannedResponse>;

    /// Replaces a canned response's fields (audit `canned_update`); `Error::NotFound` when
    /// there is none, `Error::Conflict` when the new shortcut is taken.
    async fn update_canned_response(
        &self,
        id: &str,
        fields: CannedFields,
        actor: &str,
        now: Timestamp,
    ) -> Result<CannedResponse>;

    /// Deletes a canned response (audit `canned_delete`); `Error::NotFound` when there is none.
    async fn delete_canned_response(&self, id: &str, actor: &str, now: Timestamp) -> Result<()>;

    // ---- audit log ----

    /// Records one event on its own (actions record theirs inside their own unit of work).
    async fn record_audit(&self, event: NewAuditEvent) -> Result<()>;

    /// One page of matching events, newest (highest `seq`) first, and how many match in all.
    async fn audit_events(
        &self,
        filter: AuditFilter,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<AuditEvent>, i64)>;

    // ---- server settings ----

    /// The stored value of `key`, or `candidate` stored and returned when there is none. The
    /// first value stored wins: concurrent callers all get the same answer.
    async fn server_setting_or_init(&self, key: &str, candidate: String) -> Result<String>;

    // ---- business settings ----

    /// The business hours last saved, `None` when they were never set.
    async fn business_hours(&self) -> Result<Option<BusinessHours>>;

    /// Replaces the business hours (audit `hours_update` by `actor`, with a summary of the new
    /// schedule: zone, week and how many closed dates).
    async fn save_business_hours(
        &self,
        hours: BusinessHours,
        actor: &str,
        now: Timestamp,
    ) -> Result<BusinessHours>;

    // ---- analytics ----

    /// Analytics of `scope` and who is available at `now`, from one consistent read.
    async fn analytics_totals(&self, scope: Scope, now: Timestamp) -> Result<AnalyticsTotals>;

    /// Report tables of `scope` (at most `max_sessions` usage rows), from one read.
    async fn report_totals(&self, scope: Scope, max_sessions: i64) -> Result<ReportTotals>;
}
