//! Personas and canned responses: the names replies are shown under and the replies agents
//! insert by shortcut.

use axum::extract::State;
use serde::Deserialize;

use super::answers::{
    CannedAnswer, CannedDeleted, CannedList, OneCanned, OnePersona, PersonaAnswer, PersonaDeleted,
    PersonaList,
};
use crate::error::Error;
use crate::http::envelope::{ApiOk, ApiResult, Envelope, ErrorEnvelope};
use crate::http::extract::{AgentAuth, ApiJson, ApiPath, AppState, required};
use crate::service::canned::{self, CannedInput};
use crate::service::personas::{self, PersonaInput};

/// Every persona
#[utoipa::path(
    get,
    path = "/api/admin/personas",
    tag = "admin: team",
    responses(
        (status = 200, description = "The personas", body = Envelope<PersonaList>),
        (status = 403, description = "`FORBIDDEN`: the role may not do this", body = ErrorEnvelope),
    ),
    security(("agentToken" = [])),
)]
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

/// A persona: the name (and picture) replies can be shown under.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PersonaBody {
    #[schema(value_type = String, required = true)]
    name: Option<String>,
    bio: Option<String>,
    #[schema(format = "uri")]
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

/// Create a persona
#[utoipa::path(
    post,
    path = "/api/admin/personas",
    tag = "admin: team",
    request_body = PersonaBody,
    responses(
        (status = 200, description = "The new persona", body = Envelope<OnePersona>),
        (status = 403, description = "`FORBIDDEN`: the role may not do this", body = ErrorEnvelope),
    ),
    security(("agentToken" = [])),
)]
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

/// A persona
#[utoipa::path(
    get,
    path = "/api/admin/personas/{id}",
    tag = "admin: team",
    params(
        ("id" = String, Path, description = "The persona's id"),
    ),
    responses(
        (status = 200, description = "The persona", body = Envelope<OnePersona>),
        (status = 403, description = "`FORBIDDEN`: the role may not do this", body = ErrorEnvelope),
        (status = 404, description = "`NOT_FOUND`", body = ErrorEnvelope),
    ),
    security(("agentToken" = [])),
)]
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

/// Change a persona
#[utoipa::path(
    put,
    path = "/api/admin/personas/{id}",
    tag = "admin: team",
    params(
        ("id" = String, Path, description = "The persona's id"),
    ),
    request_body = PersonaBody,
    responses(
        (status = 200, description = "The persona", body = Envelope<OnePersona>),
        (status = 403, description = "`FORBIDDEN`: the role may not do this", body = ErrorEnvelope),
        (status = 404, description = "`NOT_FOUND`", body = ErrorEnvelope),
    ),
    security(("agentToken" = [])),
)]
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

/// Delete a persona
///
/// Hidden from new chats; past chats keep its name.
#[utoipa::path(
    delete,
    path = "/api/admin/personas/{id}",
    tag = "admin: team",
    params(
        ("id" = String, Path, description = "The persona's id"),
    ),
    responses(
        (status = 200, description = "The deleted persona's id", body = Envelope<PersonaDeleted>),
        (status = 403, description = "`FORBIDDEN`: the role may not do this", body = ErrorEnvelope),
        (status = 404, description = "`NOT_FOUND`", body = ErrorEnvelope),
    ),
    security(("agentToken" = [])),
)]
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

/// Every canned response
#[utoipa::path(
    get,
    path = "/api/admin/canned-responses",
    tag = "admin: team",
    responses(
        (status = 200, description = "The canned responses", body = Envelope<CannedList>),
        (status = 403, description = "`FORBIDDEN`: the role may not do this", body = ErrorEnvelope),
    ),
    security(("agentToken" = [])),
)]
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

/// A canned response: a reply agents insert by its shortcut.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct CannedBody {
    #[schema(value_type = String, required = true)]
    title: Option<String>,
    #[schema(value_type = String, required = true)]
    shortcut: Option<String>,
    #[schema(value_type = String, required = true)]
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

/// Create a canned response
#[utoipa::path(
    post,
    path = "/api/admin/canned-responses",
    tag = "admin: team",
    request_body = CannedBody,
    responses(
        (status = 200, description = "The new canned response", body = Envelope<OneCanned>),
        (status = 403, description = "`FORBIDDEN`: the role may not do this", body = ErrorEnvelope),
        (status = 409, description = "`CONFLICT`: the shortcut is taken", body = ErrorEnvelope),
    ),
    security(("agentToken" = [])),
)]
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

/// A canned response
#[utoipa::path(
    get,
    path = "/api/admin/canned-responses/{id}",
    tag = "admin: team",
    params(
        ("id" = String, Path, description = "The canned response's id"),
    ),
    responses(
        (status = 200, description = "The canned response", body = Envelope<OneCanned>),
        (status = 403, description = "`FORBIDDEN`: the role may not do this", body = ErrorEnvelope),
        (status = 404, description = "`NOT_FOUND`", body = ErrorEnvelope),
    ),
    security(("agentToken" = [])),
)]
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

/// Change a canned response
#[utoipa::path(
    put,
    path = "/api/admin/canned-responses/{id}",
    tag = "admin: team",
    params(
        ("id" = String, Path, description = "The canned response's id"),
    ),
    request_body = CannedBody,
    responses(
        (status = 200, description = "The canned response", body = Envelope<OneCanned>),
        (status = 403, description = "`FORBIDDEN`: the role may not do this", body = ErrorEnvelope),
        (status = 404, description = "`NOT_FOUND`", body = ErrorEnvelope),
        (status = 409, description = "`CONFLICT`: the shortcut is taken", body = ErrorEnvelope),
    ),
    security(("agentToken" = [])),
)]
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

/// Delete a canned response
#[utoipa::path(
    delete,
    path = "/api/admin/canned-responses/{id}",
    tag = "admin: team",
    params(
        ("id" = String, Path, description = "The canned response's id"),
    ),
    responses(
        (status = 200, description = "The deleted canned response's id", body = Envelope<CannedDeleted>),
        (status = 403, description = "`FORBIDDEN`: the role may not do this", body = ErrorEnvelope),
        (status = 404, description = "`NOT_FOUND`", body = ErrorEnvelope),
    ),
    security(("agentToken" = [])),
)]
pub async fn delete_canned(
    State(ctx): State<AppState>,
    AgentAuth(actor): AgentAuth,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<CannedDeleted> {
    canned::delete(&ctx, &actor, &id).await?;
    Ok(ApiOk::new("Canned response deleted", CannedDeleted { id }))
}
