//! Webhook endpoints and their deliveries as the admin API shows them. The secret appears only
//! in the answers to a create and a rotation.

use serde::Serialize;

use crate::domain::Timestamp;
use crate::domain::webhook::{Delivery, WebhookEndpoint};

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookAnswer {
    pub webhook_id: String,
    pub url: String,
    pub description: String,
    pub events: Vec<&'static str>,
    pub active: bool,
    /// Why the server turned the endpoint off (it failed for 24 hours).
    pub disabled_reason: Option<String>,
    pub failing_since: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl WebhookAnswer {
    /// Without its secret.
    pub fn of(e: &WebhookEndpoint) -> Self {
        WebhookAnswer {
            webhook_id: e.id.clone(),
            url: e.url.clone(),
            description: e.description.clone(),
            events: e.events.iter().map(|t| t.as_str()).collect(),
            active: e.active,
            disabled_reason: e.disabled_reason.clone(),
            failing_since: e.failing_since,
            created_at: e.created_at,
            updated_at: e.updated_at,
            secret: None,
        }
    }

    /// With its secret: just made or rotated.
    pub fn with_secret(e: &WebhookEndpoint) -> Self {
        WebhookAnswer {
            secret: Some(e.secret.clone()),
            ..WebhookAnswer::of(e)
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct WebhookList {
    pub webhooks: Vec<WebhookAnswer>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct OneWebhook {
    pub webhook: WebhookAnswer,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookDeleted {
    pub webhook_id: String,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryAnswer {
    pub delivery_id: i64,
    /// The `webhook-id` header, the same on every attempt.
    pub message_id: String,
    pub event: String,
    pub status: &'static str,
    pub attempts: i64,
    pub response_status: Option<i64>,
    pub last_error: Option<String>,
    pub last_attempt_at: Option<Timestamp>,
    /// When the next attempt is due (pending deliveries).
    pub next_attempt_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

impl DeliveryAnswer {
    pub fn of(d: &Delivery) -> Self {
        let pending = d.status == crate::domain::webhook::DeliveryStatus::Pending;
        DeliveryAnswer {
            delivery_id: d.id,
            message_id: d.message_id.clone(),
            event: d.event.clone(),
            status: d.status.as_str(),
            attempts: d.attempts,
            response_status: d.response_status,
            last_error: d.last_error.clone(),
            last_attempt_at: d.last_attempt_at,
            next_attempt_at: pending.then_some(d.next_attempt_at),
            created_at: d.created_at,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct DeliveryList {
    pub webhook: WebhookAnswer,
    pub deliveries: Vec<DeliveryAnswer>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct OneDelivery {
    pub delivery: DeliveryAnswer,
}
