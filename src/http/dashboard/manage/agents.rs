//! The agents page: list with load and presence, add, change role and capacity, disable.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::empty_to_none;
use super::form_error;
use crate::domain::{Permission, Role};
use crate::error::Error;
use crate::http::dashboard::error::PageResult;
use crate::http::dashboard::form::Form;
use crate::http::dashboard::hypermedia::{ItemUrl, Url};
use crate::http::dashboard::session::{DashboardAuth, see_other};
use crate::http::dashboard::views::Layout;
use crate::http::extract::AppState;
use crate::service::agents::{self, AgentPatch, NewAgentInput};
use crate::service::dashboard_auth::DashboardSession;

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
            is_me: a.agent.id == session.agent.id,
            id: a.agent.id,
            name: a.agent.name,
            email: a.agent.email,
            department: a.agent.department.unwrap_or_default(),
            role: a.agent.role.as_str(),
            capacity: a.agent.max_concurrent_chats,
            load: a.active_chats,
            online: a.online,
            disabled: a.agent.disabled,
        })
        .collect();
    Ok(AgentsPage {
        layout: Layout::new(session, Url::Agents),
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

pub async fn page(
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
        Ok(()) => Ok(see_other(Url::Agents.as_str())),
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

pub async fn create(
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

pub async fn update(
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

pub async fn disable(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
    Path(id): Path<String>,
) -> PageResult<Response> {
    let result = agents::disable(&ctx, Some(&session.agent), &id)
        .await
        .map(|_| ());
    agents_outcome(&ctx, &session, result).await
}
