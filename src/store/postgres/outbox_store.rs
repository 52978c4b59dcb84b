//! The PostgreSQL side of [`crate::store::OutboxStore`].

use crate::domain::message::Message;
use crate::domain::rating::Rating;
use crate::domain::session::Session;
use crate::domain::webhook::{Delivery, EndpointFields, EventType, WebhookEndpoint};
use crate::domain::{SessionOwner, Timestamp};
use crate::error::Result;
use crate::store::outbox::*;
use crate::store::postgres::PgStore;
use async_trait::async_trait;

#[async_trait]
impl OutboxStore for PgStore {
    async fn set_wanted_events(&self, _events: Vec<EventType>) -> Result<()> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn unsent_events(&self, _limit: usize) -> Result<UnsentEvents> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn fan_out(
        &self,
        _events: Vec<RenderedEvent>,
        _dropped: Vec<i64>,
        _now: Timestamp,
    ) -> Result<()> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn queue_email(&self, _email: NewEmail, _now: Timestamp) -> Result<bool> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn due_emails(
        &self,
        _now: Timestamp,
        _limit: usize,
        _skip: Vec<i64>,
    ) -> Result<Vec<QueuedEmail>> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn record_email_attempt(&self, _id: i64, _result: AttemptResult) -> Result<()> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn register_push_token(
        &self,
        _owner: SessionOwner,
        _token: String,
        _platform: &'static str,
        _max_per_user: usize,
        _now: Timestamp,
    ) -> Result<()> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn drop_push_token(&self, _token: String) -> Result<()> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn due_pushes(
        &self,
        _now: Timestamp,
        _limit: usize,
        _skip: Vec<i64>,
    ) -> Result<Vec<QueuedPush>> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn record_push_attempt(&self, _id: i64, _result: AttemptResult) -> Result<()> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn outbox_backlog(&self) -> Result<u64> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn create_endpoint(
        &self,
        _id: &str,
        _fields: EndpointFields,
        _secret: &str,
        _actor: &str,
        _now: Timestamp,
    ) -> Result<WebhookEndpoint> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn endpoints(&self) -> Result<Vec<WebhookEndpoint>> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn endpoint(&self, _id: &str) -> Result<Option<WebhookEndpoint>> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn update_endpoint(
        &self,
        _id: &str,
        _fields: EndpointFields,
        _actor: &str,
        _now: Timestamp,
    ) -> Result<WebhookEndpoint> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn rotate_endpoint_secret(
        &self,
        _id: &str,
        _secret: &str,
        _actor: &str,
        _now: Timestamp,
    ) -> Result<WebhookEndpoint> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn delete_endpoint(&self, _id: &str, _actor: &str, _now: Timestamp) -> Result<()> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn due_deliveries(
        &self,
        _now: Timestamp,
        _limit: usize,
        _skip: Vec<i64>,
    ) -> Result<Vec<DueDelivery>> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn record_attempt(&self, _delivery_id: i64, _result: AttemptResult) -> Result<()> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn deliveries(&self, _endpoint_id: &str, _limit: usize) -> Result<Vec<Delivery>> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }

    async fn redeliver(
        &self,
        _endpoint_id: &str,
        _delivery_id: i64,
        _actor: &str,
        _now: Timestamp,
    ) -> Result<Delivery> {
        Err(crate::error::Error::Unavailable("not yet on PostgreSQL"))
    }
}
