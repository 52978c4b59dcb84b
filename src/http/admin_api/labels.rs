//! Labels: the list super admins keep, and labels on chats.

use axum::extract::State;
use serde::Deserialize;

use super::answers::{ChatLabelsAnswer, LabelAnswer, LabelDeleted, LabelList, OneLabel};
use crate::domain::label::LabelFields;
use crate::error::Error;
use crate::http::envelope::{ApiOk, ApiResult, Envelope, ErrorEnvelope};
use crate::http::extract::{AgentAuth, ApiJson, ApiPath, AppState, required, session_path};
use crate::service::labels::{self, LabelChange};

/// Every label
#[utoipa::path(
    get,
    path = "/api/admin/labels",
    tag = "admin: team",
    responses(
        (status = 200, description = "The labels, by name", body = Envelope<LabelList>),
        (status = 403, description = "`FORBIDDEN`: the role may not do this", body = ErrorEnvelope),
    ),
    security(("agentToken" = [])),
)]
pub async fn list(
    State(ctx): State<AppState>,
    AgentAuth(actor): AgentAuth,
) -> ApiResult<LabelList> {
    let all = labels::list(&ctx, &actor).await?;
    Ok(ApiOk::new(
        "Labels retrieved successfully",
        LabelList {
            labels: LabelAnswer::all(&all),
        },
    ))
}

/// A label's name (1 to 40 characters, unique ignoring case) and colour (`#rrggbb`).
#[derive(Deserialize, utoipa::ToSchema)]
pub struct LabelBody {
    #[schema(value_type = String, required = true, max_length = 40)]
    name: Option<String>,
    #[schema(value_type = String, required = true, pattern = "^#[0-9A-Fa-f]{6}$")]
    colour: Option<String>,
}

impl LabelBody {
    fn fields(self) -> Result<LabelFields, Error> {
        LabelFields::parse(
            &required("name", self.name)?,
            &required("colour", self.colour)?,
        )
    }
}

/// Create a label
///
/// Super admins only.
#[utoipa::path(
    post,
    path = "/api/admin/labels",
    tag = "admin: team",
    request_body = LabelBody,
    responses(
        (status = 200, description = "The new label", body = Envelope<OneLabel>),
        (status = 400, description = "`VALIDATION_ERROR`: a field is missing or malformed", body = ErrorEnvelope),
        (status = 403, description = "`FORBIDDEN`: the role may not do this", body = ErrorEnvelope),
        (status = 409, description = "`CONFLICT`: the name is taken", body = ErrorEnvelope),
    ),
    security(("agentToken" = [])),
)]
pub async fn create(
    State(ctx): State<AppState>,
    AgentAuth(actor): AgentAuth,
    ApiJson(body): ApiJson<LabelBody>,
) -> ApiResult<OneLabel> {
    let label = labels::create(&ctx, &actor, body.fields()?).await?;
    Ok(ApiOk::new(
        "Label created",
        OneLabel {
            label: LabelAnswer::from(&label),
        },
    ))
}

/// A label
#[utoipa::path(
    get,
    path = "/api/admin/labels/{id}",
    tag = "admin: team",
    params(("id" = String, Path, description = "The label's id")),
    responses(
        (status = 200, description = "The label", body = Envelope<OneLabel>),
        (status = 403, description = "`FORBIDDEN`: the role may not do this", body = ErrorEnvelope),
        (status = 404, description = "`NOT_FOUND`", body = ErrorEnvelope),
    ),
    security(("agentToken" = [])),
)]
pub async fn get(
    State(ctx): State<AppState>,
    AgentAuth(actor): AgentAuth,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<OneLabel> {
    let label = labels::get(&ctx, &actor, &id).await?;
    Ok(ApiOk::new(
        "Label retrieved successfully",
        OneLabel {
            label: LabelAnswer::from(&label),
        },
    ))
}

/// Rename or recolour a label
///
/// Super admins only. Every chat carrying it shows the new name and colour.
#[utoipa::path(
    put,
    path = "/api/admin/labels/{id}",
    tag = "admin: team",
    params(("id" = String, Path, description = "The label's id")),
    request_body = LabelBody,
    responses(
        (status = 200, description = "The label", body = Envelope<OneLabel>),
        (status = 400, description = "`VALIDATION_ERROR`: a field is missing or malformed", body = ErrorEnvelope),
        (status = 403, description = "`FORBIDDEN`: the role may not do this", body = ErrorEnvelope),
        (status = 404, description = "`NOT_FOUND`", body = ErrorEnvelope),
        (status = 409, description = "`CONFLICT`: the name is taken", body = ErrorEnvelope),
    ),
    security(("agentToken" = [])),
)]
pub async fn update(
    State(ctx): State<AppState>,
    AgentAuth(actor): AgentAuth,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<LabelBody>,
) -> ApiResult<OneLabel> {
    let label = labels::update(&ctx, &actor, &id, body.fields()?).await?;
    Ok(ApiOk::new(
        "Label updated",
        OneLabel {
            label: LabelAnswer::from(&label),
        },
    ))
}

/// Delete a label
///
/// Super admins only. The label comes off every chat that carried it.
#[utoipa::path(
    delete,
    path = "/api/admin/labels/{id}",
    tag = "admin: team",
    params(("id" = String, Path, description = "The label's id")),
    responses(
        (status = 200, description = "The deleted label's id", body = Envelope<LabelDeleted>),
        (status = 403, description = "`FORBIDDEN`: the role may not do this", body = ErrorEnvelope),
        (status = 404, description = "`NOT_FOUND`", body = ErrorEnvelope),
    ),
    security(("agentToken" = [])),
)]
pub async fn delete(
    State(ctx): State<AppState>,
    AgentAuth(actor): AgentAuth,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<LabelDeleted> {
    labels::delete(&ctx, &actor, &id).await?;
    Ok(ApiOk::new("Label deleted", LabelDeleted { label_id: id }))
}

async fn change_on_chat(
    ctx: AppState,
    agent: crate::service::AgentPrincipal,
    (session_id, label_id): (String, String),
    change: LabelChange,
) -> ApiResult<ChatLabelsAnswer> {
    let session_id = session_path(&session_id)?;
    let labels =
        labels::change_on_chat(&ctx, &agent, session_id.as_str(), &label_id, change).await?;
    let message = match change {
        LabelChange::Add => "Label added",
        LabelChange::Remove => "Label removed",
    };
    Ok(ApiOk::new(
        message,
        ChatLabelsAnswer {
            session_id: session_id.as_str().to_string(),
            labels: LabelAnswer::all(&labels),
        },
    ))
}

/// Put a label on a chat
///
/// Chat admins and super admins. Adding a label the chat already has changes nothing.
#[utoipa::path(
    put,
    path = "/api/admin/chat/session/{session_id}/labels/{label_id}",
    tag = "admin: chats",
    params(
        ("session_id" = String, Path, description = "The chat's id"),
        ("label_id" = String, Path, description = "The label's id"),
    ),
    responses(
        (status = 200, description = "The chat's labels", body = Envelope<ChatLabelsAnswer>),
        (status = 403, description = "`FORBIDDEN`: the role may not do this", body = ErrorEnvelope),
        (status = 404, description = "`SESSION_NOT_FOUND` or `NOT_FOUND` (the label)", body = ErrorEnvelope),
    ),
    security(("agentToken" = [])),
)]
pub async fn add_to_chat(
    State(ctx): State<AppState>,
    AgentAuth(agent): AgentAuth,
    ApiPath(ids): ApiPath<(String, String)>,
) -> ApiResult<ChatLabelsAnswer> {
    change_on_chat(ctx, agent, ids, LabelChange::Add).await
}

/// Take a label off a chat
///
/// Chat admins and super admins. Taking off a label the chat does not have changes nothing.
#[utoipa::path(
    delete,
    path = "/api/admin/chat/session/{session_id}/labels/{label_id}",
    tag = "admin: chats",
    params(
        ("session_id" = String, Path, description = "The chat's id"),
        ("label_id" = String, Path, description = "The label's id"),
    ),
    responses(
        (status = 200, description = "The chat's labels", body = Envelope<ChatLabelsAnswer>),
        (status = 403, description = "`FORBIDDEN`: the role may not do this", body = ErrorEnvelope),
        (status = 404, description = "`SESSION_NOT_FOUND` or `NOT_FOUND` (the label)", body = ErrorEnvelope),
    ),
    security(("agentToken" = [])),
)]
pub async fn remove_from_chat(
    State(ctx): State<AppState>,
    AgentAuth(agent): AgentAuth,
    ApiPath(ids): ApiPath<(String, String)>,
) -> ApiResult<ChatLabelsAnswer> {
    change_on_chat(ctx, agent, ids, LabelChange::Remove).await
}
