//! Managing agents, personas and canned responses, and reading the audit log.

use axum::extract::State;
use serde::Deserialize;

use super::answers::{
    AgentAnswer, AgentsAnswer, AuditAnswer, AuditEntry, CannedAnswer, CannedDeleted, CannedList,
    OneAgent, OneCanned, OnePersona, PersonaAnswer, PersonaDeleted, PersonaList,
};
use crate::domain::audit::AuditFilter;
use crate::error::Error;
use crate::http::api::answers::EventsPage;
use crate::http::envelope::{ApiOk, ApiResult};
use crate::http::extract::{
    AgentAuth, ApiJson, ApiPath, ApiQuery, AppState, page_param, present, required,
};
use crate::service::agents::{self, AgentPatch, NewAgentInput};
use crate::service::canned::{self, CannedInput};
use crate::service::personas::{self, PersonaInput};

pub async fn list_agents(
    State(ctx): State<AppState>,
    AgentAuth(actor): AgentAuth,
) -> ApiResult<AgentsAnswer> {
    let list = agents::list(&ctx, &actor).await?;
    Ok(ApiOk::new(
        "Agents retrieved successfully",
        AgentsAnswer {
            agents: list.iter().map(AgentAnswer::from).collect(),
        },
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
) -> ApiResult<OneAgent> {
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
        OneAgent {
            agent: AgentAnswer::from(&view),
        },
    ))
}

pub async fn get_agent(
    State(ctx): State<AppState>,
    AgentAuth(actor): AgentAuth,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<OneAgent> {
    let view = agents::get(&ctx, &actor, &id).await?;
    Ok(ApiOk::new(
        "Agent retrieved successfully",
        OneAgent {
            agent: AgentAnswer::from(&view),
        },
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
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<UpdateAgentBody>,
) -> ApiResult<OneAgent> {
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
        OneAgent {
            agent: AgentAnswer::from(&view),
        },
    ))
}

pub async fn disable_agent(
    State(ctx): State<AppState>,
    AgentAuth(actor): AgentAuth,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<OneAgent> {
    let view = agents::disable(&ctx, Some(&actor), &id).await?;
    Ok(ApiOk::new(
        "Agent disabled",
        OneAgent {
            agent: AgentAnswer::from(&view),
        },
    ))
}

pub async fn list_personas(
    State(ctx): State<AppState>,
    AgentAuth(actor): AgentAuth,
) -> ApiResult<PersonaList> {
    let list = personas::list(&ctx, &actor).await?;
    Ok(ApiOk::new(
        "Personas retrieved successfully",
        PersonaList {
            personas: list.iter().map(PersonaAnswer::from).collect(),
        },
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
) -> ApiResult<OnePersona> {
    let persona = personas::create(&ctx, &actor, body.input()?).await?;
    Ok(ApiOk::new(
        "Persona created",
        OnePersona {
            persona: PersonaAnswer::from(&persona),
        },
    ))
}

pub async fn get_persona(
    State(ctx): State<AppState>,
    AgentAuth(actor): AgentAuth,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<OnePersona> {
    let persona = personas::get(&ctx, &actor, &id).await?;
    Ok(ApiOk::new(
        "Persona retrieved successfully",
        OnePersona {
            persona: PersonaAnswer::from(&persona),
        },
    ))
}

pub async fn update_persona(
    State(ctx): State<AppState>,
    AgentAuth(actor): AgentAuth,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<PersonaBody>,
) -> ApiResult<OnePersona> {
    let persona = personas::update(&ctx, &actor, &id, body.input()?).await?;
    Ok(ApiOk::new(
        "Persona updated",
        OnePersona {
            persona: PersonaAnswer::from(&persona),
        },
    ))
}

pub async fn delete_persona(
    State(ctx): State<AppState>,
    AgentAuth(actor): AgentAuth,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<PersonaDeleted> {
    personas::delete(&ctx, &actor, &id).await?;
    Ok(ApiOk::new(
        "Persona deleted",
        PersonaDeleted { persona_id: id },
    ))
}

pub async fn list_canned(
    State(ctx): State<AppState>,
    AgentAuth(actor): AgentAuth,
) -> ApiResult<CannedList> {
    let list = canned::list(&ctx, &actor).await?;
    Ok(ApiOk::new(
        "Canned responses retrieved successfully",
        CannedList {
            canned_responses: list.into_iter().map(CannedAnswer::from).collect(),
        },
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
) -> ApiResult<OneCanned> {
    let row = canned::create(&ctx, &actor, body.input()?).await?;
    Ok(ApiOk::new(
        "Canned response created",
        OneCanned {
            canned_response: CannedAnswer::from(row),
        },
    ))
}

pub async fn get_canned(
    State(ctx): State<AppState>,
    AgentAuth(actor): AgentAuth,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<OneCanned> {
    let row = canned::get(&ctx, &actor, &id).await?;
    Ok(ApiOk::new(
        "Canned response retrieved successfully",
        OneCanned {
            canned_response: CannedAnswer::from(row),
        },
    ))
}

pub async fn update_canned(
    State(ctx): State<AppState>,
    AgentAuth(actor): AgentAuth,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<CannedBody>,
) -> ApiResult<OneCanned> {
    let row = canned::update(&ctx, &actor, &id, body.input()?).await?;
    Ok(ApiOk::new(
        "Canned response updated",
        OneCanned {
            canned_response: CannedAnswer::from(row),
        },
    ))
}

pub async fn delete_canned(
    State(ctx): State<AppState>,
    AgentAuth(actor): AgentAuth,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<CannedDeleted> {
    canned::delete(&ctx, &actor, &id).await?;
    Ok(ApiOk::new("Canned response deleted", CannedDeleted { id }))
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
) -> ApiResult<AuditAnswer> {
    let page = page_param(q.page.as_deref(), q.limit.as_deref(), 50, 200)?;
    let filter = AuditFilter {
        session_id: q.session_id.filter(|s| !s.is_empty()),
        agent_id: q.agent_id.filter(|s| !s.is_empty()),
        action: q.action.filter(|s| !s.is_empty()),
    };
    let (rows, pages, total) = crate::service::audit::list(&ctx, &actor, filter, page).await?;
    Ok(ApiOk::new(
        "Audit log retrieved successfully",
        AuditAnswer {
            events: rows.into_iter().map(AuditEntry::from).collect(),
            pagination: EventsPage {
                pages,
                total_events: total,
            },
        },
    ))
}
