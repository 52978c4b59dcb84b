//! One webhook endpoint's newest deliveries (super admins), each with a button that sends it
//! again with the same `webhook-id`.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};

use super::form_error;
use super::webhooks::health_notice;
use crate::domain::webhook::{Delivery, DeliveryStatus};
use crate::error::Error;
use crate::http::dashboard::error::{PageError, PageResult};
use crate::http::dashboard::hypermedia::{DeliveryUrl, ItemUrl, Url};
use crate::http::dashboard::session::{DashboardAuth, see_other};
use crate::http::dashboard::views::{Layout, date_time};
use crate::http::extract::AppState;
use crate::service::dashboard_auth::DashboardSession;
use crate::service::webhooks::{self, HISTORY};

pub struct DeliveryLine {
    pub id: i64,
    pub event: String,
    pub message_id: String,
    pub status: &'static str,
    pub attempts: i64,
    /// The receiver's status code, or a dash when it never answered.
    pub response_status: String,
    pub last_error: String,
    pub created_at: String,
    pub last_attempt_at: String,
    /// When the next attempt is due, while the delivery is pending.
    pub next_attempt_at: String,
}

impl DeliveryLine {
    fn of(d: Delivery) -> Self {
        DeliveryLine {
            id: d.id,
            event: d.event,
            message_id: d.message_id,
            status: d.status.as_str(),
            attempts: d.attempts,
            response_status: d
                .response_status
                .map_or_else(|| "—".to_string(), |s| s.to_string()),
            last_error: d.last_error.unwrap_or_default(),
            created_at: date_time(d.created_at),
            last_attempt_at: d.last_attempt_at.map(date_time).unwrap_or_default(),
            next_attempt_at: match d.status {
                DeliveryStatus::Pending => date_time(d.next_attempt_at),
                DeliveryStatus::Delivered | DeliveryStatus::Failed => String::new(),
            },
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "dashboard/webhook_deliveries_page.html")]
pub struct DeliveriesPage {
    layout: Layout,
    endpoint_id: String,
    url: String,
    description: String,
    active: bool,
    notice: Option<String>,
    deliveries: Vec<DeliveryLine>,
    history: usize,
    error: Option<String>,
}

async fn deliveries_page(
    ctx: &AppState,
    session: &DashboardSession,
    id: &str,
    error: Option<String>,
) -> PageResult<DeliveriesPage> {
    let (endpoint, deliveries) = webhooks::deliveries(ctx, &session.agent, id).await?;
    Ok(DeliveriesPage {
        layout: Layout::new(session, Url::Webhooks),
        notice: health_notice(&endpoint),
        endpoint_id: endpoint.id,
        url: endpoint.url,
        description: endpoint.description,
        active: endpoint.active,
        deliveries: deliveries.into_iter().map(DeliveryLine::of).collect(),
        history: HISTORY,
        error,
    })
}

pub async fn page(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
    Path(id): Path<String>,
) -> PageResult<DeliveriesPage> {
    deliveries_page(&ctx, &session, &id, None).await
}

/// Queues the delivery again now and comes back to the list; a delivery that is not this
/// endpoint's is refused on the list.
pub async fn redeliver(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
    Path((id, delivery_id)): Path<(String, String)>,
) -> PageResult<Response> {
    let Ok(delivery_id) = delivery_id.parse::<i64>() else {
        return Err(PageError::NotFound("There is no such delivery.".into()));
    };
    let result: Result<(), Error> = webhooks::redeliver(&ctx, &session.agent, &id, delivery_id)
        .await
        .map(|_| ());
    match result {
        Ok(()) => Ok(see_other(&ItemUrl::WebhookDeliveries.of(&id))),
        Err(e) => {
            let (status, message) = form_error(e)?;
            let page = deliveries_page(&ctx, &session, &id, Some(message)).await?;
            Ok((status, page).into_response())
        }
    }
}
