//! The outbox as storage sees it: events committed with the changes they report, webhook
//! endpoints, and the deliveries made from the events. Every method is one atomic unit of work.
//!
//! The engine writes an outbox event in the same unit of work as each change of a kind some
//! consumer wants (see [`OutboxStore::set_wanted_events`]): a session started (not by the
//! offline form), a user's or agent's message, a chat assigned, a chat ended, a rating, and a
//! visitor's message in an offline-form chat. Nothing else writes events.

use async_trait::async_trait;

use crate::domain::message::Message;
use crate::domain::rating::Rating;
use crate::domain::session::Session;
use crate::domain::webhook::{Delivery, EndpointFields, EventType, WebhookEndpoint};
use crate::domain::{SessionOwner, Timestamp};
use crate::error::Result;

/// An event waiting to be fanned out, with what it concerns as it reads now.
#[derive(Clone, Debug)]
pub struct OutboxEvent {
    pub seq: i64,
    pub event: EventType,
    pub created_at: Timestamp,
    pub session: Session,
    /// `message.created` and `offline_message.created`.
    pub message: Option<Message>,
    /// `session.assigned`: the agent's id and name.
    pub agent: Option<(String, String)>,
    /// `rating.created`.
    pub rating: Option<Rating>,
}

/// What [`OutboxStore::unsent_events`] found.
#[derive(Clone, Debug, Default)]
pub struct UnsentEvents {
    pub events: Vec<OutboxEvent>,
    /// Events whose session is gone (nothing to report): `fan_out` drops them.
    pub orphaned: Vec<i64>,
}

/// An event rendered for its subscribers.
#[derive(Clone, Debug)]
pub struct RenderedEvent {
    pub seq: i64,
    pub event: EventType,
    /// The `webhook-id` every subscriber gets for it.
    pub message_id: String,
    pub body: String,
    /// Emails the event sends, queued in the same unit of work.
    pub emails: Vec<NewEmail>,
    /// A push the event sends to every device of a user, queued in the same unit of work.
    pub push: Option<NewPush>,
}

/// A notification to every registered device of `owner`.
#[derive(Clone, Debug, PartialEq)]
pub struct NewPush {
    pub owner: SessionOwner,
    pub session_id: String,
    pub message_id: String,
    pub title: String,
    pub body: String,
}

/// A push due for an attempt.
#[derive(Clone, Debug)]
pub struct QueuedPush {
    pub id: i64,
    pub token: String,
    pub session_id: String,
    pub message_id: String,
    pub title: String,
    pub body: String,
    pub attempts: i64,
    pub created_at: Timestamp,
}

/// An email to send.
#[derive(Clone, Debug, PartialEq)]
pub struct NewEmail {
    /// `offline_message`, `offline_reply`, `transcript` or `waiting_alert`.
    pub kind: &'static str,
    /// Queuing an email with a key already queued does nothing.
    pub dedupe_key: String,
    pub session_id: Option<String>,
    pub to: String,
    pub reply_to: Option<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// An email due for an attempt.
#[derive(Clone, Debug)]
pub struct QueuedEmail {
    pub id: i64,
    pub kind: String,
    pub to: String,
    pub reply_to: Option<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub attempts: i64,
    pub created_at: Timestamp,
}

/// A delivery due for an attempt, with where it goes.
#[derive(Clone, Debug)]
pub struct DueDelivery {
    pub delivery: Delivery,
    pub url: String,
    pub secret: String,
}

/// How an attempt went.
#[derive(Clone, Debug)]
pub struct AttemptResult {
    pub at: Timestamp,
    /// The receiver's status code, when one answered.
    pub response_status: Option<u16>,
    /// Why it failed; `None` for a success.
    pub error: Option<String>,
    /// When to try again after a failure; `None` gives up (the delivery fails for good).
    pub retry_at: Option<Timestamp>,
}

/// Storage for the outbox and webhooks.
///
/// Several replicas may run the same dispatchers on one database. Fanning out hands each
/// event to one of them. Taking due items ([`OutboxStore::due_deliveries`],
/// [`OutboxStore::due_emails`], [`OutboxStore::due_pushes`]) leases each item answered to the
/// caller for a few minutes (far longer than one attempt): no other caller is handed it until
/// its attempt is recorded, which sets its real next time, or the lease ends. An item taken
/// and never recorded (its taker died) is due again when the lease ends, so sending stays at
/// least once; a caller should attempt every item it takes. An engine with a single process
/// may skip the lease (the caller's `skip` list keeps its own items apart).
#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// Makes the engine write events of exactly these types from now on.
    async fn set_wanted_events(&self, events: Vec<EventType>) -> Result<()>;

    /// The oldest events not fanned out yet, at most `limit`, with what they concern.
    async fn unsent_events(&self, limit: usize) -> Result<UnsentEvents>;

    /// In one unit of work: a pending delivery of each event to every active endpoint that
    /// subscribes to its type (due at `now`), and the events deleted, together with those in
    /// `dropped`. An event is fanned out once however often this runs, and not at all once
    /// its chat is erased or deleted (the event went with it).
    async fn fan_out(
        &self,
        events: Vec<RenderedEvent>,
        dropped: Vec<i64>,
        now: Timestamp,
    ) -> Result<()>;

    /// Queues an email; false when one with its key was queued before, or when the chat it
    /// is about no longer exists (nothing changes).
    async fn queue_email(&self, email: NewEmail, now: Timestamp) -> Result<bool>;

    /// Pending emails due at `now`, oldest first, at most `limit`, leaving out those in `skip`,
    /// each leased to the caller (see the trait).
    async fn due_emails(
        &self,
        now: Timestamp,
        limit: usize,
        skip: Vec<i64>,
    ) -> Result<Vec<QueuedEmail>>;

    /// Records an attempt: sent, retried at `retry_at`, or failed for good.
    async fn record_email_attempt(&self, id: i64, result: AttemptResult) -> Result<()>;

    /// Registers a device for `owner` (moving the token from whoever had it); at most
    /// `max_per_user` tokens are kept per user, the least recently registered dropped first.
    async fn register_push_token(
        &self,
        owner: SessionOwner,
        token: String,
        platform: &'static str,
        max_per_user: usize,
        now: Timestamp,
    ) -> Result<()>;

    /// Forgets a device (FCM said it is unregistered) and its pending pushes.
    async fn drop_push_token(&self, token: String) -> Result<()>;

    /// Pending pushes due at `now`, oldest first, at most `limit`, leaving out those in `skip`,
    /// each leased to the caller (see the trait).
    async fn due_pushes(
        &self,
        now: Timestamp,
        limit: usize,
        skip: Vec<i64>,
    ) -> Result<Vec<QueuedPush>>;

    /// Records an attempt: sent, retried at `retry_at`, or failed for good.
    async fn record_push_attempt(&self, id: i64, result: AttemptResult) -> Result<()>;

    /// Events and pending deliveries not yet done, for the backlog gauge.
    async fn outbox_backlog(&self) -> Result<u64>;

    // ---- endpoints (each change audited under the action named) ----

    /// `webhook_create`.
    async fn create_endpoint(
        &self,
        id: &str,
        fields: EndpointFields,
        secret: &str,
        actor: &str,
        now: Timestamp,
    ) -> Result<WebhookEndpoint>;

    async fn endpoints(&self) -> Result<Vec<WebhookEndpoint>>;

    async fn endpoint(&self, id: &str) -> Result<Option<WebhookEndpoint>>;

    /// `webhook_update`. Turning an endpoint on clears its failure record. `Error::NotFound`
    /// for an unknown id.
    async fn update_endpoint(
        &self,
        id: &str,
        fields: EndpointFields,
        actor: &str,
        now: Timestamp,
    ) -> Result<WebhookEndpoint>;

    /// `webhook_rotate_secret`: the new secret signs every attempt from now on.
    async fn rotate_endpoint_secret(
        &self,
        id: &str,
        secret: &str,
        actor: &str,
        now: Timestamp,
    ) -> Result<WebhookEndpoint>;

    /// `webhook_delete`, with its deliveries. `Error::NotFound` for an unknown id.
    async fn delete_endpoint(&self, id: &str, actor: &str, now: Timestamp) -> Result<()>;

    // ---- deliveries ----

    /// Pending deliveries due at `now` to active endpoints, oldest first, at most `limit`,
    /// leaving out those in `skip` (already on their way), each leased to the caller (see the
    /// trait). An engine that leases answers no more to one endpoint than the webhook
    /// dispatcher starts at once, counting those in `skip`: one it did not start would wait
    /// out its lease.
    async fn due_deliveries(
        &self,
        now: Timestamp,
        limit: usize,
        skip: Vec<i64>,
    ) -> Result<Vec<DueDelivery>>;

    /// Records an attempt. A success marks the delivery delivered and clears the endpoint's
    /// failure record; a failure schedules the retry (or fails the delivery) and, when the
    /// endpoint has been failing for a day, disables it with the reason.
    async fn record_attempt(&self, delivery_id: i64, result: AttemptResult) -> Result<()>;

    /// The endpoint's newest deliveries first, at most `limit`.
    async fn deliveries(&self, endpoint_id: &str, limit: usize) -> Result<Vec<Delivery>>;

    /// Puts a delivery back in the queue, due at `now` with the same `webhook-id`
    /// (`webhook_redeliver`). `Error::NotFound` unless it belongs to that endpoint.
    async fn redeliver(
        &self,
        endpoint_id: &str,
        delivery_id: i64,
        actor: &str,
        now: Timestamp,
    ) -> Result<Delivery>;
}
