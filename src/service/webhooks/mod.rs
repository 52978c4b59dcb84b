//! Webhooks (SPEC.md section 10): super admins manage endpoints; the outbox and the delivery
//! worker ([`delivery`]) send every subscribed event, signed per the Standard Webhooks
//! specification, at least once.

mod address_guard;
pub mod delivery;
mod payload;

use base64::Engine;

use super::{AgentPrincipal, Services};
use crate::domain::Permission;
use crate::domain::text::{optional_text, required_text};
use crate::domain::webhook::{Delivery, EndpointFields, EventType, WebhookEndpoint};
use crate::error::{Error, Result};

pub use delivery::Dispatcher;

pub const MAX_URL_CHARS: usize = 2048;
pub const MAX_DESCRIPTION_CHARS: usize = 500;
/// Deliveries an endpoint's history shows.
pub const HISTORY: usize = 50;

/// An endpoint's fields as an admin sent them, checked.
pub struct EndpointInput(EndpointFields);

impl EndpointInput {
    pub fn new(
        ctx: &Services,
        url: &str,
        events: &[String],
        description: Option<&str>,
        active: Option<bool>,
    ) -> Result<Self> {
        let url = required_text("url", url, MAX_URL_CHARS)?;
        check_url(&url, ctx.settings.webhook_allow_private)?;
        Ok(EndpointInput(EndpointFields {
            url,
            description: optional_text("description", description, MAX_DESCRIPTION_CHARS)?
                .unwrap_or_default(),
            events: EventType::parse_list(events)?,
            active: active.unwrap_or(true),
        }))
    }
}

/// An absolute http(s) URL with a host; an address in it must be public unless private ones
/// are allowed (names are checked when they are resolved, at each delivery).
fn check_url(raw: &str, allow_private: bool) -> Result<()> {
    let invalid = |why: &str| Error::validation("url", why.to_string());
    let url = reqwest::Url::parse(raw).map_err(|_| invalid("url must be an absolute URL"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid("url must be an http or https URL"));
    }
    let host = url
        .host_str()
        .ok_or_else(|| invalid("url must name a host"))?
        .trim_matches(['[', ']']);
    if !allow_private
        && let Ok(ip) = host.parse()
        && let Some(why) = address_guard::forbidden(ip)
    {
        return Err(invalid(&format!(
            "url points at {why}; set WEBHOOK_ALLOW_PRIVATE=true to allow it"
        )));
    }
    Ok(())
}

/// A new signing secret: `whsec_` and 32 random bytes in base64.
fn new_secret() -> String {
    let key: [u8; 32] = rand::random();
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(key)
    )
}

/// Tells the store which events to record and the worker whether to run, from the endpoints
/// and what email needs.
pub async fn refresh(ctx: &Services) -> Result<()> {
    let endpoints = ctx.store.endpoints().await?;
    let mut wanted: Vec<EventType> = endpoints
        .iter()
        .filter(|e| e.active)
        .flat_map(|e| e.events.iter().copied())
        .chain(ctx.mail.wanted_events())
        .chain(ctx.push.wanted_events())
        .collect();
    wanted.sort();
    wanted.dedup();
    let active = !wanted.is_empty();
    ctx.store.set_wanted_events(wanted).await?;
    ctx.webhooks.set_active(active);
    Ok(())
}

#[tracing::instrument(level = "debug", skip_all, err(level = "debug"), fields(agent_id = %actor.id))]
pub async fn list(ctx: &Services, actor: &AgentPrincipal) -> Result<Vec<WebhookEndpoint>> {
    actor.require(Permission::ManageWebhooks)?;
    ctx.store.endpoints().await
}

#[tracing::instrument(level = "debug", skip_all, err(level = "debug"), fields(agent_id = %actor.id))]
pub async fn get(ctx: &Services, actor: &AgentPrincipal, id: &str) -> Result<WebhookEndpoint> {
    actor.require(Permission::ManageWebhooks)?;
    ctx.store
        .endpoint(id)
        .await?
        .ok_or(Error::NotFound("Webhook endpoint"))
}

/// Creates an endpoint; the answer is the only time its secret is shown (until a rotation).
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"), fields(agent_id = %actor.id))]
pub async fn create(
    ctx: &Services,
    actor: &AgentPrincipal,
    input: EndpointInput,
) -> Result<WebhookEndpoint> {
    actor.require(Permission::ManageWebhooks)?;
    let now = ctx.clock.now();
    let id = crate::domain::ids::generate("wh", now.0);
    let endpoint = ctx
        .store
        .create_endpoint(&id, input.0, &new_secret(), &actor.id, now)
        .await?;
    refresh(ctx).await?;
    Ok(endpoint)
}

#[tracing::instrument(level = "debug", skip_all, err(level = "debug"), fields(agent_id = %actor.id))]
pub async fn update(
    ctx: &Services,
    actor: &AgentPrincipal,
    id: &str,
    input: EndpointInput,
) -> Result<WebhookEndpoint> {
    actor.require(Permission::ManageWebhooks)?;
    let endpoint = ctx
        .store
        .update_endpoint(id, input.0, &actor.id, ctx.clock.now())
        .await?;
    refresh(ctx).await?;
    Ok(endpoint)
}

#[tracing::instrument(level = "debug", skip_all, err(level = "debug"), fields(agent_id = %actor.id))]
pub async fn rotate_secret(
    ctx: &Services,
    actor: &AgentPrincipal,
    id: &str,
) -> Result<WebhookEndpoint> {
    actor.require(Permission::ManageWebhooks)?;
    ctx.store
        .rotate_endpoint_secret(id, &new_secret(), &actor.id, ctx.clock.now())
        .await
}

#[tracing::instrument(level = "debug", skip_all, err(level = "debug"), fields(agent_id = %actor.id))]
pub async fn delete(ctx: &Services, actor: &AgentPrincipal, id: &str) -> Result<()> {
    actor.require(Permission::ManageWebhooks)?;
    ctx.store
        .delete_endpoint(id, &actor.id, ctx.clock.now())
        .await?;
    refresh(ctx).await
}

/// The endpoint and its newest deliveries.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"), fields(agent_id = %actor.id))]
pub async fn deliveries(
    ctx: &Services,
    actor: &AgentPrincipal,
    id: &str,
) -> Result<(WebhookEndpoint, Vec<Delivery>)> {
    let endpoint = get(ctx, actor, id).await?;
    let deliveries = ctx.store.deliveries(id, HISTORY).await?;
    Ok((endpoint, deliveries))
}

/// Sends a delivery again, now, with the same `webhook-id`.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"), fields(agent_id = %actor.id))]
pub async fn redeliver(
    ctx: &Services,
    actor: &AgentPrincipal,
    endpoint_id: &str,
    delivery_id: i64,
) -> Result<Delivery> {
    actor.require(Permission::ManageWebhooks)?;
    let delivery = ctx
        .store
        .redeliver(endpoint_id, delivery_id, &actor.id, ctx.clock.now())
        .await?;
    ctx.webhooks.set_active(true);
    Ok(delivery)
}
