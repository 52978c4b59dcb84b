//! Webhooks: fanning out, attempts and the endpoint's failure record, endpoints, refusals.

use std::collections::BTreeMap;

use frontdesk::domain::Timestamp;
use frontdesk::domain::webhook::{Delivery, DeliveryStatus, EventType, RETRY_FOR_MS};
use frontdesk::error::Error;

use super::common::{
    HOUR, ROOT, SECRET, at, audited, backlog, deliveries, due_delivery_ids, due_email_keys,
    due_push_tokens, endpoint, failure, fan_out_all, fields, messages, render, success, wanted,
    with_root,
};
use crate::chats::common::{T0, start};
use crate::support::Fresh;

pub async fn an_event_is_fanned_out_once_to_each_subscribed_endpoint(s: Fresh) {
    let s = with_root(s).await;
    let store = &s.store;
    use EventType::{MessageCreated, RatingCreated, SessionCreated};
    wanted(store, &[SessionCreated, MessageCreated]).await;
    endpoint(store, "wh_all", &[SessionCreated, MessageCreated], true).await;
    endpoint(store, "wh_messages", &[MessageCreated], true).await;
    endpoint(store, "wh_off", &[SessionCreated, MessageCreated], false).await;
    endpoint(store, "wh_ratings", &[RatingCreated], true).await;
    start(store, "chat_a", "u1").await;
    messages(store, "chat_a", 1).await;

    let unsent = store.unsent_events(100).await.expect("unsent events");
    assert!(unsent.orphaned.is_empty(), "{:?}", unsent.orphaned);
    let kinds: Vec<EventType> = unsent.events.iter().map(|e| e.event).collect();
    assert_eq!(kinds, [SessionCreated, MessageCreated], "oldest first");
    assert!(unsent.events.iter().all(|e| e.session.id == "chat_a"));
    let message = unsent.events[1].message.as_ref().expect("the message");
    assert_eq!(message.id, "chat_a_m0");
    let first = render(&unsent, "first");
    store
        .fan_out(first.clone(), unsent.orphaned.clone(), at(1))
        .await
        .expect("fan out");

    let all = deliveries(store, "wh_all").await;
    assert_eq!(all.len(), 2, "both events: {all:?}");
    let mut ids: Vec<&str> = all.iter().map(|d| d.message_id.as_str()).collect();
    ids.sort();
    let mut expected: Vec<&str> = first.iter().map(|e| e.message_id.as_str()).collect();
    expected.sort();
    assert_eq!(ids, expected, "each delivery keeps its event's webhook-id");
    for d in &all {
        assert_eq!(d.endpoint_id, "wh_all");
        assert_eq!(d.status, DeliveryStatus::Pending);
        assert_eq!(
            (d.attempts, d.next_attempt_at, d.created_at),
            (0, at(1), at(1))
        );
        assert_eq!((d.last_attempt_at, d.response_status), (None, None));
        let event = first.iter().find(|e| e.message_id == d.message_id);
        let event = event.expect("a rendered event");
        assert_eq!(
            (d.event.as_str(), &d.body),
            (event.event.as_str(), &event.body)
        );
    }
    let only_messages = deliveries(store, "wh_messages").await;
    assert_eq!(only_messages.len(), 1, "{only_messages:?}");
    assert_eq!(only_messages[0].event, "message.created");
    assert!(deliveries(store, "wh_off").await.is_empty(), "inactive");
    assert!(
        deliveries(store, "wh_ratings").await.is_empty(),
        "not subscribed"
    );

    let again = store.unsent_events(100).await.expect("unsent events");
    assert!(again.events.is_empty() && again.orphaned.is_empty());
    store
        .fan_out(render(&unsent, "second"), Vec::new(), at(2))
        .await
        .expect("fan out the same events again");
    assert_eq!(deliveries(store, "wh_all").await, all, "nothing added");
    assert_eq!(deliveries(store, "wh_messages").await, only_messages);
    let emails = due_email_keys(store, at(2)).await;
    assert_eq!(emails.len(), 2, "one email per event, once: {emails:?}");
    let pushes = due_push_tokens(store, at(2)).await;
    assert!(pushes.is_empty(), "u1 has no device: {pushes:?}");
    assert_eq!(
        backlog(store).await,
        3 + 2,
        "three deliveries and two emails"
    );
}

pub async fn attempts_are_recorded_and_a_day_of_failures_disables_the_endpoint(s: Fresh) {
    let s = with_root(s).await;
    let store = &s.store;
    wanted(store, &[EventType::MessageCreated]).await;
    endpoint(store, "wh_1", &[EventType::MessageCreated], true).await;
    start(store, "chat_a", "u1").await;
    messages(store, "chat_a", 3).await;
    assert_eq!(fan_out_all(store, "r", at(1)).await, 3);
    let made: Vec<i64> = deliveries(store, "wh_1")
        .await
        .iter()
        .map(|d| d.id)
        .collect();
    let mut oldest_first = made.clone();
    oldest_first.sort();
    assert_eq!(
        made,
        oldest_first.iter().rev().copied().collect::<Vec<_>>(),
        "newest first"
    );
    let [a, b, c] = oldest_first[..] else {
        panic!("three deliveries: {oldest_first:?}");
    };
    assert!(
        due_delivery_ids(store, at(0)).await.is_empty(),
        "not due before"
    );
    let due = store
        .due_deliveries(at(1), 2, vec![a])
        .await
        .expect("due deliveries");
    let due_ids: Vec<i64> = due.iter().map(|d| d.delivery.id).collect();
    assert_eq!(due_ids, [b, c], "oldest first, leaving out the skipped");
    assert!(
        due.iter()
            .all(|d| d.url == "https://hooks.example/in" && d.secret == SECRET)
    );

    store
        .record_attempt(a, failure(at(2), Some(at(3))))
        .await
        .expect("record a failure");
    let failed_once = store.deliveries("wh_1", 10).await.expect("list");
    let failed_once = failed_once.iter().find(|d| d.id == a).expect("a");
    assert_eq!(failed_once.status, DeliveryStatus::Pending);
    assert_eq!(
        (failed_once.attempts, failed_once.next_attempt_at),
        (1, at(3))
    );
    assert_eq!(failed_once.last_attempt_at, Some(at(2)));
    assert_eq!(failed_once.response_status, Some(503));
    assert_eq!(failed_once.last_error.as_deref(), Some("answered 503"));
    let wh = store.endpoint("wh_1").await.expect("read").expect("wh_1");
    assert_eq!((wh.active, wh.failing_since), (true, Some(at(2))));

    store
        .record_attempt(b, success(at(3)))
        .await
        .expect("success");
    let wh = store.endpoint("wh_1").await.expect("read").expect("wh_1");
    assert_eq!(
        wh.failing_since, None,
        "a success clears the failure record"
    );
    store
        .record_attempt(c, failure(at(3), None))
        .await
        .expect("give up");
    let by_id: BTreeMap<i64, Delivery> = deliveries(store, "wh_1")
        .await
        .into_iter()
        .map(|d| (d.id, d))
        .collect();
    assert_eq!(by_id[&b].status, DeliveryStatus::Delivered);
    assert_eq!(
        (by_id[&b].attempts, by_id[&b].response_status),
        (1, Some(200))
    );
    assert_eq!(by_id[&c].status, DeliveryStatus::Failed);
    assert_eq!(due_delivery_ids(store, at(3)).await, [a], "only the retry");

    let day_later = Timestamp(at(3).0 + RETRY_FOR_MS);
    store
        .record_attempt(a, failure(at(3), Some(at(4))))
        .await
        .expect("fails again");
    let wh = store.endpoint("wh_1").await.expect("read").expect("wh_1");
    assert!(wh.active, "failing for a minute only");
    store
        .record_attempt(a, failure(day_later, Some(Timestamp(day_later.0 + HOUR))))
        .await
        .expect("fails a day on");
    let wh = store.endpoint("wh_1").await.expect("read").expect("wh_1");
    assert!(!wh.active, "disabled after a day of failures");
    assert_eq!(wh.updated_at, day_later);
    let reason = wh.disabled_reason.expect("a reason");
    assert!(reason.ends_with("answered 503"), "{reason}");
    let later = Timestamp(day_later.0 + 2 * HOUR);
    assert!(
        due_delivery_ids(store, later).await.is_empty(),
        "nothing is due to a disabled endpoint"
    );
    let on = store
        .update_endpoint(
            "wh_1",
            fields(&[EventType::MessageCreated], true),
            ROOT,
            later,
        )
        .await
        .expect("turn it on");
    assert_eq!(
        (on.active, on.failing_since, on.disabled_reason),
        (true, None, None)
    );
    assert_eq!(due_delivery_ids(store, later).await, [a], "due again");
}

pub async fn endpoints_are_kept_changed_and_audited(s: Fresh) {
    let s = with_root(s).await;
    let store = &s.store;
    assert!(store.endpoints().await.expect("list").is_empty());
    let one = endpoint(store, "wh_1", &[EventType::MessageCreated], true).await;
    let two = endpoint(store, "wh_2", &[EventType::SessionEnded], false).await;
    assert_eq!(
        (one.created_at, one.updated_at, one.secret.as_str()),
        (T0, T0, SECRET)
    );
    assert_eq!(
        store.endpoints().await.expect("list"),
        [one.clone(), two.clone()]
    );
    assert_eq!(store.endpoint("wh_2").await.expect("read"), Some(two));

    let mut changed_fields = fields(&[EventType::SessionEnded, EventType::RatingCreated], true);
    changed_fields.url = "https://other.example/hook".into();
    changed_fields.description = "ratings".into();
    let changed = store
        .update_endpoint("wh_2", changed_fields, ROOT, at(1))
        .await
        .expect("update");
    assert_eq!(changed.url, "https://other.example/hook");
    assert_eq!(changed.description, "ratings");
    assert_eq!(
        changed.events,
        [EventType::SessionEnded, EventType::RatingCreated]
    );
    assert_eq!(
        (changed.active, changed.created_at, changed.updated_at),
        (true, T0, at(1))
    );
    assert_eq!(store.endpoint("wh_2").await.expect("read"), Some(changed));

    let rotated = store
        .rotate_endpoint_secret("wh_1", "whsec_bmV3", ROOT, at(2))
        .await
        .expect("rotate");
    assert_eq!(
        (rotated.secret.as_str(), rotated.updated_at),
        ("whsec_bmV3", at(2))
    );

    wanted(store, &[EventType::MessageCreated]).await;
    start(store, "chat_a", "u1").await;
    messages(store, "chat_a", 1).await;
    assert_eq!(fan_out_all(store, "r", at(3)).await, 1);
    let [sent] = &deliveries(store, "wh_1").await[..] else {
        panic!("one delivery");
    };
    store
        .record_attempt(sent.id, success(at(4)))
        .await
        .expect("delivered");
    let again = store
        .redeliver("wh_1", sent.id, ROOT, at(5))
        .await
        .expect("redeliver");
    assert_eq!(again.status, DeliveryStatus::Pending);
    assert_eq!((again.next_attempt_at, again.attempts), (at(5), 1));
    assert_eq!(again.message_id, sent.message_id, "the same webhook-id");
    assert_eq!(due_delivery_ids(store, at(5)).await, [sent.id]);

    store
        .delete_endpoint("wh_1", ROOT, at(6))
        .await
        .expect("delete");
    assert_eq!(store.endpoint("wh_1").await.expect("read"), None);
    assert!(
        deliveries(store, "wh_1").await.is_empty(),
        "its deliveries went with it"
    );
    assert_eq!(backlog(store).await, 1, "the event's email only");
    for (action, count) in [
        ("webhook_create", 2),
        ("webhook_update", 1),
        ("webhook_rotate_secret", 1),
        ("webhook_redeliver", 1),
        ("webhook_delete", 1),
    ] {
        assert_eq!(audited(store, action).await, count, "{action}");
    }
}

pub async fn unknown_ids_are_refused_as_the_trait_says(s: Fresh) {
    let s = with_root(s).await;
    let store = &s.store;
    let wh = endpoint(store, "wh_1", &[EventType::MessageCreated], true).await;
    endpoint(store, "wh_2", &[EventType::MessageCreated], true).await;
    assert_eq!(store.endpoint("wh_missing").await.expect("read"), None);
    let not_found = |r: Result<(), Error>, what: &str| match r {
        Err(Error::NotFound(_)) => {}
        other => panic!("{what}: expected NotFound, got {other:?}"),
    };
    let events = fields(&[EventType::SessionEnded], false);
    not_found(
        store
            .update_endpoint("wh_missing", events.clone(), ROOT, at(1))
            .await
            .map(drop),
        "update",
    );
    not_found(
        store
            .rotate_endpoint_secret("wh_missing", "whsec_eA==", ROOT, at(1))
            .await
            .map(drop),
        "rotate",
    );
    not_found(
        store.delete_endpoint("wh_missing", ROOT, at(1)).await,
        "delete",
    );
    not_found(
        store
            .redeliver("wh_1", 424_242, ROOT, at(1))
            .await
            .map(drop),
        "redeliver an unknown delivery",
    );

    wanted(store, &[EventType::MessageCreated]).await;
    start(store, "chat_a", "u1").await;
    messages(store, "chat_a", 1).await;
    assert_eq!(fan_out_all(store, "r", at(2)).await, 1);
    let [theirs] = &deliveries(store, "wh_2").await[..] else {
        panic!("one delivery to wh_2");
    };
    not_found(
        store
            .redeliver("wh_1", theirs.id, ROOT, at(3))
            .await
            .map(drop),
        "redeliver another endpoint's delivery",
    );
    // Attempts of items gone meanwhile (deleted with their endpoint, say) change nothing.
    store
        .record_attempt(424_242, success(at(3)))
        .await
        .expect("an unknown delivery's attempt");
    store
        .record_email_attempt(424_242, success(at(3)))
        .await
        .expect("an unknown email's attempt");
    store
        .record_push_attempt(424_242, success(at(3)))
        .await
        .expect("an unknown push's attempt");
    assert_eq!(
        store.endpoint("wh_1").await.expect("read"),
        Some(wh),
        "unchanged"
    );
    assert_eq!(
        deliveries(store, "wh_2").await,
        std::slice::from_ref(theirs),
        "unchanged"
    );
    for action in [
        "webhook_update",
        "webhook_rotate_secret",
        "webhook_delete",
        "webhook_redeliver",
    ] {
        assert_eq!(
            audited(store, action).await,
            0,
            "{action} refused, not audited"
        );
    }
}
