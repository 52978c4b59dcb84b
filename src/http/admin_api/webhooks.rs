//! `/api/admin/webhooks`: endpoints (super admins), their deliveries and redelivery.

use axum::extract::State;
use serde::Deserialize;

use super::answers::webhook::{
    DeliveryAnswer, DeliveryList, OneDelivery, OneWebhook, WebhookAnswer, WebhookDeleted,
    WebhookList,
};
use crate::http::envelope::{ApiOk, ApiResult, Envelope, ErrorEnvelope};
use crate::http::extract::{AgentAuth, ApiJson, ApiPath, AppState, required};
use crate::service::webhooks::{self, EndpointInput};

/// A webhook endpoint. Creating one needs `url` and `events`; a change keeps what is left
/// out.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EndpointBody {
    /// An `https://` or `http://` URL.
    #[schema(format = "uri", example = "https://example.com/hooks/frontdesk")]
    url: Option<String>,
    #[schema(example = json!(["message.created", "session.ended"]))]
    events: Option<Vec<String>>,
    description: Option<String>,
    active: Option<bool>,
}

/// Every webhook endpoint
#[utoipa::path(
    get,
    operation_id = "list_webhooks",
    path = "/api/admin/webhooks",
    tag = "admin: webhooks",
    responses(
        (status = 200, description = "The endpoints (without secrets)", body = Envelope<WebhookList>),
        (status = 403, description = "`FORBIDDEN`: the role may not do this", body = ErrorEnvelope),
    ),
    security(("agentToken" = [])),
)]
pub async fn list(
    State(ctx): State<AppState>,
    AgentAuth(actor): AgentAuth,
) -> ApiResult<WebhookList> {
    let endpoints = webhooks::list(&ctx, &actor).await?;
    Ok(ApiOk::new(
        "Webhooks retrieved successfully",
        WebhookList {
            webhooks: endpoints.iter().map(WebhookAnswer::of).collect(),
        },
    ))
}

/// Add a webhook endpoint
///
/// Events: `session.created`, `message.created`, `session.assigned`, `session.ended`,
/// `rating.created`, `offline_message.created`. The answer carries the signing secret, which is
/// not shown again. Loopback and private addresses are refused unless `WEBHOOK_ALLOW_PRIVATE`.
#[utoipa::path(
    post,
    operation_id = "create_webhook",
    path = "/api/admin/webhooks",
    tag = "admin: webhooks",
    request_body = EndpointBody,
    responses(
        (status = 200, description = "The new endpoint with its secret", body = Envelope<OneWebhook>),
        (status = 403, description = "`FORBIDDEN`: the role may not do this", body = ErrorEnvelope),
    ),
    security(("agentToken" = [])),
)]
pub async fn create(
    State(ctx): State<AppState>,
    AgentAuth(actor): AgentAuth,
    ApiJson(body): ApiJson<EndpointBody>,
) -> ApiResult<OneWebhook> {
    actor.require(crate::domain::Permission::ManageWebhooks)?;
    let input = EndpointInput::new(
        &ctx,
        &required("url", body.url)?,
        &required("events", body.events)?,
        body.description.as_deref(),
        body.active,
    )?;
    let endpoint = webhooks::create(&ctx, &actor, input).await?;
    Ok(ApiOk::new(
        "Webhook created; keep its secret, it is not shown again",
        OneWebhook {
            webhook: WebhookAnswer::with_secret(&endpoint),
        },
    ))
}

/// A webhook endpoint
#[utoipa::path(
    get,
    operation_id = "get_webhook",
    path = "/api/admin/webhooks/{id}",
    tag = "admin: webhooks",
    params(
        ("id" = String, Path, description = "The endpoint's id"),
    ),
    responses(
        (status = 200, description = "The endpoint (without its secret)", body = Envelope<OneWebhook>),
        (status = 403, description = "`FORBIDDEN`: the role may not do this", body = ErrorEnvelope),
        (status = 404, description = "`NOT_FOUND`", body = ErrorEnvelope),
    ),
    security(("agentToken" = [])),
)]
pub async fn get(
    State(ctx): State<AppState>,
    AgentAuth(actor): AgentAuth,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<OneWebhook> {
    let endpoint = webhooks::get(&ctx, &actor, &id).await?;
    Ok(ApiOk::new(
        "Webhook retrieved successfully",
        OneWebhook {
            webhook: WebhookAnswer::of(&endpoint),
        },
    ))
}

/// PUT and PATCH alike: fields left out keep their value.
/// Change a webhook endpoint
///
/// PUT and PATCH alike: fields left out keep their value.
#[utoipa::path(
    method(put, patch),
    operation_id = "update_webhook",
    path = "/api/admin/webhooks/{id}",
    tag = "admin: webhooks",
    params(
        ("id" = String, Path, description = "The endpoint's id"),
    ),
    request_body = EndpointBody,
    responses(
        (status = 200, description = "The endpoint", body = Envelope<OneWebhook>),
        (status = 403, description = "`FORBIDDEN`: the role may not do this", body = ErrorEnvelope),
        (status = 404, description = "`NOT_FOUND`", body = ErrorEnvelope),
    ),
    security(("agentToken" = [])),
)]
pub async fn update(
    State(ctx): State<AppState>,
    AgentAuth(actor): AgentAuth,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<EndpointBody>,
) -> ApiResult<OneWebhook> {
    let current = webhooks::get(&ctx, &actor, &id).await?;
    let events = match body.events {
        Some(events) => events,
        None => current
            .events
            .iter()
            .map(|e| e.as_str().to_string())
            .collect(),
    };
    let input = EndpointInput::new(
        &ctx,
        body.url.as_deref().unwrap_or(&current.url),
        &events,
        Some(body.description.as_deref().unwrap_or(&current.description)),
        Some(body.active.unwrap_or(current.active)),
    )?;
    let endpoint = webhooks::update(&ctx, &actor, &id, input).await?;
    Ok(ApiOk::new(
        "Webhook updated",
        OneWebhook {
            webhook: WebhookAnswer::of(&endpoint),
        },
    ))
}

/// Replace an endpoint's signing secret
///
/// The new secret is in the answer and is not shown again.
#[utoipa::path(
    post,
    operation_id = "rotate_webhook_secret",
    path = "/api/admin/webhooks/{id}/rotate-secret",
    tag = "admin: webhooks",
    params(
        ("id" = String, Path, description = "The endpoint's id"),
    ),
    responses(
        (status = 200, description = "The endpoint with its new secret", body = Envelope<OneWebhook>),
        (status = 403, description = "`FORBIDDEN`: the role may not do this", body = ErrorEnvelope),
        (status = 404, description = "`NOT_FOUND`", body = ErrorEnvelope),
    ),
    security(("agentToken" = [])),
)]
pub async fn rotate_secret(
    State(ctx): State<AppState>,
    AgentAuth(actor): AgentAuth,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<OneWebhook> {
    let endpoint = webhooks::rotate_secret(&ctx, &actor, &id).await?;
    Ok(ApiOk::new(
        "Secret rotated; keep it, it is not shown again",
        OneWebhook {
            webhook: WebhookAnswer::with_secret(&endpoint),
        },
    ))
}

/// Delete a webhook endpoint
#[utoipa::path(
    delete,
    operation_id = "delete_webhook",
    path = "/api/admin/webhooks/{id}",
    tag = "admin: webhooks",
    params(
        ("id" = String, Path, description = "The endpoint's id"),
    ),
    responses(
        (status = 200, description = "The deleted endpoint's id", body = Envelope<WebhookDeleted>),
        (status = 403, description = "`FORBIDDEN`: the role may not do this", body = ErrorEnvelope),
        (status = 404, description = "`NOT_FOUND`", body = ErrorEnvelope),
    ),
    security(("agentToken" = [])),
)]
pub async fn delete(
    State(ctx): State<AppState>,
    AgentAuth(actor): AgentAuth,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<WebhookDeleted> {
    webhooks::delete(&ctx, &actor, &id).await?;
    Ok(ApiOk::new(
        "Webhook deleted",
        WebhookDeleted { webhook_id: id },
    ))
}

/// An endpoint's recent deliveries
///
/// Status, response code and attempts of each.
#[utoipa::path(
    get,
    operation_id = "list_webhook_deliveries",
    path = "/api/admin/webhooks/{id}/deliveries",
    tag = "admin: webhooks",
    params(
        ("id" = String, Path, description = "The endpoint's id"),
    ),
    responses(
        (status = 200, description = "The endpoint and its deliveries", body = Envelope<DeliveryList>),
        (status = 403, description = "`FORBIDDEN`: the role may not do this", body = ErrorEnvelope),
        (status = 404, description = "`NOT_FOUND`", body = ErrorEnvelope),
    ),
    security(("agentToken" = [])),
)]
pub async fn deliveries(
    State(ctx): State<AppState>,
    AgentAuth(actor): AgentAuth,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<DeliveryList> {
    let (endpoint, deliveries) = webhooks::deliveries(&ctx, &actor, &id).await?;
    Ok(ApiOk::new(
        "Deliveries retrieved successfully",
        DeliveryList {
            webhook: WebhookAnswer::of(&endpoint),
            deliveries: deliveries.iter().map(DeliveryAnswer::of).collect(),
        },
    ))
}

/// Send a delivery again
#[utoipa::path(
    post,
    operation_id = "redeliver_webhook",
    path = "/api/admin/webhooks/{id}/deliveries/{delivery_id}/redeliver",
    tag = "admin: webhooks",
    params(
        ("id" = String, Path, description = "The endpoint's id"),
        ("delivery_id" = i64, Path, description = "The delivery's id"),
    ),
    responses(
        (status = 200, description = "The delivery, queued again", body = Envelope<OneDelivery>),
        (status = 403, description = "`FORBIDDEN`: the role may not do this", body = ErrorEnvelope),
        (status = 404, description = "`NOT_FOUND`", body = ErrorEnvelope),
    ),
    security(("agentToken" = [])),
)]
pub async fn redeliver(
    State(ctx): State<AppState>,
    AgentAuth(actor): AgentAuth,
    ApiPath((id, delivery_id)): ApiPath<(String, i64)>,
) -> ApiResult<OneDelivery> {
    let delivery = webhooks::redeliver(&ctx, &actor, &id, delivery_id).await?;
    Ok(ApiOk::new(
        "Delivery queued again",
        OneDelivery {
            delivery: DeliveryAnswer::of(&delivery),
        },
    ))
}
