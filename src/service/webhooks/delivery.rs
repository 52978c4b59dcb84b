//! The delivery worker: turns outbox events into deliveries, and sends each due delivery,
//! signed, at least once. A success is any 2xx; anything else, a timeout (10 s) or a refused
//! address is retried on the schedule of [`crate::domain::webhook::next_attempt`]. Redirects
//! are not followed. At most [`PER_ENDPOINT`] deliveries are on their way to one endpoint.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

use super::address_guard::{GuardedResolver, forbidden};
use super::payload;
use crate::domain::ids::generate;
use crate::domain::webhook::next_attempt;
use crate::error::Result;
use crate::service::Services;
use crate::store::outbox::{AttemptResult, DueDelivery, RenderedEvent};

/// How long a receiver has to answer.
const TIMEOUT: Duration = Duration::from_secs(10);
/// How often the worker looks for work while any endpoint is active.
const TICK: Duration = Duration::from_millis(250);
/// Deliveries on their way to one endpoint at once.
pub const PER_ENDPOINT: usize = 4;
/// Events fanned out per round.
const EVENTS_PER_ROUND: usize = 256;
/// Deliveries started per round.
const DELIVERIES_PER_ROUND: usize = 64;

/// The worker's state, shared with the use cases that change endpoints.
pub struct Dispatcher {
    /// Some endpoint is active: only then does the worker touch the database.
    active: AtomicBool,
    wake: Notify,
    /// Deliveries on their way, by id, with their endpoint.
    in_flight: Mutex<HashMap<i64, String>>,
    client: reqwest::Client,
}

impl Dispatcher {
    pub fn new(allow_private: bool) -> Result<Self> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(TIMEOUT)
            .no_proxy()
            .user_agent(concat!("frontdesk-webhooks/", env!("CARGO_PKG_VERSION")))
            .dns_resolver(Arc::new(GuardedResolver { allow_private }))
            .build()
            .map_err(|e| crate::error::Error::internal_from("webhook client", e))?;
        Ok(Dispatcher {
            active: AtomicBool::new(false),
            wake: Notify::new(),
            in_flight: Mutex::new(HashMap::new()),
            client,
        })
    }

    pub(super) fn set_active(&self, active: bool) {
        self.active.store(active, Ordering::SeqCst);
        self.wake.notify_one();
    }

    fn take_slot(&self, d: &DueDelivery) -> bool {
        let mut in_flight = self.in_flight.lock().expect("in-flight lock");
        let busy = in_flight
            .values()
            .filter(|e| **e == d.delivery.endpoint_id)
            .count();
        if busy >= PER_ENDPOINT || in_flight.contains_key(&d.delivery.id) {
            return false;
        }
        in_flight.insert(d.delivery.id, d.delivery.endpoint_id.clone());
        true
    }

    fn release(&self, id: i64) {
        self.in_flight.lock().expect("in-flight lock").remove(&id);
        self.wake.notify_one();
    }

    fn in_flight_ids(&self) -> Vec<i64> {
        self.in_flight
            .lock()
            .expect("in-flight lock")
            .keys()
            .copied()
            .collect()
    }
}

/// Runs the worker until shutdown. The start has already run [`super::refresh`], so `active`
/// and the recorded events follow this start's settings.
pub fn spawn(ctx: Arc<Services>) {
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = ctx.shutdown.cancelled() => return,
                _ = ctx.webhooks.wake.notified() => {}
                _ = tokio::time::sleep(TICK) => {}
            }
            if !ctx.webhooks.active.load(Ordering::SeqCst) {
                continue;
            }
            if let Err(e) = round(&ctx).await {
                tracing::warn!(error = %e, "webhook round failed");
            }
        }
    });
}

/// One round: fan out new events, then start the due deliveries.
async fn round(ctx: &Arc<Services>) -> Result<()> {
    fan_out(ctx).await?;
    let due = ctx
        .store
        .due_deliveries(
            ctx.clock.now(),
            DELIVERIES_PER_ROUND,
            ctx.webhooks.in_flight_ids(),
        )
        .await?;
    for d in due {
        if ctx.webhooks.take_slot(&d) {
            let ctx = ctx.clone();
            tokio::spawn(async move {
                let id = d.delivery.id;
                let result = attempt(&ctx, &d).await;
                if let Err(e) = ctx.store.record_attempt(id, result).await {
                    tracing::warn!(error = %e, delivery = id, "webhook attempt not recorded");
                }
                ctx.webhooks.release(id);
            });
        }
    }
    Ok(())
}

async fn fan_out(ctx: &Services) -> Result<()> {
    let unsent = ctx.store.unsent_events(EVENTS_PER_ROUND).await?;
    if unsent.events.is_empty() && unsent.orphaned.is_empty() {
        return Ok(());
    }
    let now = ctx.clock.now();
    let rendered = unsent
        .events
        .iter()
        .map(|e| RenderedEvent {
            seq: e.seq,
            event: e.event,
            message_id: generate("msg", now.0),
            body: payload::render(e),
            emails: ctx.mail.emails_for(e, ctx.settings.public_url.as_deref()),
            push: crate::service::push::push_for(ctx, e),
        })
        .collect();
    ctx.store.fan_out(rendered, unsent.orphaned, now).await
}

/// Sends one delivery and says how it went.
async fn attempt(ctx: &Services, d: &DueDelivery) -> AttemptResult {
    let now = ctx.clock.now();
    let failed = |status: Option<u16>, error: String| AttemptResult {
        at: now,
        response_status: status,
        error: Some(error),
        retry_at: next_attempt(d.delivery.attempts + 1, d.delivery.created_at, now),
    };
    if let Err(why) = check_literal_address(&d.url, ctx.settings.webhook_allow_private) {
        return failed(None, why);
    }
    let signer = match standardwebhooks::Webhook::new(&d.secret) {
        Ok(s) => s,
        Err(e) => return failed(None, format!("the endpoint's secret is unusable: {e}")),
    };
    let timestamp = now.0.div_euclid(1000);
    let signature = match signer.sign(
        &d.delivery.message_id,
        timestamp,
        d.delivery.body.as_bytes(),
    ) {
        Ok(s) => s,
        Err(e) => return failed(None, format!("signing failed: {e}")),
    };
    let sent = ctx
        .webhooks
        .client
        .post(&d.url)
        .header("content-type", "application/json")
        .header(standardwebhooks::HEADER_WEBHOOK_ID, &d.delivery.message_id)
        .header(
            standardwebhooks::HEADER_WEBHOOK_TIMESTAMP,
            timestamp.to_string(),
        )
        .header(standardwebhooks::HEADER_WEBHOOK_SIGNATURE, signature)
        .body(d.delivery.body.clone())
        .send()
        .await;
    match sent {
        Ok(response) if response.status().is_success() => AttemptResult {
            at: now,
            response_status: Some(response.status().as_u16()),
            error: None,
            retry_at: None,
        },
        Ok(response) => {
            let status = response.status();
            let why = if status.is_redirection() {
                format!("answered {status}; redirects are not followed")
            } else {
                format!("answered {status}")
            };
            failed(Some(status.as_u16()), why)
        }
        Err(e) => failed(None, describe(&e)),
    }
}

/// A URL whose host is an address (no name to resolve) is checked here: the client's resolver
/// only sees names.
fn check_literal_address(url: &str, allow_private: bool) -> std::result::Result<(), String> {
    if allow_private {
        return Ok(());
    }
    let host = reqwest::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(|h| h.trim_matches(['[', ']']).to_string()));
    match host.and_then(|h| h.parse().ok()) {
        Some(ip) => match forbidden(ip) {
            Some(why) => Err(format!("refused: {ip} is {why}")),
            None => Ok(()),
        },
        None => Ok(()),
    }
}

/// The error and its causes on one line ("refused: ... resolves to 127.0.0.1, a loopback
/// address" sits deep in a connect error).
fn describe(e: &reqwest::Error) -> String {
    let mut text = if e.is_timeout() {
        "timed out after 10 s".to_string()
    } else {
        e.to_string()
    };
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text.chars().take(500).collect()
}
