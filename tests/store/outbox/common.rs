//! Arranging shared by the outbox cases.

use std::sync::Arc;

use frontdesk::domain::audit::AuditFilter;
use frontdesk::domain::webhook::{Delivery, EndpointFields, EventType, WebhookEndpoint};
use frontdesk::domain::{Role, SessionOwner, Timestamp};
use frontdesk::store::Storage;
use frontdesk::store::chats::SendOutcome;
use frontdesk::store::outbox::{AttemptResult, NewEmail, NewPush, RenderedEvent, UnsentEvents};

use crate::chats::common::{T0, send};
use crate::support::Fresh;

pub const ROOT: &str = "root";
pub const SECRET: &str = "whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0";
pub const MINUTE: i64 = 60_000;
pub const HOUR: i64 = 60 * MINUTE;

pub fn at(minutes: i64) -> Timestamp {
    Timestamp(T0.0 + minutes * MINUTE)
}

/// A store with the super admin `root`, whom the audit log names.
pub async fn with_root(s: Fresh) -> Fresh {
    s.add_agent(ROOT, Role::SuperAdmin, 5, T0).await;
    s
}

pub fn fields(events: &[EventType], active: bool) -> EndpointFields {
    EndpointFields {
        url: "https://hooks.example/in".into(),
        description: String::new(),
        events: events.to_vec(),
        active,
    }
}

pub async fn endpoint(
    store: &Arc<dyn Storage>,
    id: &str,
    events: &[EventType],
    active: bool,
) -> WebhookEndpoint {
    let made = store
        .create_endpoint(id, fields(events, active), SECRET, ROOT, T0)
        .await
        .unwrap_or_else(|e| panic!("create {id}: {e}"));
    assert_eq!((made.id.as_str(), made.active), (id, active));
    assert_eq!(made.events, events);
    made
}

pub async fn wanted(store: &Arc<dyn Storage>, events: &[EventType]) {
    store
        .set_wanted_events(events.to_vec())
        .await
        .expect("wanted events");
}

/// Sends `count` messages from `u1` into `chat`, named `{chat}_m{i}`.
pub async fn messages(store: &Arc<dyn Storage>, chat: &str, count: usize) {
    for i in 0..count {
        let id = format!("{chat}_m{i}");
        let sent = send(store, chat, &id, "hello").await;
        assert!(matches!(sent, SendOutcome::Sent(..)), "{id} was stored");
    }
}

/// The events as `renderer` renders them: a `webhook-id` and a body naming the renderer
/// and the event, an email per event and, for a message, a push to the chat's user.
pub fn render(unsent: &UnsentEvents, renderer: &str) -> Vec<RenderedEvent> {
    unsent
        .events
        .iter()
        .map(|e| RenderedEvent {
            seq: e.seq,
            event: e.event,
            message_id: format!("{renderer}_evt_{}", e.seq),
            body: format!(
                r#"{{"type":"{}","seq":{},"by":"{renderer}","data":{{"session":{{"sessionId":"{}"}}}}}}"#,
                e.event.as_str(),
                e.seq,
                e.session.id
            ),
            emails: vec![email(&format!("event:{}", e.seq), Some(&e.session.id))],
            push: e.message.as_ref().map(|m| NewPush {
                owner: SessionOwner::user(&e.session.user_id),
                session_id: e.session.id.clone(),
                message_id: m.id.clone(),
                title: "New message".into(),
                body: m.body.clone(),
            }),
        })
        .collect()
}

pub fn email(key: &str, session_id: Option<&str>) -> NewEmail {
    NewEmail {
        kind: "transcript",
        dedupe_key: key.into(),
        session_id: session_id.map(str::to_string),
        to: "someone@example.com".into(),
        reply_to: None,
        subject: format!("About {key}"),
        text: format!("About {key}"),
        html: format!("<p>About {key}</p>"),
    }
}

/// Reads the unsent events and fans them out as `renderer` renders them.
pub async fn fan_out_all(store: &Arc<dyn Storage>, renderer: &str, now: Timestamp) -> usize {
    let unsent = store.unsent_events(1000).await.expect("unsent events");
    let count = unsent.events.len();
    store
        .fan_out(render(&unsent, renderer), unsent.orphaned, now)
        .await
        .expect("fan out");
    count
}

pub async fn deliveries(store: &Arc<dyn Storage>, endpoint: &str) -> Vec<Delivery> {
    store
        .deliveries(endpoint, 1000)
        .await
        .expect("list deliveries")
}

pub fn success(at: Timestamp) -> AttemptResult {
    AttemptResult {
        at,
        response_status: Some(200),
        error: None,
        retry_at: None,
    }
}

pub fn failure(at: Timestamp, retry_at: Option<Timestamp>) -> AttemptResult {
    AttemptResult {
        at,
        response_status: Some(503),
        error: Some("answered 503".into()),
        retry_at,
    }
}

pub async fn due_delivery_ids(store: &Arc<dyn Storage>, now: Timestamp) -> Vec<i64> {
    store
        .due_deliveries(now, 100, Vec::new())
        .await
        .expect("due deliveries")
        .iter()
        .map(|d| d.delivery.id)
        .collect()
}

pub async fn due_email_keys(store: &Arc<dyn Storage>, now: Timestamp) -> Vec<(i64, String)> {
    store
        .due_emails(now, 100, Vec::new())
        .await
        .expect("due emails")
        .into_iter()
        .map(|e| (e.id, e.subject))
        .collect()
}

pub async fn due_push_tokens(store: &Arc<dyn Storage>, now: Timestamp) -> Vec<(i64, String)> {
    store
        .due_pushes(now, 100, Vec::new())
        .await
        .expect("due pushes")
        .into_iter()
        .map(|p| (p.id, p.token))
        .collect()
}

pub async fn audited(store: &Arc<dyn Storage>, action: &str) -> i64 {
    let filter = AuditFilter {
        action: Some(action.into()),
        ..AuditFilter::default()
    };
    store.audit_events(filter, 0, 100).await.expect("audit").1
}

pub async fn backlog(store: &Arc<dyn Storage>) -> u64 {
    store.outbox_backlog().await.expect("backlog")
}
