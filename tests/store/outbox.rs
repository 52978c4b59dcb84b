//! Conformance cases for [`frontdesk::store::OutboxStore`]: an event is fanned out once, into
//! one delivery per active endpoint subscribed to its type; attempts are recorded (retry,
//! success, giving up, an endpoint failing for a day); endpoints are kept, changed and
//! audited; emails are queued once per key; a push token belongs to one person at a time;
//! unknown ids are refused as the trait says. On PostgreSQL two handles on one database (two
//! replicas) share the outbox: what one takes is leased to it, nothing is handed to both,
//! nothing is lost, and no more deliveries to one endpoint are handed out than are started.

/// One multi-threaded `#[tokio::test]` per case in [`cases`], against the engine `$open`
/// opens; with `replicas = $replicas` (a function opening two handles on one database) also
/// the cases of replicas sharing the outbox.
macro_rules! outbox_suite {
    ($engine:ident, $open:path $(, replicas = $replicas:path)?) => {
        mod $engine {
            macro_rules! case {
                ($name:ident, $with:path) => {
                    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                    async fn $name() {
                        $crate::outbox::cases::$name($with().await).await;
                    }
                };
            }
            case!(an_event_is_fanned_out_once_to_each_subscribed_endpoint, $open);
            case!(attempts_are_recorded_and_a_day_of_failures_disables_the_endpoint, $open);
            case!(endpoints_are_kept_changed_and_audited, $open);
            case!(an_email_is_queued_once_per_key_and_sent_once, $open);
            case!(a_push_token_belongs_to_one_person_and_the_newest_are_kept, $open);
            case!(unknown_ids_are_refused_as_the_trait_says, $open);
            $(
                case!(a_taken_item_is_not_handed_to_another_replica_until_its_lease_ends, $replicas);
                case!(a_replica_is_handed_no_more_deliveries_to_one_endpoint_than_it_starts, $replicas);
                case!(replicas_share_the_outbox_without_doubling_or_losing_any, $replicas);
            )?
        }
    };
}

pub mod cases {
    use std::collections::{BTreeMap, BTreeSet};
    use std::sync::Arc;

    use frontdesk::domain::audit::AuditFilter;
    use frontdesk::domain::webhook::{
        Delivery, DeliveryStatus, EndpointFields, EventType, RETRY_FOR_MS, WebhookEndpoint,
    };
    use frontdesk::domain::{Role, SessionOwner, Timestamp};
    use frontdesk::error::Error;
    use frontdesk::service::webhooks::delivery::PER_ENDPOINT;
    use frontdesk::store::Storage;
    use frontdesk::store::chats::SendOutcome;
    use frontdesk::store::outbox::{
        AttemptResult, DueDelivery, NewEmail, NewPush, RenderedEvent, UnsentEvents,
    };

    use crate::chats::common::{T0, send, start};
    use crate::support::{Fresh, Replicas};

    const ROOT: &str = "root";
    const SECRET: &str = "whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0";
    const MINUTE: i64 = 60_000;
    const HOUR: i64 = 60 * MINUTE;

    fn at(minutes: i64) -> Timestamp {
        Timestamp(T0.0 + minutes * MINUTE)
    }

    /// A store with the super admin `root`, whom the audit log names.
    async fn with_root(s: Fresh) -> Fresh {
        s.add_agent(ROOT, Role::SuperAdmin, 5, T0).await;
        s
    }

    fn fields(events: &[EventType], active: bool) -> EndpointFields {
        EndpointFields {
            url: "https://hooks.example/in".into(),
            description: String::new(),
            events: events.to_vec(),
            active,
        }
    }

    async fn endpoint(
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

    async fn wanted(store: &Arc<dyn Storage>, events: &[EventType]) {
        store
            .set_wanted_events(events.to_vec())
            .await
            .expect("wanted events");
    }

    /// Sends `count` messages from `u1` into `chat`, named `{chat}_m{i}`.
    async fn messages(store: &Arc<dyn Storage>, chat: &str, count: usize) {
        for i in 0..count {
            let id = format!("{chat}_m{i}");
            let sent = send(store, chat, &id, "hello").await;
            assert!(matches!(sent, SendOutcome::Sent(..)), "{id} was stored");
        }
    }

    /// The events as `renderer` renders them: a `webhook-id` and a body naming the renderer
    /// and the event, an email per event and, for a message, a push to the chat's user.
    fn render(unsent: &UnsentEvents, renderer: &str) -> Vec<RenderedEvent> {
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

    fn email(key: &str, session_id: Option<&str>) -> NewEmail {
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
    async fn fan_out_all(store: &Arc<dyn Storage>, renderer: &str, now: Timestamp) -> usize {
        let unsent = store.unsent_events(1000).await.expect("unsent events");
        let count = unsent.events.len();
        store
            .fan_out(render(&unsent, renderer), unsent.orphaned, now)
            .await
            .expect("fan out");
        count
    }

    async fn deliveries(store: &Arc<dyn Storage>, endpoint: &str) -> Vec<Delivery> {
        store
            .deliveries(endpoint, 1000)
            .await
            .expect("list deliveries")
    }

    fn success(at: Timestamp) -> AttemptResult {
        AttemptResult {
            at,
            response_status: Some(200),
            error: None,
            retry_at: None,
        }
    }

    fn failure(at: Timestamp, retry_at: Option<Timestamp>) -> AttemptResult {
        AttemptResult {
            at,
            response_status: Some(503),
            error: Some("answered 503".into()),
            retry_at,
        }
    }

    async fn due_delivery_ids(store: &Arc<dyn Storage>, now: Timestamp) -> Vec<i64> {
        store
            .due_deliveries(now, 100, Vec::new())
            .await
            .expect("due deliveries")
            .iter()
            .map(|d| d.delivery.id)
            .collect()
    }

    async fn due_email_keys(store: &Arc<dyn Storage>, now: Timestamp) -> Vec<(i64, String)> {
        store
            .due_emails(now, 100, Vec::new())
            .await
            .expect("due emails")
            .into_iter()
            .map(|e| (e.id, e.subject))
            .collect()
    }

    async fn due_push_tokens(store: &Arc<dyn Storage>, now: Timestamp) -> Vec<(i64, String)> {
        store
            .due_pushes(now, 100, Vec::new())
            .await
            .expect("due pushes")
            .into_iter()
            .map(|p| (p.id, p.token))
            .collect()
    }

    async fn audited(store: &Arc<dyn Storage>, action: &str) -> i64 {
        let filter = AuditFilter {
            action: Some(action.into()),
            ..AuditFilter::default()
        };
        store.audit_events(filter, 0, 100).await.expect("audit").1
    }

    async fn backlog(store: &Arc<dyn Storage>) -> u64 {
        store.outbox_backlog().await.expect("backlog")
    }

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

    pub async fn an_email_is_queued_once_per_key_and_sent_once(s: Fresh) {
        let store = &s.store;
        start(store, "chat_a", "u1").await;
        for (key, session, queued) in [
            ("a:1", Some("chat_a"), true),
            ("a:1", Some("chat_a"), false),
            ("b:1", None, true),
            ("c:1", Some("chat_missing"), false),
            ("a:2", Some("chat_a"), true),
        ] {
            let answer = store
                .queue_email(email(key, session), at(1))
                .await
                .expect("queue an email");
            assert_eq!(answer, queued, "{key} about {session:?}");
        }
        assert!(
            due_email_keys(store, at(0)).await.is_empty(),
            "not due before"
        );
        let due = store
            .due_emails(at(1), 10, Vec::new())
            .await
            .expect("due emails");
        let subjects: Vec<&str> = due.iter().map(|e| e.subject.as_str()).collect();
        assert_eq!(
            subjects,
            ["About a:1", "About b:1", "About a:2"],
            "oldest first"
        );
        let first = &due[0];
        assert_eq!(
            (first.kind.as_str(), first.to.as_str()),
            ("transcript", "someone@example.com")
        );
        assert_eq!((first.attempts, first.created_at), (0, at(1)));
        assert_eq!(
            (first.text.as_str(), first.html.as_str()),
            ("About a:1", "<p>About a:1</p>")
        );
        let [a1, b1, a2] = [due[0].id, due[1].id, due[2].id];

        store
            .record_email_attempt(a1, success(at(2)))
            .await
            .expect("sent");
        store
            .record_email_attempt(b1, failure(at(2), Some(at(10))))
            .await
            .expect("retry");
        // a:2 was taken and never recorded, as when its sender dies mid-attempt: it is due
        // again (at the latest when an engine's hold on it ends, long before an hour).
        let hour_later = Timestamp(at(2).0 + HOUR);
        let retried = store
            .due_emails(hour_later, 10, vec![a2])
            .await
            .expect("due emails");
        assert_eq!(retried.len(), 1, "{retried:?}");
        assert_eq!((retried[0].id, retried[0].attempts), (b1, 1));
        let ids: Vec<i64> = due_email_keys(store, Timestamp(hour_later.0 + HOUR))
            .await
            .iter()
            .map(|(id, _)| *id)
            .collect();
        assert!(ids.contains(&a2) && !ids.contains(&a1), "{ids:?}");
        store
            .record_email_attempt(b1, failure(at(11), None))
            .await
            .expect("gave up");
        store
            .record_email_attempt(a2, success(at(11)))
            .await
            .expect("sent");
        let day_later = Timestamp(at(11).0 + RETRY_FOR_MS);
        assert!(
            due_email_keys(store, day_later).await.is_empty(),
            "nothing left"
        );
        assert_eq!(backlog(store).await, 0);
        assert!(
            !store
                .queue_email(email("a:1", Some("chat_a")), at(20))
                .await
                .expect("queue"),
            "a sent email's key stays taken"
        );
    }

    pub async fn a_push_token_belongs_to_one_person_and_the_newest_are_kept(s: Fresh) {
        let store = &s.store;
        let (ann, bob) = (SessionOwner::user("ann"), SessionOwner::user("bob"));
        let register = |owner: &SessionOwner, token: &str, minute: i64| {
            let (store, owner, token) = (store.clone(), owner.clone(), token.to_string());
            async move {
                store
                    .register_push_token(owner, token, "ios", 2, at(minute))
                    .await
                    .expect("register a device");
            }
        };
        register(&ann, "shared", 1).await;
        register(&ann, "ann-old", 2).await;
        register(&bob, "shared", 3).await;
        register(&ann, "ann-mid", 4).await;
        register(&ann, "ann-new", 5).await;
        register(&SessionOwner::guest("ann"), "guest-ann", 6).await;

        wanted(store, &[EventType::MessageCreated]).await;
        for user in ["ann", "bob"] {
            let chat = format!("chat_{user}");
            start(store, &chat, user).await;
            let mut m = crate::chats::common::user_message(&chat, &format!("{chat}_m0"), "hi", T0);
            m.owner = SessionOwner::user(user);
            let sent = store.append_user_message(m).await.expect("send");
            assert!(matches!(sent, SendOutcome::Sent(..)), "{chat}");
        }
        assert_eq!(fan_out_all(store, "r", at(10)).await, 2);
        let mut tokens: Vec<String> = due_push_tokens(store, at(10))
            .await
            .into_iter()
            .map(|(_, token)| token)
            .collect();
        tokens.sort();
        assert_eq!(
            tokens,
            ["ann-mid", "ann-new", "shared"],
            "the moved token is bob's; ann keeps her two newest; the guest namespace is apart"
        );

        store
            .drop_push_token("shared".into())
            .await
            .expect("drop a device");
        let later = Timestamp(at(10).0 + HOUR);
        let mut left: Vec<String> = due_push_tokens(store, later)
            .await
            .into_iter()
            .map(|(_, token)| token)
            .collect();
        left.sort();
        assert_eq!(
            left,
            ["ann-mid", "ann-new"],
            "the dropped device's push fails"
        );
        let due = store
            .due_pushes(Timestamp(later.0 + HOUR), 10, Vec::new())
            .await
            .expect("due pushes");
        for p in &due {
            assert_eq!(
                (p.session_id.as_str(), p.message_id.as_str()),
                ("chat_ann", "chat_ann_m0")
            );
            assert_eq!((p.title.as_str(), p.body.as_str()), ("New message", "hi"));
            store
                .record_push_attempt(p.id, success(later))
                .await
                .expect("sent");
        }
        assert_eq!(due.len(), 2);
        assert!(
            due_push_tokens(store, Timestamp(later.0 + RETRY_FOR_MS))
                .await
                .is_empty()
        );
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
            [theirs.clone()],
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
    pub async fn a_replica_is_handed_no_more_deliveries_to_one_endpoint_than_it_starts(
        r: Replicas,
    ) {
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
}
