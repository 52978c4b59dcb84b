//! Managing agents, personas and canned responses, and reading the audit log.

use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Value, json};

use super::views;
use crate::domain::audit::AuditFilter;
use crate::error::Error;
use crate::http::envelope::{ApiOk, ApiResult};
use crate::http::extract::{AgentAuth, ApiJson, ApiQuery, AppState, page_param, present, required};
use crate::service::agents::{self, AgentPatch, NewAgentInput};
use crate::service::canned::{self, CannedInput};
use crate::service::personas::{self, PersonaInput};

pub async fn list_agents(
    State(ctx): State<AppState>,
    AgentAuth(actor): AgentAuth,
) -> ApiResult<Value> {
    let list = agents::list(&ctx, &actor).await?;
    Ok(ApiOk::new(
        "Agents retrieved successfully",
        json!({ "agents": list.iter().map(views::agent).collect::<Vec<_>>() }),
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateAgentBody {
    email: Option<String>,
    name: Option<String>,
    role: Option<String>,
    password: Option<String>,
    department: Option<String>,
    max_concurrent_chats: Option<i64>,
}

pub async fn create_agent(
    State(ctx): State<AppState>,
    AgentAuth(actor): AgentAuth,
    ApiJson(body): ApiJson<CreateAgentBody>,
) -> ApiResult<Value> {
    let input = NewAgentInput {
        email: required("email", body.email)?,
        name: required("name", body.name)?,
        role: required("role", body.role)?,
        password: required("password", body.password)?,
        department: body.department,
        max_concurrent_chats: body.max_concurrent_chats,
    };
    let view = agents::create(&ctx, Some(&actor), input).await?;
    Ok(ApiOk::new(
        "Agent created",
        json!({ "agent": views::agent(&view) }),
    ))
}

pub async fn get_agent(
    State(ctx): State<AppState>,
    AgentAuth(actor): AgentAuth,
    Path(id): Path<String>,
) -> ApiResult<Value> {
    let view = agents::get(&ctx, &actor, &id).await?;
    Ok(ApiOk::new(
        "Agent retrieved successfully",
        json!({ "agent": views::agent(&view) }),
    ))
}

/// `department: null` clears it; an absent field leaves it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateAgentBody {
    name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    department: Option<Option<String>>,
    role: Option<String>,
    max_concurrent_chats: Option<i64>,
    password: Option<String>,
}

pub async fn update_agent(
    State(ctx): State<AppState>,
    AgentAuth(actor): AgentAuth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<UpdateAgentBody>,
) -> ApiResult<Value> {
    let patch = AgentPatch {
        name: body.name,
        department: body.department,
        role: body.role,
        max_concurrent_chats: body.max_concurrent_chats,
        password: body.password,
    };
    let view = agents::update(&ctx, &actor, &id, patch).await?;
    Ok(ApiOk::new(
        "Agent updated",
        json!({ "agent": views::agent(&view) }),
    ))
}

pub async fn disable_agent(
    State(ctx): State<AppState>,
    AgentAuth(actor): AgentAuth,
    Path(id): Path<String>,
) -> ApiResult<Value> {
    let view = agents::disable(&ctx, Some(&actor), &id).await?;
    Ok(ApiOk::new(
        "Agent disabled",
        json!({ "agent": views::agent(&view) }),
    ))
}

pub async fn list_personas(
    State(ctx): State<AppState>,
    AgentAuth(actor): AgentAuth,
) -> ApiResult<Value> {
    let list = personas::list(&ctx, &actor).await?;
    Ok(ApiOk::new(
        "Personas retrieved successfully",
        json!({ "personas": list.iter().map(views::persona).collect::<Vec<_>>() }),
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PersonaBody {
    name: Option<String>,
    bio: Option<String>,
    avatar_url: Option<String>,
}

impl PersonaBody {
    fn input(self) -> Result<PersonaInput, Error> {
        PersonaInput::new(
            &required("name", self.name)?,
            self.bio.as_deref(),
            self.avatar_url.as_deref(),
        )
    }
}

pub async fn create_persona(
    State(ctx): State<AppState>,
    AgentAuth(actor): AgentAuth,
    ApiJson(body): ApiJson<PersonaBody>,
) -> ApiResult<Value> {
    let persona = personas::create(&ctx, &actor, body.input()?).await?;
    Ok(ApiOk::new(
        "Persona created",
        json!({ "persona": views::persona(&persona) }),
    ))
}

pub async fn get_persona(
    State(ctx): State<AppState>,
    AgentAuth(actor): AgentAuth,
    Path(id): Path<String>,
) -> ApiResult<Value> {
    let persona = personas::get(&ctx, &actor, &id).await?;
    Ok(ApiOk::new(
        "Persona retrieved successfully",
        json!({ "persona": views::persona(&persona) }),
    ))
}

pub async fn update_persona(
    State(ctx): State<AppState>,
    AgentAuth(actor): AgentAuth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<PersonaBody>,
) -> ApiResult<Value> {
    let persona = personas::update(&ctx, &actor, &id, body.input()?).await?;
    Ok(ApiOk::new(
        "Persona updated",
        json!({ "persona": views::persona(&persona) }),
    ))
}

pub async fn delete_persona(
    State(ctx): State<AppState>,
    AgentAuth(actor): AgentAuth,
    Path(id): Path<String>,
) -> ApiResult<Value> {
    personas::delete(&ctx, &actor, &id).await?;
    Ok(ApiOk::new("Persona deleted", json!({ "personaId": id })))
}

pub async fn list_canned(
    State(ctx): State<AppState>,
    AgentAuth(actor): AgentAuth,
) -> ApiResult<Value> {
    let list = canned::list(&ctx, &actor).await?;
    Ok(ApiOk::new(
        "Canned responses retrieved successfully",
        json!({ "cannedResponses": list.iter().map(views::canned).collect::<Vec<_>>() }),
    ))
}

#[derive(Deserialize)]
pub struct CannedBody {
    title: Option<String>,
    shortcut: Option<String>,
    text: Option<String>,
}

impl CannedBody {
    fn input(self) -> Result<CannedInput, Error> {
        CannedInput::new(
            &required("title", self.title)?,
            &required("shortcut", self.shortcut)?,
            &required("text", self.text)?,
        )
    }
}

pub async fn create_canned(
    State(ctx): State<AppState>,
    AgentAuth(actor): AgentAuth,
    ApiJson(body): ApiJson<CannedBody>,
) -> ApiResult<Value> {
    let row = canned::create(&ctx, &actor, body.input()?).await?;
    Ok(ApiOk::new(
        "Canned response created",
        json!({ "cannedResponse": views::canned(&row) }),
    ))
}

pub async fn get_canned(
    State(ctx): State<AppState>,
    AgentAuth(actor): AgentAuth,
    Path(id): Path<String>,
) -> ApiResult<Value> {
    let row = canned::get(&ctx, &actor, &id).await?;
    Ok(ApiOk::new(
        "Canned response retrieved successfully",
        json!({ "cannedResponse": views::canned(&row) }),
    ))
}

pub async fn update_canned(
    State(ctx): State<AppState>,
    AgentAuth(actor): AgentAuth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CannedBody>,
) -> ApiResult<Value> {
    let row = canned::update(&ctx, &actor, &id, body.input()?).await?;
    Ok(ApiOk::new(
        "Canned response updated",
        json!({ "cannedResponse": views::canned(&row) }),
    ))
}

pub async fn delete_canned(
    State(ctx): State<AppState>,
    AgentAuth(actor): AgentAuth,
    Path(id): Path<String>,
) -> ApiResult<Value> {
    canned::delete(&ctx, &actor, &id).await?;
    Ok(ApiOk::new("Canned response deleted", json!({ "id": id })))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditQuery {
    session_id: Option<String>,
    agent_id: Option<String>,
    action: Option<String>,
    page: Option<String>,
    limit: Option<String>,
}

pub async fn audit(
    State(ctx): State<AppState>,
    AgentAuth(actor): AgentAuth,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Value> {
    let page = page_param(q.page.as_deref(), q.limit.as_deref(), 50, 200)?;
    let filter = AuditFilter {
        session_id: q.session_id.filter(|s| !s.is_empty()),
        agent_id: q.agent_id.filter(|s| !s.is_empty()),
        action: q.action.filter(|s| !s.is_empty()),
    };
    let (rows, pages, total) = crate::service::audit::list(&ctx, &actor, filter, page).await?;
    Ok(ApiOk::new(
        "Audit log retrieved successfully",
        json!({
            "events": rows.iter().map(views::audit).collect::<Vec<_>>(),
            "pagination": crate::http::api::views::pagination(pages, "totalEvents", total),
        }),
    ))
}
