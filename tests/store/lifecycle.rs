//! Conformance cases for [`frontdesk::store::LifecycleStore`]: written day figures equal the
//! counting they replace and follow labels; retention deletes only old ended chats whose days
//! are written; erasing a person leaves nothing of them and touches nobody else.

/// One `#[tokio::test]` per case in [`cases`], against the engine `$open` opens.
macro_rules! lifecycle_suite {
    ($engine:ident, $open:path) => {
        mod $engine {
            macro_rules! case {
                ($name:ident) => {
                    #[tokio::test]
                    async fn $name() {
                        $crate::lifecycle::cases::$name($open().await).await;
                    }
                };
            }
            case!(written_days_answer_as_counting_did);
            case!(a_day_with_a_chat_going_on_waits);
            case!(labelling_a_chat_of_a_written_day_moves_its_figures);
            case!(retention_deletes_old_ended_chats_of_written_days_only);
            case!(erasing_a_person_leaves_nothing_of_them);
            case!(nothing_of_an_erased_chat_is_queued_after_the_erasure);
        }
    };
}

pub mod cases {
    use std::sync::Arc;

    use frontdesk::domain::audit::AuditFilter;
    use frontdesk::domain::label::LabelFields;
    use frontdesk::domain::search::{SearchFilters, parse_terms};
    use frontdesk::domain::webhook::{EndpointFields, EventType};
    use frontdesk::domain::{Role, SessionOwner, Timestamp};
    use frontdesk::store::Storage;
    use frontdesk::store::chats::NewRating;
    use frontdesk::store::lifecycle::ErasureBy;
    use frontdesk::store::outbox::{NewEmail, RenderedEvent};
    use frontdesk::store::search::SearchRequest;
    use frontdesk::store::team::{AnalyticsTotals, ReportTotals, Scope};

    use crate::chats::common::{IDLE, reply, start_request, user_message};
    use crate::support::Fresh;

    const DAY: i64 = 86_400_000;
    /// Noon of a day well after the epoch, so "yesterday" exists.
    const DAY_ONE: Timestamp = Timestamp(20_000 * DAY + DAY / 2);

    fn day(n: i64) -> Timestamp {
        Timestamp(DAY_ONE.0 + n * DAY)
    }

    /// Every day from a day before day one to `days` after it.
    fn scope(days: i64, label_id: Option<&str>) -> Scope {
        Scope {
            from: Timestamp(DAY_ONE.0 - DAY / 2 - DAY),
            to: Timestamp(DAY_ONE.0 - DAY / 2 + days * DAY),
            label_id: label_id.map(str::to_string),
        }
    }

    /// A chat of `user` started at `at`: a user message, an agent reply, an end by the user
    /// and a rating, all within a minute.
    async fn finished_chat(store: &Arc<dyn Storage>, id: &str, user: &str, at: Timestamp) {
        let mut start = start_request(id, user);
        start.now = at;
        start.user_name = Some(format!("{user} name"));
        store.start_session(start).await.expect("start");
        let mut m = user_message(id, &format!("{id}_m1"), &format!("hello from {user}"), at);
        m.owner = SessionOwner::user(user);
        store.append_user_message(m).await.expect("user message");
        let mut r = reply(id, &format!("{id}_r1"), "agent");
        r.now = Timestamp(at.0 + 10_000);
        store.append_agent_message(r).await.expect("reply");
        store
            .add_note(
                id.into(),
                "agent".into(),
                format!("{id}_n"),
                format!("note about {user}"),
                Timestamp(at.0 + 20_000),
            )
            .await
            .expect("note");
        store
            .end_by_user(
                SessionOwner::user(user),
                id.into(),
                None,
                Some(NewRating {
                    id: format!("{id}_rating"),
                    rating: 4,
                    feedback: Some(format!("thanks {user}")),
                    categories: Vec::new(),
                    client_timestamp: None,
                }),
                Timestamp(at.0 + 30_000),
                IDLE,
            )
            .await
            .expect("end with a rating");
    }

    async fn numbers(
        store: &Arc<dyn Storage>,
        scope: Scope,
        now: Timestamp,
    ) -> (AnalyticsTotals, ReportTotals) {
        let analytics = store
            .analytics_totals(scope.clone(), now)
            .await
            .expect("analytics");
        let report = store.report_totals(scope, 100).await.expect("report");
        (analytics, report)
    }

    async fn agent(s: &Fresh) {
        s.add_agent("agent", Role::ChatAdmin, 10, DAY_ONE).await;
    }

    pub async fn written_days_answer_as_counting_did(s: Fresh) {
        agent(&s).await;
        finished_chat(&s.store, "chat_a", "ann", DAY_ONE).await;
        finished_chat(&s.store, "chat_b", "bob", day(1)).await;
        let now = day(3);
        let before = numbers(&s.store, scope(4, None), now).await;
        assert_eq!(
            before.0.days.len(),
            2,
            "two days had chats: {:?}",
            before.0.days
        );
        assert_eq!(before.0.rating_distribution, [0, 0, 0, 2, 0]);
        let wrote = s.store.write_finished_days(now).await.expect("write days");
        assert!(
            wrote >= 3,
            "day one, day two and the day between were written: {wrote}"
        );
        assert_eq!(
            s.store.write_finished_days(now).await.expect("again"),
            0,
            "once only"
        );
        let after = numbers(&s.store, scope(4, None), now).await;
        assert_eq!(before.0, after.0);
        assert_eq!(before.1.days, after.1.days);
        assert_eq!(before.1.agents, after.1.agents);
        let agent_row = after
            .1
            .agents
            .iter()
            .find(|a| a.agent_id == "agent")
            .expect("the agent");
        assert_eq!((agent_row.messages_sent, agent_row.ratings), (2, 2));
    }

    pub async fn a_day_with_a_chat_going_on_waits(s: Fresh) {
        agent(&s).await;
        let mut start = start_request("chat_open", "ann");
        start.now = DAY_ONE;
        s.store.start_session(start).await.expect("start");
        let say = |id: &'static str, minutes: i64| {
            let store = s.store.clone();
            async move {
                let mut m = user_message(
                    "chat_open",
                    id,
                    "still here",
                    Timestamp(DAY_ONE.0 + minutes * 60_000),
                );
                m.owner = SessionOwner::user("ann");
                store.append_user_message(m).await.expect("a message")
            }
        };
        say("first", 10).await;
        s.store
            .write_finished_days(day(2))
            .await
            .expect("write days");
        // Day one was passed over: what its chat says next still counts on it.
        say("second", 20).await;
        let (analytics, _) = numbers(&s.store, scope(3, None), day(2)).await;
        assert_eq!(analytics.days.len(), 1, "{:?}", analytics.days);
        assert_eq!(
            (analytics.days[0].sessions, analytics.days[0].ended),
            (1, 0)
        );
        assert_eq!(
            analytics.days[0].messages, 2,
            "the later message is counted"
        );
        s.store
            .end_by_agent(
                "chat_open".into(),
                "agent".into(),
                None,
                Timestamp(DAY_ONE.0 + 30 * 60_000),
                IDLE,
            )
            .await
            .expect("end");
        let before = numbers(&s.store, scope(3, None), day(2)).await;
        assert_eq!(before.0.days[0].ended, 1);
        assert!(
            s.store
                .write_finished_days(day(2))
                .await
                .expect("write day one")
                >= 1
        );
        let after = numbers(&s.store, scope(3, None), day(2)).await;
        assert_eq!(before.0, after.0, "written as counted");
    }

    pub async fn labelling_a_chat_of_a_written_day_moves_its_figures(s: Fresh) {
        agent(&s).await;
        finished_chat(&s.store, "chat_a", "ann", DAY_ONE).await;
        finished_chat(&s.store, "chat_b", "bob", DAY_ONE).await;
        s.store
            .write_finished_days(day(2))
            .await
            .expect("write days");
        let label = s
            .store
            .create_label(
                "label_refund",
                LabelFields::parse("refund", "#ff0000").unwrap(),
                "agent",
                day(2),
            )
            .await
            .expect("label");
        let (empty, _) = numbers(&s.store, scope(3, Some(&label.id)), day(2)).await;
        assert!(
            empty.days.is_empty(),
            "nothing labelled yet: {:?}",
            empty.days
        );
        s.store
            .add_chat_label("chat_a", &label.id, "agent", day(2))
            .await
            .expect("label a chat");
        let (with, report) = numbers(&s.store, scope(3, Some(&label.id)), day(2)).await;
        assert_eq!(with.days.iter().map(|d| d.sessions).sum::<i64>(), 1);
        assert_eq!(with.rating_distribution, [0, 0, 0, 1, 0]);
        assert_eq!(report.labels.len(), 1);
        assert_eq!(
            report.labels[0].1.sessions, 1,
            "the report's label table counts it"
        );
        let (all, _) = numbers(&s.store, scope(3, None), day(2)).await;
        assert_eq!(
            all.days.iter().map(|d| d.sessions).sum::<i64>(),
            2,
            "every chat unchanged"
        );
        s.store
            .remove_chat_label("chat_a", &label.id, "agent", day(2))
            .await
            .expect("unlabel");
        let (gone, _) = numbers(&s.store, scope(3, Some(&label.id)), day(2)).await;
        assert_eq!(gone.days.iter().map(|d| d.sessions).sum::<i64>(), 0);
        assert_eq!(gone.rating_distribution, [0; 5]);
    }

    pub async fn retention_deletes_old_ended_chats_of_written_days_only(s: Fresh) {
        agent(&s).await;
        finished_chat(&s.store, "chat_old", "ann", DAY_ONE).await;
        finished_chat(&s.store, "chat_new", "bob", day(20)).await;
        let mut start = start_request("chat_open", "cat");
        start.now = DAY_ONE;
        s.store.start_session(start).await.expect("an open chat");
        let cutoff = day(10);
        // Day one has a chat going on, so it is not written: nothing may go yet.
        s.store
            .write_finished_days(day(21))
            .await
            .expect("write days");
        let batch = s
            .store
            .delete_ended_chats(cutoff, None, 10)
            .await
            .expect("retention");
        assert!(
            batch.removal.session_ids.is_empty(),
            "day one is not written yet"
        );
        assert!(s.store.session("chat_old".into()).await.unwrap().is_some());
        s.store
            .end_by_agent("chat_open".into(), "agent".into(), None, day(21), IDLE)
            .await
            .expect("end the open chat");
        s.store
            .write_finished_days(day(22))
            .await
            .expect("write day one");
        let before = numbers(&s.store, scope(23, None), day(22)).await;
        let mut deleted = Vec::new();
        let mut after = None;
        loop {
            let batch = s
                .store
                .delete_ended_chats(cutoff, after, 1)
                .await
                .expect("retention");
            deleted.extend(batch.removal.session_ids);
            match batch.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        // The open chat had long gone quiet: ending it expired it an hour after day one began.
        assert_eq!(
            deleted,
            ["chat_old", "chat_open"],
            "the chats that ended before the cutoff"
        );
        assert!(s.store.session("chat_old".into()).await.unwrap().is_none());
        assert!(
            s.store.session("chat_new".into()).await.unwrap().is_some(),
            "it ended after the cutoff"
        );
        let after_numbers = numbers(&s.store, scope(23, None), day(22)).await;
        assert_eq!(
            before.0, after_numbers.0,
            "analytics of deleted days stay right"
        );
        assert_eq!(before.1.agents, after_numbers.1.agents);
        assert_eq!(before.1.days, after_numbers.1.days);
    }

    pub async fn erasing_a_person_leaves_nothing_of_them(s: Fresh) {
        agent(&s).await;
        finished_chat(&s.store, "chat_ann1", "ann", DAY_ONE).await;
        let mut start = start_request("chat_ann2", "ann");
        start.now = day(1);
        s.store.start_session(start).await.expect("start");
        s.store
            .assign(frontdesk::store::chats::AssignRequest {
                session_id: "chat_ann2".into(),
                agent_id: "agent".into(),
                actor_id: Some("agent".into()),
                now: day(1),
                idle: IDLE,
            })
            .await
            .expect("assign the open chat");
        finished_chat(&s.store, "chat_bob", "bob", DAY_ONE).await;
        let load = |s: &Fresh| {
            let store = s.store.clone();
            async move {
                store
                    .agents()
                    .await
                    .unwrap()
                    .into_iter()
                    .find(|a| a.agent.id == "agent")
                    .unwrap()
                    .active_chats
            }
        };
        assert_eq!(load(&s).await, 1);

        let removal = s
            .store
            .erase_person(SessionOwner::user("ann"), ErasureBy::CommandLine, day(2))
            .await
            .expect("erase");
        let mut ids = removal.session_ids.clone();
        ids.sort();
        assert_eq!(ids, ["chat_ann1", "chat_ann2"]);
        assert_eq!(
            removal.messages, 2,
            "ann's message and the reply in her finished chat"
        );
        for id in ["chat_ann1", "chat_ann2"] {
            assert!(
                s.store.chat_record(id.into()).await.unwrap().is_none(),
                "{id} is gone"
            );
        }
        assert_eq!(
            load(&s).await,
            0,
            "the open chat no longer counts on its agent"
        );
        let bob = s
            .store
            .chat_record("chat_bob".into())
            .await
            .unwrap()
            .expect("bob's chat stays");
        assert_eq!((bob.messages.len(), bob.notes.len()), (2, 1));
        assert!(bob.rating.is_some());
        let (history, total) = s
            .store
            .history(SessionOwner::user("ann"), 0, 10)
            .await
            .unwrap();
        assert!(history.is_empty() && total == 0);
        for words in ["ann", "\"hello from ann\"", "\"note about ann\""] {
            let hits = s
                .store
                .search(SearchRequest {
                    terms: parse_terms(words),
                    filters: SearchFilters::default(),
                    offset: 0,
                    limit: 10,
                })
                .await
                .expect("search");
            assert!(
                hits.iter().all(|h| h.session_id == "chat_bob"),
                "{words}: nothing of ann is found: {hits:?}"
            );
        }
        let (events, _) = s
            .store
            .audit_events(
                AuditFilter {
                    action: Some("user_erase".into()),
                    ..AuditFilter::default()
                },
                0,
                10,
            )
            .await
            .expect("audit");
        assert_eq!(events.len(), 1);
        let detail = events[0].detail.clone().expect("counts");
        assert_eq!(detail["chats"], 2);
        assert!(
            !detail.to_string().contains("ann"),
            "who it was is not kept: {detail}"
        );
        let again = s
            .store
            .erase_person(SessionOwner::user("ann"), ErasureBy::CommandLine, day(2))
            .await
            .expect("erase again");
        assert!(again.session_ids.is_empty() && again.messages == 0);
    }

    /// The outbox dispatcher reads an event, renders it and queues what it sends in a later
    /// unit of work; an erasure committed in between must win: nothing naming the erased chat
    /// is queued after it (an email written from a chat read before it neither).
    pub async fn nothing_of_an_erased_chat_is_queued_after_the_erasure(s: Fresh) {
        agent(&s).await;
        s.store
            .set_wanted_events(vec![EventType::MessageCreated])
            .await
            .expect("wanted");
        let endpoint = s
            .store
            .create_endpoint(
                "wh_1",
                EndpointFields {
                    url: "https://hooks.example/in".into(),
                    description: String::new(),
                    events: vec![EventType::MessageCreated],
                    active: true,
                },
                "whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0",
                "agent",
                DAY_ONE,
            )
            .await
            .expect("an endpoint");
        finished_chat(&s.store, "chat_ann", "ann", DAY_ONE).await;
        finished_chat(&s.store, "chat_bob", "bob", DAY_ONE).await;
        let read = s.store.unsent_events(100).await.expect("unsent events");
        assert_eq!(read.events.len(), 4, "two messages in each chat");
        let rendered: Vec<RenderedEvent> = read
            .events
            .iter()
            .map(|e| RenderedEvent {
                seq: e.seq,
                event: e.event,
                message_id: format!("evt_{}", e.seq),
                body: format!(
                    "{{\"data\":{{\"session\":{{\"sessionId\":\"{}\",\"userName\":\"{}\"}}}}}}",
                    e.session.id,
                    e.session.user_name.clone().unwrap_or_default()
                ),
                emails: vec![email_about(&e.session.id, &format!("evt_{}", e.seq))],
                push: None,
            })
            .collect();

        s.store
            .erase_person(SessionOwner::user("ann"), ErasureBy::CommandLine, day(1))
            .await
            .expect("erase");
        s.store
            .fan_out(rendered, read.orphaned, day(1))
            .await
            .expect("fan out");
        let deliveries = s.store.deliveries(&endpoint.id, 100).await.expect("list");
        assert_eq!(
            deliveries.len(),
            2,
            "Bob's two events are delivered, none of Ann's: {deliveries:?}"
        );
        assert!(
            deliveries.iter().all(|d| !d.body.contains("ann")),
            "{deliveries:?}"
        );
        let emails = s
            .store
            .due_emails(day(2), 100, Vec::new())
            .await
            .expect("emails");
        assert_eq!(emails.len(), 2, "Bob's two emails only: {emails:?}");
        assert!(
            !s.store
                .queue_email(email_about("chat_ann", "late"), day(1))
                .await
                .expect("queue"),
            "an email about an erased chat is not queued"
        );
        assert!(
            s.store
                .queue_email(email_about("chat_bob", "late"), day(1))
                .await
                .expect("queue"),
            "one about a chat that exists is"
        );
        assert_eq!(
            s.store.outbox_backlog().await.expect("backlog"),
            5,
            "Bob's deliveries and emails"
        );
    }

    fn email_about(session_id: &str, key: &str) -> NewEmail {
        NewEmail {
            kind: "transcript",
            dedupe_key: format!("{session_id}:{key}"),
            session_id: Some(session_id.to_string()),
            to: "someone@example.com".into(),
            reply_to: None,
            subject: format!("About {session_id}"),
            text: format!("About {session_id}"),
            html: format!("<p>About {session_id}</p>"),
        }
    }
}
