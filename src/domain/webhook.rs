//! Webhooks (SPEC.md section 10): the events an endpoint can subscribe to, endpoints, their
//! deliveries, and the retry schedule of the Standard Webhooks specification.

use crate::domain::Timestamp;
use crate::error::{Error, Result};

/// What a webhook can report; the names are the payload's `type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventType {
    SessionCreated,
    MessageCreated,
    SessionAssigned,
    SessionEnded,
    RatingCreated,
    OfflineMessageCreated,
    /// An agent's reply in an offline-form chat: an outbox event for email, never a webhook.
    OfflineReplyCreated,
}

impl EventType {
    pub const ALL: [EventType; 6] = [
        EventType::SessionCreated,
        EventType::MessageCreated,
        EventType::SessionAssigned,
        EventType::SessionEnded,
        EventType::RatingCreated,
        EventType::OfflineMessageCreated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::SessionCreated => "session.created",
            EventType::MessageCreated => "message.created",
            EventType::SessionAssigned => "session.assigned",
            EventType::SessionEnded => "session.ended",
            EventType::RatingCreated => "rating.created",
            EventType::OfflineMessageCreated => "offline_message.created",
            EventType::OfflineReplyCreated => "offline_reply.created",
        }
    }

    /// A webhook event by name (the ones endpoints may subscribe to).
    pub fn parse(raw: &str) -> Option<Self> {
        EventType::ALL.into_iter().find(|t| t.as_str() == raw)
    }

    /// Any outbox event by name, the internal ones too.
    pub fn from_outbox(raw: &str) -> Option<Self> {
        EventType::parse(raw)
            .or((raw == "offline_reply.created").then_some(Self::OfflineReplyCreated))
    }

    /// A subscription list: at least one event, each known, none twice (kept in `ALL`'s order).
    pub fn parse_list(raw: &[String]) -> Result<Vec<EventType>> {
        if raw.is_empty() {
            return Err(Error::validation(
                "events",
                "events must name at least one event",
            ));
        }
        let mut events = Vec::new();
        for name in raw {
            let Some(event) = EventType::parse(name) else {
                let known: Vec<&str> = EventType::ALL.iter().map(|t| t.as_str()).collect();
                return Err(Error::validation(
                    "events",
                    format!("unknown event; the events are {}", known.join(", ")),
                ));
            };
            if !events.contains(&event) {
                events.push(event);
            }
        }
        events.sort();
        Ok(events)
    }
}

/// A receiver of webhooks.
#[derive(Clone, Debug, PartialEq)]
pub struct WebhookEndpoint {
    pub id: String,
    pub url: String,
    pub description: String,
    pub events: Vec<EventType>,
    /// `whsec_` and the base64 signing key; shown only when made or rotated.
    pub secret: String,
    pub active: bool,
    /// Failing since this time (no success since); cleared by a success.
    pub failing_since: Option<Timestamp>,
    /// Why the server turned the endpoint off, when it did.
    pub disabled_reason: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// An endpoint's fields as set by an admin.
#[derive(Clone, Debug)]
pub struct EndpointFields {
    pub url: String,
    pub description: String,
    pub events: Vec<EventType>,
    pub active: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryStatus {
    Pending,
    Delivered,
    /// Gave up: no success within [`RETRY_FOR_MS`].
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [
            DeliveryStatus::Pending,
            DeliveryStatus::Delivered,
            DeliveryStatus::Failed,
        ]
        .into_iter()
        .find(|s| s.as_str() == raw)
    }
}

/// One event on its way to one endpoint.
#[derive(Clone, Debug, PartialEq)]
pub struct Delivery {
    pub id: i64,
    pub endpoint_id: String,
    /// The `webhook-id` header: the same on every attempt, so receivers can drop repeats.
    pub message_id: String,
    pub event: String,
    pub body: String,
    pub status: DeliveryStatus,
    pub attempts: i64,
    pub next_attempt_at: Timestamp,
    pub last_attempt_at: Option<Timestamp>,
    pub response_status: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: Timestamp,
}

/// How long a delivery is retried, and how long an endpoint may fail before it is disabled.
pub const RETRY_FOR_MS: i64 = 24 * 3600 * 1000;

/// Waits after each failed attempt, as the Standard Webhooks specification suggests: 5 s,
/// 5 min, 30 min, 2 h, 5 h, then every 10 h until [`RETRY_FOR_MS`] has passed.
const BACKOFF_MS: [i64; 6] = [
    5_000,
    5 * 60_000,
    30 * 60_000,
    2 * 3_600_000,
    5 * 3_600_000,
    10 * 3_600_000,
];

/// When to try again after `attempts` failed attempts of a delivery made at `created_at`;
/// `None` when the delivery has run out of time and fails for good.
pub fn next_attempt(attempts: i64, created_at: Timestamp, now: Timestamp) -> Option<Timestamp> {
    let index = usize::try_from(attempts.max(1) - 1).unwrap_or(usize::MAX);
    let wait = BACKOFF_MS[index.min(BACKOFF_MS.len() - 1)];
    let at = now.0.saturating_add(wait);
    (at <= created_at.0.saturating_add(RETRY_FOR_MS)).then_some(Timestamp(at))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_for_a_day_then_stop() {
        let start = Timestamp(1_000_000);
        assert_eq!(next_attempt(1, start, start), Some(Timestamp(1_005_000)));
        assert_eq!(
            next_attempt(2, start, Timestamp(1_005_000)),
            Some(Timestamp(1_305_000))
        );
        assert_eq!(
            next_attempt(9, start, start),
            Some(Timestamp(start.0 + 10 * 3_600_000))
        );
        let late = Timestamp(start.0 + RETRY_FOR_MS - 1000);
        assert_eq!(next_attempt(7, start, late), None);
    }

    #[test]
    fn subscriptions_are_known_events_each_once() {
        let list = |names: &[&str]| {
            EventType::parse_list(&names.iter().map(|s| s.to_string()).collect::<Vec<_>>())
        };
        assert_eq!(
            list(&["rating.created", "message.created", "rating.created"]).unwrap(),
            vec![EventType::MessageCreated, EventType::RatingCreated]
        );
        assert!(list(&[]).is_err());
        assert!(list(&["message.deleted"]).is_err());
    }
}
