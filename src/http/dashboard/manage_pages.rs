//! Management pages: agents, personas and canned responses (plain forms, Post/Redirect/Get),
//! and the audit log. A form error re-renders the page with the message and the status code.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::error::{PageError, PageResult};
use super::form::Form;
use super::session::{DashboardAuth, see_other};
use super::views::{Layout, date_time};
use crate::domain::audit::AuditFilter;
use crate::domain::{Permission, Role};
use crate::error::Error;
use crate::http::extract::{AppState, page_param};
use crate::service::agents::{self, AgentPatch, NewAgentInput};
use crate::service::canned::{self, CannedInput};
use crate::service::dashboard_auth::DashboardSession;
use crate::service::personas::{self, PersonaInput};

/// Errors a form can show next to itself; anything else is a page error.
fn form_error(e: Error) -> Result<(StatusCode, String), PageError> {
    match e {
        Error::Validation { .. } => Ok((StatusCode::BAD_REQUEST, e.to_string())),
        Error::Conflict(_) | Error::AgentAtCapacity => Ok((StatusCode::CONFLICT, e.to_string())),
        Error::NotFound(_) => Ok((StatusCode::NOT_FOUND, e.to_string())),
        other => Err(other.into()),
    }
}

fn empty_to_none(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

// ---- agents ----

pub struct AgentLine {
    pub id: String,
    pub name: String,
    pub email: String,
    pub department: String,
    pub role: &'static str,
    pub capacity: i64,
    pub load: i64,
    pub online: bool,
    pub disabled: bool,
    pub is_me: bool,
}

pub struct RoleOption {
    pub value: &'static str,
    pub label: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "dashboard/agents_page.html")]
pub struct AgentsPage {
    layout: Layout,
    agents: Vec<AgentLine>,
    roles: Vec<RoleOption>,
    error: Option<String>,
}

async fn agents_page(
    ctx: &AppState,
    session: &DashboardSession,
    error: Option<String>,
) -> PageResult<AgentsPage> {
    session.agent.require(Permission::ManageAgents)?;
    let agents = agents::list(ctx, &session.agent)
        .await?
        .into_iter()
        .map(|a| AgentLine {
            is_me: a.row.id == session.agent.id,
            id: a.row.id,
            name: a.row.name,
            email: a.row.email,
            department: a.row.department.unwrap_or_default(),
            role: a.row.role.as_str(),
            capacity: a.row.max_concurrent_chats,
            load: a.active_chats,
            online: a.online,
            disabled: a.row.disabled,
        })
        .collect();
    Ok(AgentsPage {
        layout: Layout::new(session, "agents"),
        agents,
        roles: Role::ALL
            .into_iter()
            .map(|r| RoleOption {
                value: r.as_str(),
                label: r.label(),
            })
            .collect(),
        error,
    })
}

pub async fn agents(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
) -> PageResult<AgentsPage> {
    agents_page(&ctx, &session, None).await
}

async fn agents_outcome(
    ctx: &AppState,
    session: &DashboardSession,
    result: Result<(), Error>,
) -> PageResult<Response> {
    match result {
        Ok(()) => Ok(see_other("/admin/agents")),
        Err(e) => {
            let (status, message) = form_error(e)?;
            Ok((status, agents_page(ctx, session, Some(message)).await?).into_response())
        }
    }
}

#[derive(Deserialize)]
pub struct NewAgentForm {
    email: String,
    name: String,
    role: String,
    password: String,
    department: Option<String>,
    capacity: Option<String>,
}

fn capacity(raw: Option<&str>) -> Result<Option<i64>, Error> {
    match raw.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => v.parse().map(Some).map_err(|_| {
            Error::validation("maxConcurrentChats", "Capacity must be a whole number")
        }),
    }
}

pub async fn create_agent(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
    Form(form): Form<NewAgentForm>,
) -> PageResult<Response> {
    let result = async {
        let input = NewAgentInput {
            email: form.email,
            name: form.name,
            role: form.role,
            password: form.password,
            department: empty_to_none(form.department),
            max_concurrent_chats: capacity(form.capacity.as_deref())?,
        };
        agents::create(&ctx, Some(&session.agent), input)
            .await
            .map(|_| ())
    }
    .await;
    agents_outcome(&ctx, &session, result).await
}

#[derive(Deserialize)]
pub struct UpdateAgentForm {
    role: String,
    capacity: String,
}

pub async fn update_agent(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
    Path(id): Path<String>,
    Form(form): Form<UpdateAgentForm>,
) -> PageResult<Response> {
    let result = async {
        let patch = AgentPatch {
            role: Some(form.role),
            max_concurrent_chats: capacity(Some(&form.capacity))?,
            ..AgentPatch::default()
        };
        agents::update(&ctx, &session.agent, &id, patch)
            .await
            .map(|_| ())
    }
    .await;
    agents_outcome(&ctx, &session, result).await
}

pub async fn disable_agent(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
    Path(id): Path<String>,
) -> PageResult<Response> {
    let result = agents::disable(&ctx, Some(&session.agent), &id)
        .await
        .map(|_| ());
    agents_outcome(&ctx, &session, result).await
}

// ---- personas ----

pub struct PersonaLine {
    pub id: String,
    pub name: String,
    pub bio: String,
    pub avatar_url: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "dashboard/personas_page.html")]
pub struct PersonasPage {
    layout: Layout,
    personas: Vec<PersonaLine>,
    error: Option<String>,
}

async fn personas_page(
    ctx: &AppState,
    session: &DashboardSession,
    error: Option<String>,
) -> PageResult<PersonasPage> {
    session.agent.require(Permission::ManagePersonas)?;
    let personas = personas::list(ctx, &session.agent)
        .await?
        .into_iter()
        .map(|p| PersonaLine {
            id: p.id,
            name: p.name,
            bio: p.bio.unwrap_or_default(),
            avatar_url: p.avatar_url.unwrap_or_default(),
        })
        .collect();
    Ok(PersonasPage {
        layout: Layout::new(session, "personas"),
        personas,
        error,
    })
}

pub async fn personas_list(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
) -> PageResult<PersonasPage> {
    personas_page(&ctx, &session, None).await
}

async fn personas_outcome(
    ctx: &AppState,
    session: &DashboardSession,
    result: Result<(), Error>,
) -> PageResult<Response> {
    match result {
        Ok(()) => Ok(see_other("/admin/personas")),
        Err(e) => {
            let (status, message) = form_error(e)?;
            Ok((status, personas_page(ctx, session, Some(message)).await?).into_response())
        }
    }
}

#[derive(Deserialize)]
pub struct PersonaForm {
    name: String,
    bio: Option<String>,
    avatar_url: Option<String>,
}

impl PersonaForm {
    fn input(&self) -> Result<PersonaInput, Error> {
        PersonaInput::new(&self.name, self.bio.as_deref(), self.avatar_url.as_deref())
    }
}

pub async fn create_persona(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
    Form(form): Form<PersonaForm>,
) -> PageResult<Response> {
    let result = async {
        personas::create(&ctx, &session.agent, form.input()?)
            .await
            .map(|_| ())
    }
    .await;
    personas_outcome(&ctx, &session, result).await
}

pub async fn update_persona(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
    Path(id): Path<String>,
    Form(form): Form<PersonaForm>,
) -> PageResult<Response> {
    let result = async {
        personas::update(&ctx, &session.agent, &id, form.input()?)
            .await
            .map(|_| ())
    }
    .await;
    personas_outcome(&ctx, &session, result).await
}

pub async fn delete_persona(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
    Path(id): Path<String>,
) -> PageResult<Response> {
    let result = personas::delete(&ctx, &session.agent, &id).await;
    personas_outcome(&ctx, &session, result).await
}

// ---- canned responses ----

pub struct CannedLine {
    pub id: String,
    pub title: String,
    pub shortcut: String,
    pub text: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "dashboard/canned_page.html")]
pub struct CannedPage {
    layout: Layout,
    responses: Vec<CannedLine>,
    can_edit: bool,
    error: Option<String>,
}

async fn canned_page(
    ctx: &AppState,
    session: &DashboardSession,
    error: Option<String>,
) -> PageResult<CannedPage> {
    let responses = canned::list(ctx, &session.agent)
        .await?
        .into_iter()
        .map(|c| CannedLine {
            id: c.id,
            title: c.title,
            shortcut: c.shortcut,
            text: c.body,
        })
        .collect();
    Ok(CannedPage {
        layout: Layout::new(session, "canned"),
        responses,
        can_edit: session.agent.role.can(Permission::ManageCannedResponses),
        error,
    })
}

pub async fn canned_list(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
) -> PageResult<CannedPage> {
    canned_page(&ctx, &session, None).await
}

async fn canned_outcome(
    ctx: &AppState,
    session: &DashboardSession,
    result: Result<(), Error>,
) -> PageResult<Response> {
    match result {
        Ok(()) => Ok(see_other("/admin/canned")),
        Err(e) => {
            let (status, message) = form_error(e)?;
            Ok((status, canned_page(ctx, session, Some(message)).await?).into_response())
        }
    }
}

#[derive(Deserialize)]
pub struct CannedForm {
    title: String,
    shortcut: String,
    text: String,
}

impl CannedForm {
    fn input(&self) -> Result<CannedInput, Error> {
        CannedInput::new(&self.title, &self.shortcut, &self.text)
    }
}

pub async fn create_canned(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
    Form(form): Form<CannedForm>,
) -> PageResult<Response> {
    let result = async {
        canned::create(&ctx, &session.agent, form.input()?)
            .await
            .map(|_| ())
    }
    .await;
    canned_outcome(&ctx, &session, result).await
}

pub async fn update_canned(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
    Path(id): Path<String>,
    Form(form): Form<CannedForm>,
) -> PageResult<Response> {
    let result = async {
        canned::update(&ctx, &session.agent, &id, form.input()?)
            .await
            .map(|_| ())
    }
    .await;
    canned_outcome(&ctx, &session, result).await
}

pub async fn delete_canned(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
    Path(id): Path<String>,
) -> PageResult<Response> {
    let result = canned::delete(&ctx, &session.agent, &id).await;
    canned_outcome(&ctx, &session, result).await
}

// ---- audit log ----

pub struct AuditLine {
    pub at: String,
    pub agent: String,
    pub action: String,
    pub session: Option<String>,
    pub detail: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "dashboard/audit_page.html")]
pub struct AuditPage {
    layout: Layout,
    events: Vec<AuditLine>,
    page: i64,
    total_pages: i64,
    previous: Option<i64>,
    next: Option<i64>,
}

#[derive(Deserialize)]
pub struct AuditQuery {
    page: Option<String>,
}

pub async fn audit(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
    Query(q): Query<AuditQuery>,
) -> PageResult<AuditPage> {
    let request = page_param(q.page.as_deref(), None, 50, 50)?;
    let (rows, pages, _) =
        crate::service::audit::list(&ctx, &session.agent, AuditFilter::default(), request).await?;
    Ok(AuditPage {
        layout: Layout::new(&session, "audit"),
        events: rows
            .into_iter()
            .map(|e| AuditLine {
                at: date_time(e.at),
                agent: e.agent_name.unwrap_or_else(|| "system".into()),
                action: e.action,
                session: e.session_id,
                detail: e.detail.map(|d| d.to_string()).unwrap_or_default(),
            })
            .collect(),
        page: pages.current_page,
        total_pages: pages.total_pages.max(1),
        previous: pages.has_previous.then(|| pages.current_page - 1),
        next: pages.has_next.then(|| pages.current_page + 1),
    })
}
