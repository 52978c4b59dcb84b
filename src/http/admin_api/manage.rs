//! Managing agents, and reading the audit log.

use axum::extract::State;
use serde::Deserialize;

use super::answers::{AgentAnswer, AgentsAnswer, AuditAnswer, AuditEntry, OneAgent};
use crate::domain::Role;
use crate::domain::audit::AuditFilter;
use crate::http::api::answers::EventsPage;
use crate::http::envelope::{ApiOk, ApiResult, Envelope, ErrorEnvelope};
use crate::http::extract::{
    AgentAuth, ApiJson, ApiPath, ApiQuery, AppState, page_param, present, required,
};
use crate::service::agents::{self, AgentPatch, NewAgentInput};

/// Every agent
#[utoipa::path(
    get,
    path = "/api/admin/agents",
    tag = "admin: team",
    responses(
        (status = 200, description = "The agents", body = Envelope<AgentsAnswer>),
        (status = 403, description = "`FORBIDDEN`: the role may not do this", body = ErrorEnvelope),
    ),
    security(("agentToken" = [])),
)]
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

/// `POST /api/admin/agents`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreateAgentBody {
    #[schema(value_type = String, required = true, format = Email)]
    email: Option<String>,
    #[schema(value_type = String, required = true)]
    name: Option<String>,
    /// `super_admin`, `chat_admin` or `support_admin`.
    #[schema(value_type = Role, required = true)]
    role: Option<String>,
    /// At least 8 characters.
    #[schema(value_type = String, required = true, format = Password, min_length = 8)]
    password: Option<String>,
    department: Option<String>,
    /// How many chats the agent holds at once (default 5).
    #[schema(minimum = 1)]
    max_concurrent_chats: Option<i64>,
}

/// Create an agent
///
/// `role` is `super_admin`, `chat_admin` or `support_admin`; the password needs at least 8
/// characters; capacity defaults to 5 chats.
#[utoipa::path(
    post,
    path = "/api/admin/agents",
    tag = "admin: team",
    request_body = CreateAgentBody,
    responses(
        (status = 200, description = "The new agent", body = Envelope<OneAgent>),
        (status = 403, description = "`FORBIDDEN`: the role may not do this", body = ErrorEnvelope),
        (status = 409, description = "`CONFLICT`: the email is taken", body = ErrorEnvelope),
    ),
    security(("agentToken" = [])),
)]
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

/// An agent
#[utoipa::path(
    get,
    path = "/api/admin/agents/{id}",
    tag = "admin: team",
    params(
        ("id" = String, Path, description = "The agent's id"),
    ),
    responses(
        (status = 200, description = "The agent", body = Envelope<OneAgent>),
        (status = 403, description = "`FORBIDDEN`: the role may not do this", body = ErrorEnvelope),
        (status = 404, description = "`NOT_FOUND`", body = ErrorEnvelope),
    ),
    security(("agentToken" = [])),
)]
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
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UpdateAgentBody {
    name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    department: Option<Option<String>>,
    #[schema(value_type = Option<Role>)]
    role: Option<String>,
    #[schema(minimum = 1)]
    max_concurrent_chats: Option<i64>,
    #[schema(format = Password, min_length = 8)]
    password: Option<String>,
}

/// Change an agent
///
/// Fields left out keep their value; `department: null` clears it. A new password or role signs
/// the agent out everywhere.
#[utoipa::path(
    put,
    path = "/api/admin/agents/{id}",
    tag = "admin: team",
    params(
        ("id" = String, Path, description = "The agent's id"),
    ),
    request_body = UpdateAgentBody,
    responses(
        (status = 200, description = "The agent", body = Envelope<OneAgent>),
        (status = 403, description = "`FORBIDDEN`: the role may not do this", body = ErrorEnvelope),
        (status = 404, description = "`NOT_FOUND`", body = ErrorEnvelope),
        (status = 409, description = "`CONFLICT`: the last super admin cannot be demoted", body = ErrorEnvelope),
    ),
    security(("agentToken" = [])),
)]
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

/// Disable an agent
///
/// Their history stays; their tokens stop working at once.
#[utoipa::path(
    delete,
    path = "/api/admin/agents/{id}",
    tag = "admin: team",
    params(
        ("id" = String, Path, description = "The agent's id"),
    ),
    responses(
        (status = 200, description = "The disabled agent", body = Envelope<OneAgent>),
        (status = 403, description = "`FORBIDDEN`: the role may not do this", body = ErrorEnvelope),
        (status = 404, description = "`NOT_FOUND`", body = ErrorEnvelope),
        (status = 409, description = "`CONFLICT`: the last super admin cannot be disabled", body = ErrorEnvelope),
    ),
    security(("agentToken" = [])),
)]
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

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct AuditQuery {
    /// Only events about this chat.
    session_id: Option<String>,
    /// Only events by this agent.
    agent_id: Option<String>,
    /// Only events of this action, e.g. `session.assigned`.
    action: Option<String>,
    /// The page, from 1.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 2147483647)]
    page: Option<String>,
    /// Events per page (default 50, capped at 200).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 2147483647)]
    limit: Option<String>,
}

/// The audit log, newest first
///
/// Filtered by chat, agent or action; `limit` defaults to 50 and is capped at 200.
#[utoipa::path(
    get,
    path = "/api/admin/audit",
    tag = "admin: team",
    params(
        AuditQuery,
    ),
    responses(
        (status = 200, description = "One page of events", body = Envelope<AuditAnswer>),
        (status = 403, description = "`FORBIDDEN`: the role may not do this", body = ErrorEnvelope),
    ),
    security(("agentToken" = [])),
)]
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
