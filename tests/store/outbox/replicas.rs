//! PostgreSQL only: two handles on one database, as two replicas, share the outbox.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use frontdesk::domain::webhook::{DeliveryStatus, EventType};
use frontdesk::domain::{SessionOwner, Timestamp};
use frontdesk::service::webhooks::delivery::PER_ENDPOINT;
use frontdesk::store::Storage;
use frontdesk::store::outbox::DueDelivery;

use super::common::{
    HOUR, at, backlog, deliveries, due_delivery_ids, due_email_keys, due_push_tokens, endpoint,
    failure, fan_out_all, messages, render, success, wanted, with_root,
};
use crate::chats::common::{T0, start};
use crate::support::Replicas;

/// PostgreSQL: what one replica takes is leased to it; the other replica is not handed
/// it while the lease lasts, and is once it ends without an attempt recorded (the taker
/// died), so nothing is lost.
pub async fn a_taken_item_is_not_handed_to_another_replica_until_its_lease_ends(r: Replicas) {
    let Replicas { one, two } = r;
    let one = with_root(one).await;
    let (a, b) = (&one.store, &two);
    wanted(a, &[EventType::MessageCreated]).await;
    endpoint(a, "wh_1", &[EventType::MessageCreated], true).await;
    a.register_push_token(SessionOwner::user("u1"), "phone".into(), "ios", 5, T0)
        .await
        .expect("register a device");
    start(a, "chat_a", "u1").await;
    messages(a, "chat_a", 1).await;
    assert_eq!(
        fan_out_all(b, "two", at(1)).await,
        1,
        "replica two fans out"
    );
    assert_eq!(
        fan_out_all(a, "one", at(1)).await,
        0,
        "nothing left for replica one"
    );

    let delivery = due_delivery_ids(a, at(1)).await;
    let email = due_email_keys(a, at(1)).await;
    let push = due_push_tokens(a, at(1)).await;
    assert_eq!((delivery.len(), email.len(), push.len()), (1, 1, 1));
    assert!(due_delivery_ids(b, at(2)).await.is_empty(), "leased to one");
    assert!(due_email_keys(b, at(2)).await.is_empty(), "leased to one");
    assert!(due_push_tokens(b, at(2)).await.is_empty(), "leased to one");

    let after_lease = Timestamp(at(1).0 + HOUR);
    assert_eq!(
        due_delivery_ids(b, after_lease).await,
        delivery,
        "due again"
    );
    assert_eq!(due_email_keys(b, after_lease).await, email, "due again");
    assert_eq!(due_push_tokens(b, after_lease).await, push, "due again");
    b.record_attempt(
        delivery[0],
        failure(after_lease, Some(Timestamp(after_lease.0 + 5_000))),
    )
    .await
    .expect("record");
    let retry = due_delivery_ids(a, Timestamp(after_lease.0 + 5_000)).await;
    assert_eq!(
        retry, delivery,
        "the recorded retry time replaces the lease"
    );
}

/// PostgreSQL: the webhook dispatcher starts at most [`PER_ENDPOINT`] deliveries to one
/// endpoint at once and leaves the rest of what it is handed, so a replica is handed no
/// more than that per endpoint, counting those it has on their way: none of what it takes
/// waits out its lease unsent.
pub async fn a_replica_is_handed_no_more_deliveries_to_one_endpoint_than_it_starts(r: Replicas) {
    let s = with_root(r.one).await;
    let store = &s.store;
    wanted(store, &[EventType::MessageCreated]).await;
    endpoint(store, "wh_1", &[EventType::MessageCreated], true).await;
    endpoint(store, "wh_2", &[EventType::MessageCreated], true).await;
    start(store, "chat_a", "u1").await;
    messages(store, "chat_a", 2 * PER_ENDPOINT + 1).await;
    assert_eq!(fan_out_all(store, "r", at(1)).await, 2 * PER_ENDPOINT + 1);
    let per_endpoint = |due: &[DueDelivery]| {
        let mut counts = BTreeMap::new();
        for d in due {
            *counts.entry(d.delivery.endpoint_id.clone()).or_insert(0) += 1;
        }
        counts
    };

    let first = store
        .due_deliveries(at(1), 64, Vec::new())
        .await
        .expect("due");
    let counts = per_endpoint(&first);
    assert_eq!(counts["wh_1"], PER_ENDPOINT, "{counts:?}");
    assert_eq!(counts["wh_2"], PER_ENDPOINT, "{counts:?}");
    let on_its_way = first
        .iter()
        .find(|d| d.delivery.endpoint_id == "wh_1")
        .expect("one to wh_1")
        .delivery
        .id;
    for d in first.iter().filter(|d| d.delivery.id != on_its_way) {
        store
            .record_attempt(d.delivery.id, success(at(1)))
            .await
            .expect("record");
    }
    let next = store
        .due_deliveries(at(1), 64, vec![on_its_way])
        .await
        .expect("due");
    let counts = per_endpoint(&next);
    assert_eq!(
        counts["wh_1"],
        PER_ENDPOINT - 1,
        "one is on its way: {counts:?}"
    );
    assert_eq!(counts["wh_2"], PER_ENDPOINT, "{counts:?}");
    let taken: BTreeSet<i64> = first.iter().map(|d| d.delivery.id).collect();
    assert!(
        next.iter().all(|d| !taken.contains(&d.delivery.id)),
        "new ones only"
    );
}

/// PostgreSQL: two replicas, two dispatchers each, fan out and take deliveries, emails
/// and pushes at the same time, holding what they take for a moment before recording
/// it: every event is fanned out once, every item handed out once, none lost.
pub async fn replicas_share_the_outbox_without_doubling_or_losing_any(r: Replicas) {
    const MESSAGES: usize = 40;
    const ENDPOINTS: [&str; 3] = ["wh_1", "wh_2", "wh_3"];
    let Replicas { one, two } = r;
    let one = with_root(one).await;
    let store = &one.store;
    wanted(store, &[EventType::MessageCreated]).await;
    for id in ENDPOINTS {
        endpoint(store, id, &[EventType::MessageCreated], true).await;
    }
    for token in ["phone", "tablet"] {
        store
            .register_push_token(SessionOwner::user("u1"), token.into(), "ios", 5, T0)
            .await
            .expect("register a device");
    }
    start(store, "chat_a", "u1").await;
    messages(store, "chat_a", MESSAGES).await;

    let now = at(1);
    let dispatchers = [
        ("one_a", one.store.clone()),
        ("one_b", one.store.clone()),
        ("two_a", two.clone()),
        ("two_b", two.clone()),
    ];
    let mut running = Vec::new();
    for (name, replica) in dispatchers {
        running.push(tokio::spawn(dispatch(name, replica, now)));
    }
    let mut handed: Vec<(&str, i64)> = Vec::new();
    for task in running {
        handed.extend(task.await.expect("a dispatcher"));
    }

    let mut seen = BTreeSet::new();
    for item in &handed {
        assert!(seen.insert(*item), "{item:?} was handed out twice");
    }
    let count = |kind: &str| handed.iter().filter(|(k, _)| *k == kind).count();
    assert_eq!(
        count("delivery"),
        MESSAGES * ENDPOINTS.len(),
        "every delivery"
    );
    assert_eq!(count("email"), MESSAGES, "one email per event");
    assert_eq!(
        count("push"),
        MESSAGES * 2,
        "one push per message and device"
    );
    for id in ENDPOINTS {
        let made = deliveries(store, id).await;
        let seqs: BTreeSet<String> = made.iter().map(|d| event_seq(&d.body)).collect();
        assert_eq!(made.len(), MESSAGES, "{id}: each event fanned out once");
        assert_eq!(seqs.len(), MESSAGES, "{id}: one delivery per event");
        assert!(
            made.iter()
                .all(|d| d.status == DeliveryStatus::Delivered && d.attempts == 1),
            "{id}: each delivered by one attempt: {made:?}"
        );
    }
    assert_eq!(backlog(&two).await, 0);
}

/// The seq of the event a rendered body reports, whoever rendered it.
fn event_seq(body: &str) -> String {
    let after = body.split(r#""seq":"#).nth(1).unwrap_or_default();
    after.chars().take_while(char::is_ascii_digit).collect()
}

/// One dispatcher's loop until the outbox is empty: what it was handed, by kind and id.
async fn dispatch(
    name: &'static str,
    store: Arc<dyn Storage>,
    now: Timestamp,
) -> Vec<(&'static str, i64)> {
    let mut handed = Vec::new();
    for _round in 0..2000 {
        let unsent = store.unsent_events(8).await.expect("unsent events");
        store
            .fan_out(render(&unsent, name), unsent.orphaned.clone(), now)
            .await
            .expect("fan out");
        let deliveries = store.due_deliveries(now, 8, Vec::new()).await.expect("due");
        let emails = store.due_emails(now, 8, Vec::new()).await.expect("due");
        let pushes = store.due_pushes(now, 8, Vec::new()).await.expect("due");
        // On their way for a moment, as a real attempt is, while the others take theirs.
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        for d in deliveries {
            handed.push(("delivery", d.delivery.id));
            store
                .record_attempt(d.delivery.id, success(now))
                .await
                .expect("record");
        }
        for e in emails {
            handed.push(("email", e.id));
            store
                .record_email_attempt(e.id, success(now))
                .await
                .expect("record");
        }
        for p in pushes {
            handed.push(("push", p.id));
            store
                .record_push_attempt(p.id, success(now))
                .await
                .expect("record");
        }
        if backlog(&store).await == 0 {
            return handed;
        }
    }
    panic!("{name}: the outbox never emptied");
}
