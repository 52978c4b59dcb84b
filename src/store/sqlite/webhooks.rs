//! The `outbox_wanted`, `outbox_events`, `webhook_endpoints` and `webhook_deliveries` tables.

use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::domain::Timestamp;
use crate::domain::webhook::{
    Delivery, DeliveryStatus, EndpointFields, EventType, RETRY_FOR_MS, WebhookEndpoint,
};
use crate::error::{Error, Result};
use crate::store::outbox::{AttemptResult, DueDelivery};

pub fn set_wanted(conn: &Connection, events: &[EventType]) -> Result<()> {
    conn.execute("DELETE FROM outbox_wanted", [])?;
    let mut insert = conn.prepare_cached("INSERT INTO outbox_wanted (type) VALUES (?1)")?;
    for event in events {
        insert.execute([event.as_str()])?;
    }
    Ok(())
}

/// An `outbox_events` row: `(seq, type, session_id, subject, created_at)`.
pub type EventRow = (i64, String, String, Option<String>, Timestamp);

/// The oldest events.
pub fn oldest_events(conn: &Connection, limit: usize) -> Result<Vec<EventRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, type, session_id, subject, created_at FROM outbox_events ORDER BY seq LIMIT ?1",
    )?;
    let rows = stmt
        .query_map([limit as i64], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Deletes an event; false when it was gone already (fanned out, or its chat deleted).
pub fn delete_event(conn: &Connection, seq: i64) -> Result<bool> {
    Ok(conn
        .prepare_cached("DELETE FROM outbox_events WHERE seq = ?1")?
        .execute([seq])?
        == 1)
}

/// A pending delivery of the event to each active endpoint subscribed to its type, filed
/// under the chat its payload names (so erasing or deleting the chat finds it).
pub fn enqueue(
    conn: &Connection,
    event: EventType,
    message_id: &str,
    body: &str,
    now: Timestamp,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR IGNORE INTO webhook_deliveries
             (endpoint_id, message_id, type, body, next_attempt_at, created_at, session_id)
         SELECT e.id, ?1, ?2, ?3, ?4, ?4, json_extract(?3, '$.data.session.sessionId')
         FROM webhook_endpoints e
         WHERE e.active = 1 AND EXISTS (SELECT 1 FROM json_each(e.events) WHERE value = ?2)",
    )?
    .execute(params![message_id, event.as_str(), body, now])?;
    Ok(())
}

pub fn backlog(conn: &Connection) -> Result<u64> {
    let count: i64 = conn.query_row(
        "SELECT (SELECT COUNT(*) FROM outbox_events)
              + (SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'pending')
              + (SELECT COUNT(*) FROM email_outbox WHERE status = 'pending')
              + (SELECT COUNT(*) FROM push_outbox WHERE status = 'pending')",
        [],
        |r| r.get(0),
    )?;
    Ok(count.max(0) as u64)
}

// ---- endpoints ----

const ENDPOINT_COLUMNS: &str = "id, url, description, events, secret, active, failing_since, \
                                disabled_reason, created_at, updated_at";

fn endpoint_from_row(r: &Row<'_>) -> rusqlite::Result<WebhookEndpoint> {
    let events: String = r.get(3)?;
    let names: Vec<String> = serde_json::from_str(&events).unwrap_or_default();
    Ok(WebhookEndpoint {
        id: r.get(0)?,
        url: r.get(1)?,
        description: r.get(2)?,
        events: names.iter().filter_map(|n| EventType::parse(n)).collect(),
        secret: r.get(4)?,
        active: r.get(5)?,
        failing_since: r.get(6)?,
        disabled_reason: r.get(7)?,
        created_at: r.get(8)?,
        updated_at: r.get(9)?,
    })
}

fn events_json(events: &[EventType]) -> String {
    serde_json::to_string(&events.iter().map(|e| e.as_str()).collect::<Vec<_>>())
        .unwrap_or_else(|_| "[]".into())
}

pub fn insert_endpoint(
    conn: &Connection,
    id: &str,
    f: &EndpointFields,
    secret: &str,
    now: Timestamp,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO webhook_endpoints (id, url, description, events, secret, active, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
    )?
    .execute(params![id, f.url, f.description, events_json(&f.events), secret, f.active, now])?;
    Ok(())
}

pub fn endpoint(conn: &Connection, id: &str) -> Result<Option<WebhookEndpoint>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = ?1"
        ))?
        .query_row([id], endpoint_from_row)
        .optional()?)
}

pub fn require_endpoint(conn: &Connection, id: &str) -> Result<WebhookEndpoint> {
    endpoint(conn, id)?.ok_or(Error::NotFound("Webhook endpoint"))
}

pub fn endpoints(conn: &Connection) -> Result<Vec<WebhookEndpoint>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints ORDER BY created_at, id"
    ))?;
    let rows = stmt
        .query_map([], endpoint_from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

pub fn update_endpoint(
    conn: &Connection,
    id: &str,
    f: &EndpointFields,
    now: Timestamp,
) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "UPDATE webhook_endpoints SET url = ?2, description = ?3, events = ?4, active = ?5,
                 failing_since = CASE WHEN ?5 = 1 AND active = 0 THEN NULL ELSE failing_since END,
                 disabled_reason = CASE WHEN ?5 = 1 THEN NULL ELSE disabled_reason END,
                 updated_at = ?6
             WHERE id = ?1",
        )?
        .execute(params![
            id,
            f.url,
            f.description,
            events_json(&f.events),
            f.active,
            now
        ])?
        == 1)
}

pub fn set_secret(conn: &Connection, id: &str, secret: &str, now: Timestamp) -> Result<bool> {
    Ok(conn
        .prepare_cached("UPDATE webhook_endpoints SET secret = ?2, updated_at = ?3 WHERE id = ?1")?
        .execute(params![id, secret, now])?
        == 1)
}

pub fn delete_endpoint(conn: &Connection, id: &str) -> Result<bool> {
    conn.prepare_cached("DELETE FROM webhook_deliveries WHERE endpoint_id = ?1")?
        .execute([id])?;
    Ok(conn
        .prepare_cached("DELETE FROM webhook_endpoints WHERE id = ?1")?
        .execute([id])?
        == 1)
}

// ---- deliveries ----

const DELIVERY_COLUMNS: &str = "d.id, d.endpoint_id, d.message_id, d.type, d.body, d.status, \
    d.attempts, d.next_attempt_at, d.last_attempt_at, d.response_status, d.last_error, d.created_at";

fn delivery_from_row(r: &Row<'_>) -> rusqlite::Result<Delivery> {
    let status: String = r.get(5)?;
    Ok(Delivery {
        id: r.get(0)?,
        endpoint_id: r.get(1)?,
        message_id: r.get(2)?,
        event: r.get(3)?,
        body: r.get(4)?,
        status: DeliveryStatus::parse(&status).unwrap_or(DeliveryStatus::Failed),
        attempts: r.get(6)?,
        next_attempt_at: r.get(7)?,
        last_attempt_at: r.get(8)?,
        response_status: r.get(9)?,
        last_error: r.get(10)?,
        created_at: r.get(11)?,
    })
}

pub fn due(conn: &Connection, now: Timestamp, limit: usize) -> Result<Vec<DueDelivery>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {DELIVERY_COLUMNS}, e.url, e.secret FROM webhook_deliveries d
         JOIN webhook_endpoints e ON e.id = d.endpoint_id
         WHERE d.status = 'pending' AND d.next_attempt_at <= ?1 AND e.active = 1
         ORDER BY d.next_attempt_at, d.id LIMIT ?2"
    ))?;
    let rows = stmt
        .query_map(params![now, limit as i64], |r| {
            Ok(DueDelivery {
                delivery: delivery_from_row(r)?,
                url: r.get(12)?,
                secret: r.get(13)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

pub fn delivery(conn: &Connection, id: i64) -> Result<Option<Delivery>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d WHERE d.id = ?1"
        ))?
        .query_row([id], delivery_from_row)
        .optional()?)
}

pub fn for_endpoint(conn: &Connection, endpoint_id: &str, limit: usize) -> Result<Vec<Delivery>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d WHERE d.endpoint_id = ?1
         ORDER BY d.id DESC LIMIT ?2"
    ))?;
    let rows = stmt
        .query_map(params![endpoint_id, limit as i64], delivery_from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Records an attempt and keeps the endpoint's failure record (see the trait).
pub fn record_attempt(conn: &Connection, id: i64, r: &AttemptResult) -> Result<()> {
    let Some(d) = delivery(conn, id)? else {
        // Deleted with its endpoint while on its way.
        return Ok(());
    };
    let status = match (&r.error, r.retry_at) {
        (None, _) => DeliveryStatus::Delivered,
        (Some(_), Some(_)) => DeliveryStatus::Pending,
        (Some(_), None) => DeliveryStatus::Failed,
    };
    conn.prepare_cached(
        "UPDATE webhook_deliveries SET status = ?2, attempts = attempts + 1,
             next_attempt_at = COALESCE(?3, next_attempt_at), last_attempt_at = ?4,
             response_status = ?5, last_error = ?6
         WHERE id = ?1",
    )?
    .execute(params![
        id,
        status.as_str(),
        r.retry_at,
        r.at,
        r.response_status,
        r.error
    ])?;
    if r.error.is_none() {
        conn.prepare_cached("UPDATE webhook_endpoints SET failing_since = NULL WHERE id = ?1")?
            .execute([&d.endpoint_id])?;
        return Ok(());
    }
    conn.prepare_cached(
        "UPDATE webhook_endpoints SET failing_since = COALESCE(failing_since, ?2) WHERE id = ?1",
    )?
    .execute(params![d.endpoint_id, r.at])?;
    conn.prepare_cached(
        "UPDATE webhook_endpoints SET active = 0, updated_at = ?2,
             disabled_reason = 'Every delivery failed for 24 hours; the last error: ' || ?3
         WHERE id = ?1 AND active = 1 AND failing_since <= ?4",
    )?
    .execute(params![
        d.endpoint_id,
        r.at,
        r.error,
        Timestamp(r.at.0 - RETRY_FOR_MS)
    ])?;
    Ok(())
}

/// Due again at `now`; false unless the delivery belongs to the endpoint.
pub fn requeue(conn: &Connection, endpoint_id: &str, id: i64, now: Timestamp) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = ?3
             WHERE id = ?1 AND endpoint_id = ?2",
        )?
        .execute(params![id, endpoint_id, now])?
        == 1)
}
