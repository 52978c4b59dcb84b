//! The `outbox_wanted`, `outbox_events`, `webhook_endpoints` and `webhook_deliveries` tables.

use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

use super::db;
use crate::domain::Timestamp;
use crate::domain::webhook::{
    Delivery, DeliveryStatus, EndpointFields, EventType, RETRY_FOR_MS, WebhookEndpoint,
};
use crate::error::{Error, Result};
use crate::store::outbox::{AttemptResult, DueDelivery};

/// Deliveries to one endpoint that one caller of [`claim_due`] has on their way at once: the
/// webhook dispatcher's `PER_ENDPOINT`. The dispatcher starts no more than that many per
/// endpoint and drops the rest of what it is handed; a dropped delivery would keep its lease
/// and wait it out, so the claim never hands out more than the dispatcher starts. (The
/// PostgreSQL outbox conformance cases check the two agree.)
pub(crate) const STARTED_PER_ENDPOINT: i64 = 4;

pub(crate) async fn set_wanted(c: &impl GenericClient, events: &[EventType]) -> Result<()> {
    db::exec(c, "DELETE FROM outbox_wanted", &[]).await?;
    for event in events {
        db::exec(
            c,
            "INSERT INTO outbox_wanted (type) VALUES ($1)",
            &[&event.as_str()],
        )
        .await?;
    }
    Ok(())
}

/// An `outbox_events` row: `(seq, type, session_id, subject, created_at)`.
pub(crate) type EventRow = (i64, String, String, Option<String>, Timestamp);

/// The oldest events.
pub(crate) async fn oldest_events(c: &impl GenericClient, limit: usize) -> Result<Vec<EventRow>> {
    db::rows(
        c,
        "SELECT seq, type, session_id, subject, created_at FROM outbox_events ORDER BY seq LIMIT $1",
        &[&(limit as i64)],
    )
    .await?
    .iter()
    .map(|r| {
        Ok((
            r.try_get(0)?,
            r.try_get(1)?,
            r.try_get(2)?,
            r.try_get(3)?,
            r.try_get(4)?,
        ))
    })
    .collect()
}

/// Deletes those of the events `seqs` that are still there and no other unit of work is
/// deleting right now, and answers their seqs: the events this unit of work fans out. An
/// event another replica has locked is skipped, not waited for: that replica fans it out (or,
/// should it roll back, a later round does). One already gone was fanned out, or its chat was
/// erased or deleted.
pub(crate) async fn claim_events(c: &impl GenericClient, seqs: &[i64]) -> Result<Vec<i64>> {
    db::rows(
        c,
        "DELETE FROM outbox_events WHERE seq IN
             (SELECT seq FROM outbox_events WHERE seq = ANY($1) FOR UPDATE SKIP LOCKED)
         RETURNING seq",
        &[&seqs],
    )
    .await?
    .iter()
    .map(|r| Ok(r.try_get(0)?))
    .collect()
}

/// A pending delivery of the event to each active endpoint subscribed to its type, filed
/// under the chat its payload names (so erasing or deleting the chat finds it).
pub(crate) async fn enqueue(
    c: &impl GenericClient,
    event: EventType,
    message_id: &str,
    body: &str,
    now: Timestamp,
) -> Result<()> {
    // `events` is a JSON array of type names; `?` asks whether it holds this one.
    db::exec(
        c,
        "INSERT INTO webhook_deliveries
             (endpoint_id, message_id, type, body, next_attempt_at, created_at, session_id)
         SELECT e.id, $1, $2::TEXT, $3::TEXT, $4, $4, $3::TEXT::jsonb #>> '{data,session,sessionId}'
         FROM webhook_endpoints e
         WHERE e.active AND e.events::jsonb ? $2::TEXT
         ON CONFLICT (endpoint_id, message_id) DO NOTHING",
        &[&message_id, &event.as_str(), &body, &now],
    )
    .await?;
    Ok(())
}

pub(crate) async fn backlog(c: &impl GenericClient) -> Result<u64> {
    let count: i64 = db::row(
        c,
        "SELECT (SELECT COUNT(*) FROM outbox_events)
              + (SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'pending')
              + (SELECT COUNT(*) FROM email_outbox WHERE status = 'pending')
              + (SELECT COUNT(*) FROM push_outbox WHERE status = 'pending')",
        &[],
    )
    .await?
    .try_get(0)?;
    Ok(count.max(0) as u64)
}

// ---- endpoints ----

const ENDPOINT_COLUMNS: &str = "id, url, description, events, secret, active, failing_since, \
                                disabled_reason, created_at, updated_at";

fn endpoint_from_row(r: &Row) -> Result<WebhookEndpoint> {
    let events: String = r.try_get(3)?;
    let names: Vec<String> = serde_json::from_str(&events).unwrap_or_default();
    Ok(WebhookEndpoint {
        id: r.try_get(0)?,
        url: r.try_get(1)?,
        description: r.try_get(2)?,
        events: names.iter().filter_map(|n| EventType::parse(n)).collect(),
        secret: r.try_get(4)?,
        active: r.try_get(5)?,
        failing_since: r.try_get(6)?,
        disabled_reason: r.try_get(7)?,
        created_at: r.try_get(8)?,
        updated_at: r.try_get(9)?,
    })
}

fn events_json(events: &[EventType]) -> String {
    serde_json::to_string(&events.iter().map(|e| e.as_str()).collect::<Vec<_>>())
        .unwrap_or_else(|_| "[]".into())
}

pub(crate) async fn insert_endpoint(
    c: &impl GenericClient,
    id: &str,
    f: &EndpointFields,
    secret: &str,
    now: Timestamp,
) -> Result<()> {
    db::exec(
        c,
        "INSERT INTO webhook_endpoints (id, url, description, events, secret, active, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
        &[
            &id,
            &f.url,
            &f.description,
            &events_json(&f.events),
            &secret,
            &f.active,
            &now,
        ],
    )
    .await?;
    Ok(())
}

pub(crate) async fn endpoint(c: &impl GenericClient, id: &str) -> Result<Option<WebhookEndpoint>> {
    db::row_opt(
        c,
        &format!("SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1"),
        &[&id],
    )
    .await?
    .as_ref()
    .map(endpoint_from_row)
    .transpose()
}

pub(crate) async fn require_endpoint(c: &impl GenericClient, id: &str) -> Result<WebhookEndpoint> {
    endpoint(c, id)
        .await?
        .ok_or(Error::NotFound("Webhook endpoint"))
}

pub(crate) async fn endpoints(c: &impl GenericClient) -> Result<Vec<WebhookEndpoint>> {
    db::rows(
        c,
        &format!("SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints ORDER BY created_at, id"),
        &[],
    )
    .await?
    .iter()
    .map(endpoint_from_row)
    .collect()
}

pub(crate) async fn update_endpoint(
    c: &impl GenericClient,
    id: &str,
    f: &EndpointFields,
    now: Timestamp,
) -> Result<bool> {
    Ok(db::exec(
        c,
        "UPDATE webhook_endpoints SET url = $2, description = $3, events = $4, active = $5,
             failing_since = CASE WHEN $5 AND NOT active THEN NULL ELSE failing_since END,
             disabled_reason = CASE WHEN $5 THEN NULL ELSE disabled_reason END,
             updated_at = $6
         WHERE id = $1",
        &[
            &id,
            &f.url,
            &f.description,
            &events_json(&f.events),
            &f.active,
            &now,
        ],
    )
    .await?
        == 1)
}

pub(crate) async fn set_secret(
    c: &impl GenericClient,
    id: &str,
    secret: &str,
    now: Timestamp,
) -> Result<bool> {
    Ok(db::exec(
        c,
        "UPDATE webhook_endpoints SET secret = $2, updated_at = $3 WHERE id = $1",
        &[&id, &secret, &now],
    )
    .await?
        == 1)
}

pub(crate) async fn delete_endpoint(c: &impl GenericClient, id: &str) -> Result<bool> {
    db::exec(
        c,
        "DELETE FROM webhook_deliveries WHERE endpoint_id = $1",
        &[&id],
    )
    .await?;
    Ok(db::exec(c, "DELETE FROM webhook_endpoints WHERE id = $1", &[&id]).await? == 1)
}

// ---- deliveries ----

const DELIVERY_COLUMNS: &str = "d.id, d.endpoint_id, d.message_id, d.type, d.body, d.status, \
    d.attempts, d.next_attempt_at, d.last_attempt_at, d.response_status, d.last_error, d.created_at";

fn delivery_from_row(r: &Row) -> Result<Delivery> {
    let status: String = r.try_get(5)?;
    Ok(Delivery {
        id: r.try_get(0)?,
        endpoint_id: r.try_get(1)?,
        message_id: r.try_get(2)?,
        event: r.try_get(3)?,
        body: r.try_get(4)?,
        status: DeliveryStatus::parse(&status).unwrap_or(DeliveryStatus::Failed),
        attempts: r.try_get(6)?,
        next_attempt_at: r.try_get(7)?,
        last_attempt_at: r.try_get(8)?,
        response_status: r.try_get(9)?,
        last_error: r.try_get(10)?,
        created_at: r.try_get(11)?,
    })
}

/// Claims what the SQLite engine's `due` lists: the oldest pending deliveries due at `now` to
/// active endpoints, leaving out `skip` (the caller's own, on their way), at most `limit`, and
/// of those at most [`STARTED_PER_ENDPOINT`] per endpoint counting the caller's own. Each is
/// leased to the caller until `lease_until` (its `next_attempt_at`, as answered): no other
/// caller takes it before then unless its attempt is recorded first. A delivery another
/// replica is claiming right now is skipped, not waited for.
///
/// Runs as one statement in a READ COMMITTED transaction: the row locks and the recheck of a
/// row another claim changed meanwhile (it is no longer due) keep two claims apart, without
/// the serialization failures SERIALIZABLE would report for claims that skip each other.
pub(crate) async fn claim_due(
    c: &impl GenericClient,
    now: Timestamp,
    limit: usize,
    skip: &[i64],
    lease_until: Timestamp,
) -> Result<Vec<DueDelivery>> {
    db::rows(
        c,
        &format!(
            "WITH oldest AS (
                 SELECT d.id, d.endpoint_id, d.next_attempt_at FROM webhook_deliveries d
                 JOIN webhook_endpoints e ON e.id = d.endpoint_id
                 WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND e.active
                   AND d.id <> ALL($3)
                 ORDER BY d.next_attempt_at, d.id LIMIT $2
                 FOR UPDATE OF d SKIP LOCKED
             ),
             on_their_way AS (
                 SELECT endpoint_id, COUNT(*) AS started FROM webhook_deliveries
                 WHERE id = ANY($3) GROUP BY endpoint_id
             ),
             startable AS (
                 SELECT o.id, o.next_attempt_at AS due_at,
                        row_number() OVER (PARTITION BY o.endpoint_id
                                           ORDER BY o.next_attempt_at, o.id)
                          + COALESCE(w.started, 0) AS place
                 FROM oldest o LEFT JOIN on_their_way w ON w.endpoint_id = o.endpoint_id
             ),
             leased AS (
                 UPDATE webhook_deliveries d SET next_attempt_at = $5
                 FROM startable s WHERE d.id = s.id AND s.place <= $4
                 RETURNING {DELIVERY_COLUMNS}, s.due_at
             )
             SELECT d.*, e.url, e.secret FROM leased d
             JOIN webhook_endpoints e ON e.id = d.endpoint_id
             ORDER BY d.due_at, d.id"
        ),
        &[
            &now,
            &(limit as i64),
            &skip,
            &STARTED_PER_ENDPOINT,
            &lease_until,
        ],
    )
    .await?
    .iter()
    .map(|r| {
        Ok(DueDelivery {
            delivery: delivery_from_row(r)?,
            url: r.try_get("url")?,
            secret: r.try_get("secret")?,
        })
    })
    .collect()
}

pub(crate) async fn delivery(c: &impl GenericClient, id: i64) -> Result<Option<Delivery>> {
    db::row_opt(
        c,
        &format!("SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d WHERE d.id = $1"),
        &[&id],
    )
    .await?
    .as_ref()
    .map(delivery_from_row)
    .transpose()
}

pub(crate) async fn for_endpoint(
    c: &impl GenericClient,
    endpoint_id: &str,
    limit: usize,
) -> Result<Vec<Delivery>> {
    db::rows(
        c,
        &format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d WHERE d.endpoint_id = $1
             ORDER BY d.id DESC LIMIT $2"
        ),
        &[&endpoint_id, &(limit as i64)],
    )
    .await?
    .iter()
    .map(delivery_from_row)
    .collect()
}

/// Records an attempt and keeps the endpoint's failure record (see the trait). The attempt's
/// result replaces the lease: a retry sets the real next time.
pub(crate) async fn record_attempt(
    c: &impl GenericClient,
    id: i64,
    r: &AttemptResult,
) -> Result<()> {
    let Some(d) = delivery(c, id).await? else {
        // Deleted with its endpoint while on its way.
        return Ok(());
    };
    let status = match (&r.error, r.retry_at) {
        (None, _) => DeliveryStatus::Delivered,
        (Some(_), Some(_)) => DeliveryStatus::Pending,
        (Some(_), None) => DeliveryStatus::Failed,
    };
    db::exec(
        c,
        "UPDATE webhook_deliveries SET status = $2, attempts = attempts + 1,
             next_attempt_at = COALESCE($3, next_attempt_at), last_attempt_at = $4,
             response_status = $5, last_error = $6
         WHERE id = $1",
        &[
            &id,
            &status.as_str(),
            &r.retry_at,
            &r.at,
            &r.response_status.map(i64::from),
            &r.error,
        ],
    )
    .await?;
    // The endpoint row is written only when its failure record changes: the attempts of
    // every replica to one endpoint record at once, and each write of the same row would make
    // the others' transactions run again.
    if r.error.is_none() {
        db::exec(
            c,
            "UPDATE webhook_endpoints SET failing_since = NULL
             WHERE id = $1 AND failing_since IS NOT NULL",
            &[&d.endpoint_id],
        )
        .await?;
        return Ok(());
    }
    db::exec(
        c,
        "UPDATE webhook_endpoints SET failing_since = $2 WHERE id = $1 AND failing_since IS NULL",
        &[&d.endpoint_id, &r.at],
    )
    .await?;
    db::exec(
        c,
        "UPDATE webhook_endpoints SET active = FALSE, updated_at = $2,
             disabled_reason = 'Every delivery failed for 24 hours; the last error: ' || $3::TEXT
         WHERE id = $1 AND active AND failing_since <= $4",
        &[
            &d.endpoint_id,
            &r.at,
            &r.error,
            &Timestamp(r.at.0 - RETRY_FOR_MS),
        ],
    )
    .await?;
    Ok(())
}

/// Due again at `now`; false unless the delivery belongs to the endpoint.
pub(crate) async fn requeue(
    c: &impl GenericClient,
    endpoint_id: &str,
    id: i64,
    now: Timestamp,
) -> Result<bool> {
    Ok(db::exec(
        c,
        "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $3
         WHERE id = $1 AND endpoint_id = $2",
        &[&id, &endpoint_id, &now],
    )
    .await?
        == 1)
}
