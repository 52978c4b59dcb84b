//! [`OutboxStore`] on SQLite. The events themselves are written by triggers (migration 8), in
//! the transaction of the change they report.

use async_trait::async_trait;
use serde_json::json;

use super::team_store::record_item_change;
use super::{SqliteStore, agents, audit, emails, messages, pushes, ratings, sessions, webhooks};
use crate::domain::webhook::{Delivery, EndpointFields, EventType, WebhookEndpoint};
use crate::domain::{SessionOwner, Timestamp};
use crate::error::{Error, Result};
use crate::store::outbox::{
    AttemptResult, DueDelivery, NewEmail, OutboxEvent, OutboxStore, QueuedEmail, QueuedPush,
    RenderedEvent, UnsentEvents,
};

#[async_trait]
impl OutboxStore for SqliteStore {
    async fn set_wanted_events(&self, events: Vec<EventType>) -> Result<()> {
        self.write(move |c| webhooks::set_wanted(c, &events)).await
    }

    async fn unsent_events(&self, limit: usize) -> Result<UnsentEvents> {
        self.read(move |c| {
            let mut found = UnsentEvents::default();
            for (seq, kind, session_id, subject, created_at) in webhooks::oldest_events(c, limit)? {
                let (Some(event), Some(session)) = (
                    EventType::from_outbox(&kind),
                    sessions::get(c, &session_id)?,
                ) else {
                    found.orphaned.push(seq);
                    continue;
                };
                let subject = subject.unwrap_or_default();
                let mut out = OutboxEvent {
                    seq,
                    event,
                    created_at,
                    session,
                    message: None,
                    agent: None,
                    rating: None,
                };
                match event {
                    EventType::MessageCreated
                    | EventType::OfflineMessageCreated
                    | EventType::OfflineReplyCreated => {
                        out.message = messages::find(c, &session_id, &subject)?;
                    }
                    EventType::SessionAssigned => {
                        out.agent = agents::get(c, &subject)?.map(|a| (a.id, a.name));
                    }
                    EventType::RatingCreated => {
                        out.rating = ratings::for_session(c, &session_id)?;
                    }
                    EventType::SessionCreated | EventType::SessionEnded => {}
                }
                found.events.push(out);
            }
            Ok(found)
        })
        .await
    }

    async fn fan_out(
        &self,
        events: Vec<RenderedEvent>,
        dropped: Vec<i64>,
        now: Timestamp,
    ) -> Result<()> {
        self.write(move |c| {
            for e in &events {
                // An event that is gone was fanned out already, or its chat was erased or
                // deleted since it was read: nothing of the chat may be queued again.
                if !webhooks::delete_event(c, e.seq)? {
                    continue;
                }
                webhooks::enqueue(c, e.event, &e.message_id, &e.body, now)?;
                for email in &e.emails {
                    emails::insert(c, email, now)?;
                }
                if let Some(push) = &e.push {
                    pushes::queue(c, push, now)?;
                }
            }
            for seq in dropped {
                webhooks::delete_event(c, seq)?;
            }
            Ok(())
        })
        .await
    }

    async fn queue_email(&self, email: NewEmail, now: Timestamp) -> Result<bool> {
        self.write(move |c| emails::insert(c, &email, now)).await
    }

    async fn due_emails(
        &self,
        now: Timestamp,
        limit: usize,
        skip: Vec<i64>,
    ) -> Result<Vec<QueuedEmail>> {
        self.read(move |c| {
            let mut due = emails::due(c, now, limit + skip.len())?;
            due.retain(|e| !skip.contains(&e.id));
            due.truncate(limit);
            Ok(due)
        })
        .await
    }

    async fn record_email_attempt(&self, id: i64, result: AttemptResult) -> Result<()> {
        self.write(move |c| emails::record_attempt(c, id, &result))
            .await
    }

    async fn register_push_token(
        &self,
        owner: SessionOwner,
        token: String,
        platform: &'static str,
        max_per_user: usize,
        now: Timestamp,
    ) -> Result<()> {
        self.write(move |c| pushes::register(c, &owner, &token, platform, max_per_user, now))
            .await
    }

    async fn drop_push_token(&self, token: String) -> Result<()> {
        self.write(move |c| pushes::forget(c, &token)).await
    }

    async fn due_pushes(
        &self,
        now: Timestamp,
        limit: usize,
        skip: Vec<i64>,
    ) -> Result<Vec<QueuedPush>> {
        self.read(move |c| {
            let mut due = pushes::due(c, now, limit + skip.len())?;
            due.retain(|p| !skip.contains(&p.id));
            due.truncate(limit);
            Ok(due)
        })
        .await
    }

    async fn record_push_attempt(&self, id: i64, result: AttemptResult) -> Result<()> {
        self.write(move |c| pushes::record_attempt(c, id, &result))
            .await
    }

    async fn outbox_backlog(&self) -> Result<u64> {
        self.read(webhooks::backlog).await
    }

    async fn create_endpoint(
        &self,
        id: &str,
        fields: EndpointFields,
        secret: &str,
        actor: &str,
        now: Timestamp,
    ) -> Result<WebhookEndpoint> {
        let (id, secret, actor) = (id.to_string(), secret.to_string(), actor.to_string());
        self.write(move |c| {
            webhooks::insert_endpoint(c, &id, &fields, &secret, now)?;
            let detail = json!({ "webhookId": id, "url": fields.url });
            audit::record(c, now, Some(&actor), "webhook_create", None, Some(&detail))?;
            webhooks::require_endpoint(c, &id)
        })
        .await
    }

    async fn endpoints(&self) -> Result<Vec<WebhookEndpoint>> {
        self.read(webhooks::endpoints).await
    }

    async fn endpoint(&self, id: &str) -> Result<Option<WebhookEndpoint>> {
        let id = id.to_string();
        self.read(move |c| webhooks::endpoint(c, &id)).await
    }

    async fn update_endpoint(
        &self,
        id: &str,
        fields: EndpointFields,
        actor: &str,
        now: Timestamp,
    ) -> Result<WebhookEndpoint> {
        let (id, actor) = (id.to_string(), actor.to_string());
        self.write(move |c| {
            if !webhooks::update_endpoint(c, &id, &fields, now)? {
                return Err(Error::NotFound("Webhook endpoint"));
            }
            record_item_change(c, now, &actor, "webhook_update", "webhookId", &id)?;
            webhooks::require_endpoint(c, &id)
        })
        .await
    }

    async fn rotate_endpoint_secret(
        &self,
        id: &str,
        secret: &str,
        actor: &str,
        now: Timestamp,
    ) -> Result<WebhookEndpoint> {
        let (id, secret, actor) = (id.to_string(), secret.to_string(), actor.to_string());
        self.write(move |c| {
            if !webhooks::set_secret(c, &id, &secret, now)? {
                return Err(Error::NotFound("Webhook endpoint"));
            }
            record_item_change(c, now, &actor, "webhook_rotate_secret", "webhookId", &id)?;
            webhooks::require_endpoint(c, &id)
        })
        .await
    }

    async fn delete_endpoint(&self, id: &str, actor: &str, now: Timestamp) -> Result<()> {
        let (id, actor) = (id.to_string(), actor.to_string());
        self.write(move |c| {
            if !webhooks::delete_endpoint(c, &id)? {
                return Err(Error::NotFound("Webhook endpoint"));
            }
            record_item_change(c, now, &actor, "webhook_delete", "webhookId", &id)
        })
        .await
    }

    async fn due_deliveries(
        &self,
        now: Timestamp,
        limit: usize,
        skip: Vec<i64>,
    ) -> Result<Vec<DueDelivery>> {
        self.read(move |c| {
            let mut due = webhooks::due(c, now, limit + skip.len())?;
            due.retain(|d| !skip.contains(&d.delivery.id));
            due.truncate(limit);
            Ok(due)
        })
        .await
    }

    async fn record_attempt(&self, delivery_id: i64, result: AttemptResult) -> Result<()> {
        self.write(move |c| webhooks::record_attempt(c, delivery_id, &result))
            .await
    }

    async fn deliveries(&self, endpoint_id: &str, limit: usize) -> Result<Vec<Delivery>> {
        let id = endpoint_id.to_string();
        self.read(move |c| webhooks::for_endpoint(c, &id, limit))
            .await
    }

    async fn redeliver(
        &self,
        endpoint_id: &str,
        delivery_id: i64,
        actor: &str,
        now: Timestamp,
    ) -> Result<Delivery> {
        let (endpoint_id, actor) = (endpoint_id.to_string(), actor.to_string());
        self.write(move |c| {
            if !webhooks::requeue(c, &endpoint_id, delivery_id, now)? {
                return Err(Error::NotFound("Delivery"));
            }
            let detail = json!({ "webhookId": endpoint_id, "deliveryId": delivery_id });
            audit::record(
                c,
                now,
                Some(&actor),
                "webhook_redeliver",
                None,
                Some(&detail),
            )?;
            webhooks::delivery(c, delivery_id)?.ok_or(Error::NotFound("Delivery"))
        })
        .await
    }
}
