//! `/api/admin/webhooks`: endpoints (super admins), their deliveries and redelivery.

use axum::extract::State;
use serde::Deserialize;

use super::answers::webhook::{
    DeliveryAnswer, DeliveryList, OneDelivery, OneWebhook, WebhookAnswer, WebhookDeleted,
    WebhookList,
};
use crate::http::envelope::{ApiOk, ApiResult};
use crate::http::extract::{AgentAuth, ApiJson, ApiPath, AppState, required};
use crate::service::webhooks::{self, EndpointInput};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EndpointBody {
    url: Option<String>,
    events: Option<Vec<String>>,
    description: Option<String>,
    active: Option<bool>,
}

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
