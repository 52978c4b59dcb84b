//! [`OutboxStore`] on PostgreSQL. The events themselves are written by triggers (see the
//! schema), in the transaction of the change they report.
//!
//! Every replica runs the same dispatcher loops on the same tables, so the work is shared out
//! with row locks taken `FOR UPDATE SKIP LOCKED`:
//! - Fanning out deletes the events it fans out, claiming them first: of two replicas fanning
//!   out the same event at once, one deletes and enqueues it, the other skips it (and the
//!   unique keys of deliveries, emails and pushes would refuse a second copy anyway).
//! - Taking due deliveries, emails and pushes claims them and leases each to the taker for
//!   [`LEASE_MS`] by moving its `next_attempt_at` to the end of the lease: it is not due for
//!   any other replica while its attempt runs. Recording the attempt sets the real next time
//!   (or ends it). Should the taker die mid-attempt, the item is due again when the lease ends,
//!   so delivery stays at least once.

use async_trait::async_trait;
use deadpool_postgres::{Object, Transaction};
use serde_json::json;
use tokio_postgres::IsolationLevel;

use super::team_store::record_item_change;
use super::{PgStore, agents, audit, emails, messages, pushes, ratings, sessions, webhooks};
use crate::domain::webhook::{Delivery, EndpointFields, EventType, WebhookEndpoint};
use crate::domain::{SessionOwner, Timestamp};
use crate::error::{Error, Result};
use crate::store::outbox::{
    AttemptResult, DueDelivery, NewEmail, OutboxEvent, OutboxStore, QueuedEmail, QueuedPush,
    RenderedEvent, UnsentEvents,
};
use crate::store::postgres::write_tx;

/// How long a taken delivery, email or push stays its taker's: far longer than one attempt
/// (a webhook or FCM request gives up after 10 s, each step of an SMTP exchange after 30 s),
/// and short enough that an item whose replica died waits at most this long past its time.
const LEASE_MS: i64 = 5 * 60_000;

/// When a lease taken at `now` ends.
fn lease_end(now: Timestamp) -> Timestamp {
    Timestamp(now.0.saturating_add(LEASE_MS))
}

/// Opens the READ COMMITTED transaction a claim runs in (see [`webhooks::claim_due`] for why
/// not SERIALIZABLE).
async fn read_committed(client: &mut Object) -> Result<Transaction<'_>> {
    Ok(client
        .build_transaction()
        .isolation_level(IsolationLevel::ReadCommitted)
        .start()
        .await?)
}

/// Runs one claim (`$claim`, an expression using `$tx`) in its own READ COMMITTED transaction
/// and answers what it claimed once committed. Counted as a read, as the SQLite engine's
/// listing of due items is.
macro_rules! claim {
    ($store:expr, |$tx:ident| $claim:expr) => {{
        let mut client = $store.reader().await?;
        let $tx = read_committed(&mut client).await?;
        let claimed = $claim.await?;
        $tx.commit().await?;
        Ok(claimed)
    }};
}

#[async_trait]
impl OutboxStore for PgStore {
    async fn set_wanted_events(&self, events: Vec<EventType>) -> Result<()> {
        write_tx!(self, |tx| webhooks::set_wanted(&tx, &events).await)
    }

    async fn unsent_events(&self, limit: usize) -> Result<UnsentEvents> {
        let c = self.reader().await?;
        let mut found = UnsentEvents::default();
        for (seq, kind, session_id, subject, created_at) in
            webhooks::oldest_events(&c, limit).await?
        {
            let (Some(event), Some(session)) = (
                EventType::from_outbox(&kind),
                sessions::get(&c, &session_id).await?,
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
                    out.message = messages::find(&c, &session_id, &subject).await?;
                }
                EventType::SessionAssigned => {
                    out.agent = agents::get(&c, &subject).await?.map(|a| (a.id, a.name));
                }
                EventType::RatingCreated => {
                    out.rating = ratings::for_session(&c, &session_id).await?;
                }
                EventType::SessionCreated | EventType::SessionEnded => {}
            }
            found.events.push(out);
        }
        Ok(found)
    }

    async fn fan_out(
        &self,
        events: Vec<RenderedEvent>,
        dropped: Vec<i64>,
        now: Timestamp,
    ) -> Result<()> {
        let seqs: Vec<i64> = events.iter().map(|e| e.seq).collect();
        write_tx!(self, |tx| {
            // An event not claimed is being fanned out by another replica, was fanned out
            // already, or went with its chat (erased or deleted since it was read): nothing
            // of it may be queued here.
            let claimed = webhooks::claim_events(&tx, &seqs).await?;
            for e in events.iter().filter(|e| claimed.contains(&e.seq)) {
                webhooks::enqueue(&tx, e.event, &e.message_id, &e.body, now).await?;
                for email in &e.emails {
                    emails::insert(&tx, email, now).await?;
                }
                if let Some(push) = &e.push {
                    pushes::queue(&tx, push, now).await?;
                }
            }
            webhooks::claim_events(&tx, &dropped).await?;
            Ok(())
        })
    }

    async fn queue_email(&self, email: NewEmail, now: Timestamp) -> Result<bool> {
        write_tx!(self, |tx| emails::insert(&tx, &email, now).await)
    }

    /// Claims and leases the emails it answers (see the module's doc).
    async fn due_emails(
        &self,
        now: Timestamp,
        limit: usize,
        skip: Vec<i64>,
    ) -> Result<Vec<QueuedEmail>> {
        claim!(self, |tx| emails::claim_due(
            &tx,
            now,
            limit,
            &skip,
            lease_end(now)
        ))
    }

    async fn record_email_attempt(&self, id: i64, result: AttemptResult) -> Result<()> {
        write_tx!(self, |tx| emails::record_attempt(&tx, id, &result).await)
    }

    async fn register_push_token(
        &self,
        owner: SessionOwner,
        token: String,
        platform: &'static str,
        max_per_user: usize,
        now: Timestamp,
    ) -> Result<()> {
        write_tx!(self, |tx| {
            pushes::register(&tx, &owner, &token, platform, max_per_user, now).await
        })
    }

    async fn drop_push_token(&self, token: String) -> Result<()> {
        write_tx!(self, |tx| pushes::forget(&tx, &token).await)
    }

    /// Claims and leases the pushes it answers (see the module's doc).
    async fn due_pushes(
        &self,
        now: Timestamp,
        limit: usize,
        skip: Vec<i64>,
    ) -> Result<Vec<QueuedPush>> {
        claim!(self, |tx| pushes::claim_due(
            &tx,
            now,
            limit,
            &skip,
            lease_end(now)
        ))
    }

    async fn record_push_attempt(&self, id: i64, result: AttemptResult) -> Result<()> {
        write_tx!(self, |tx| pushes::record_attempt(&tx, id, &result).await)
    }

    async fn outbox_backlog(&self) -> Result<u64> {
        let c = self.reader().await?;
        webhooks::backlog(&c).await
    }

    async fn create_endpoint(
        &self,
        id: &str,
        fields: EndpointFields,
        secret: &str,
        actor: &str,
        now: Timestamp,
    ) -> Result<WebhookEndpoint> {
        let detail = json!({ "webhookId": id, "url": fields.url });
        write_tx!(self, |tx| {
            webhooks::insert_endpoint(&tx, id, &fields, secret, now).await?;
            audit::record(&tx, now, Some(actor), "webhook_create", None, Some(&detail)).await?;
            webhooks::require_endpoint(&tx, id).await
        })
    }

    async fn endpoints(&self) -> Result<Vec<WebhookEndpoint>> {
        let c = self.reader().await?;
        webhooks::endpoints(&c).await
    }

    async fn endpoint(&self, id: &str) -> Result<Option<WebhookEndpoint>> {
        let c = self.reader().await?;
        webhooks::endpoint(&c, id).await
    }

    async fn update_endpoint(
        &self,
        id: &str,
        fields: EndpointFields,
        actor: &str,
        now: Timestamp,
    ) -> Result<WebhookEndpoint> {
        write_tx!(self, |tx| {
            if !webhooks::update_endpoint(&tx, id, &fields, now).await? {
                return Err(Error::NotFound("Webhook endpoint"));
            }
            record_item_change(&tx, now, actor, "webhook_update", "webhookId", id).await?;
            webhooks::require_endpoint(&tx, id).await
        })
    }

    async fn rotate_endpoint_secret(
        &self,
        id: &str,
        secret: &str,
        actor: &str,
        now: Timestamp,
    ) -> Result<WebhookEndpoint> {
        write_tx!(self, |tx| {
            if !webhooks::set_secret(&tx, id, secret, now).await? {
                return Err(Error::NotFound("Webhook endpoint"));
            }
            record_item_change(&tx, now, actor, "webhook_rotate_secret", "webhookId", id).await?;
            webhooks::require_endpoint(&tx, id).await
        })
    }

    async fn delete_endpoint(&self, id: &str, actor: &str, now: Timestamp) -> Result<()> {
        write_tx!(self, |tx| {
            if !webhooks::delete_endpoint(&tx, id).await? {
                return Err(Error::NotFound("Webhook endpoint"));
            }
            record_item_change(&tx, now, actor, "webhook_delete", "webhookId", id).await
        })
    }

    /// Claims and leases the deliveries it answers (see the module's doc), at most
    /// [`webhooks::STARTED_PER_ENDPOINT`] to one endpoint counting those in `skip`.
    async fn due_deliveries(
        &self,
        now: Timestamp,
        limit: usize,
        skip: Vec<i64>,
    ) -> Result<Vec<DueDelivery>> {
        claim!(self, |tx| webhooks::claim_due(
            &tx,
            now,
            limit,
            &skip,
            lease_end(now)
        ))
    }

    async fn record_attempt(&self, delivery_id: i64, result: AttemptResult) -> Result<()> {
        write_tx!(self, |tx| webhooks::record_attempt(
            &tx,
            delivery_id,
            &result
        )
        .await)
    }

    async fn deliveries(&self, endpoint_id: &str, limit: usize) -> Result<Vec<Delivery>> {
        let c = self.reader().await?;
        webhooks::for_endpoint(&c, endpoint_id, limit).await
    }

    async fn redeliver(
        &self,
        endpoint_id: &str,
        delivery_id: i64,
        actor: &str,
        now: Timestamp,
    ) -> Result<Delivery> {
        let detail = json!({ "webhookId": endpoint_id, "deliveryId": delivery_id });
        write_tx!(self, |tx| {
            if !webhooks::requeue(&tx, endpoint_id, delivery_id, now).await? {
                return Err(Error::NotFound("Delivery"));
            }
            audit::record(
                &tx,
                now,
                Some(actor),
                "webhook_redeliver",
                None,
                Some(&detail),
            )
            .await?;
            webhooks::delivery(&tx, delivery_id)
                .await?
                .ok_or(Error::NotFound("Delivery"))
        })
    }
}
