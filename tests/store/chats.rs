//! Conformance cases for [`frontdesk::store::ChatStore`]: ordering, idempotency, ends, expiry,
//! assignment races with real concurrency, and the release/transfer rules.

/// One `#[tokio::test]` per case in [`cases`], against the engine `$open` opens.
macro_rules! chats_suite {
    ($engine:ident, $open:path) => {
        mod $engine {
            macro_rules! case {
                ($name:ident) => {
                    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                    async fn $name() {
                        $crate::chats::cases::$name($open().await).await;
                    }
                };
            }
            case!(concurrent_appends_keep_one_gapless_order_per_session);
            case!(retry_with_same_id_and_text_returns_the_stored_message);
            case!(concurrent_retries_store_one_message);
            case!(same_id_with_other_text_is_a_conflict);
            case!(messages_after_a_cursor_are_the_newer_ones_in_order);
            case!(an_unknown_cursor_is_invalid);
            case!(an_end_is_final_and_repeats_change_nothing);
            case!(an_idle_session_expires_instead_of_taking_a_message);
            case!(exactly_one_of_sixteen_concurrent_assigns_wins);
            case!(capacity_holds_under_concurrent_assigns);
            case!(release_and_transfer_follow_the_rules);
            case!(ends_and_expiry_give_capacity_back);
            case!(auto_assign_honours_who_may_take_a_chat);
        }
    };
}

pub mod cases {
    use std::collections::HashMap;
    use std::sync::Arc;

    use frontdesk::domain::session::IdleRule;
    use frontdesk::domain::{Role, SessionStatus, Timestamp};
    use frontdesk::error::Error;
    use frontdesk::store::Storage;
    use frontdesk::store::chats::{
        Actor, AssignRequest, NewUserMessage, SendOutcome, StartKind, StartSession, TransferRequest,
    };

    use crate::support::Fresh;

    const T0: Timestamp = Timestamp(1_000_000);
    /// Long enough that nothing expires unless a case moves time on purpose.
    const IDLE: IdleRule = IdleRule {
        timeout_ms: 60 * 60_000,
    };

    async fn start(store: &Arc<dyn Storage>, id: &str, user: &str) {
        let outcome = store
            .start_session(StartSession {
                wanted_id: Some(id.to_string()),
                fresh_id: format!("{id}_fresh"),
                user_id: user.to_string(),
                user_name: None,
                user_email: None,
                user_phone: None,
                is_guest: false,
                persona_id: None,
                client_start_time: None,
                metadata: None,
                welcome: None,
                now: T0,
                idle: IDLE,
            })
            .await
            .expect("start session");
        assert_eq!(outcome.kind, StartKind::Created);
        assert_eq!(outcome.state.session.id, id);
    }

    fn user_message(session: &str, id: &str, text: &str, now: Timestamp) -> NewUserMessage {
        NewUserMessage {
            owner: "u1".into(),
            session_id: session.into(),
            message_id: id.into(),
            text: text.into(),
            client_timestamp: None,
            now,
            idle: IDLE,
        }
    }

    async fn send(store: &Arc<dyn Storage>, session: &str, id: &str, text: &str) -> SendOutcome {
        store
            .append_user_message(user_message(session, id, text, T0))
            .await
            .expect("append")
    }

    fn assign_req(session: &str, agent: &str) -> AssignRequest {
        AssignRequest {
            session_id: session.into(),
            agent_id: agent.into(),
            actor_id: Some(agent.into()),
            now: T0,
            idle: IDLE,
        }
    }

    async fn load(store: &Arc<dyn Storage>, agent: &str) -> i64 {
        store
            .agent_loads()
            .await
            .expect("agent loads")
            .into_iter()
            .find(|a| a.id == agent)
            .expect("agent exists")
            .active_chats
    }

    pub async fn concurrent_appends_keep_one_gapless_order_per_session(fresh: Fresh) {
        let store = fresh.store;
        start(&store, "chat_a", "u1").await;
        start(&store, "chat_b", "u1").await;
        let mut tasks = Vec::new();
        for writer in 0..16 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                let session = if writer % 2 == 0 { "chat_a" } else { "chat_b" };
                for n in 0..5 {
                    let id = format!("w{writer}_{n}");
                    match send(&store, session, &id, "hi").await {
                        SendOutcome::Sent(m, state) => {
                            assert_eq!(state.tip.expect("tip").seq, m.seq);
                        }
                        other => panic!("not stored: {other:?}"),
                    }
                }
            }));
        }
        for task in tasks {
            task.await.expect("writer task");
        }
        for session in ["chat_a", "chat_b"] {
            let all = store
                .messages_after(session.into(), None, 1000)
                .await
                .expect("read all");
            assert_eq!(all.len(), 40);
            let positions: Vec<i64> = all.iter().map(|m| m.seq).collect();
            assert_eq!(positions, (1..=40).collect::<Vec<_>>(), "gapless, in order");
            // Each writer's own messages keep the order it sent them in.
            for writer in 0..16 {
                let own: Vec<&str> = all
                    .iter()
                    .filter(|m| m.id.starts_with(&format!("w{writer}_")))
                    .map(|m| m.id.as_str())
                    .collect();
                let mut sorted = own.clone();
                sorted.sort();
                assert_eq!(own, sorted);
            }
            let state = store
                .session_state(session.into())
                .await
                .expect("state")
                .expect("exists");
            assert_eq!(state.session.last_seq, 40);
            assert_eq!(state.tip.expect("tip").seq, 40);
            assert_eq!(state.session.message_count, 40);
        }
    }

    pub async fn retry_with_same_id_and_text_returns_the_stored_message(fresh: Fresh) {
        let store = fresh.store;
        start(&store, "chat_a", "u1").await;
        let SendOutcome::Sent(first, _) = send(&store, "chat_a", "m1", "hello").await else {
            panic!("first send not stored");
        };
        let SendOutcome::Existing(again) = send(&store, "chat_a", "m1", "hello").await else {
            panic!("retry was not recognised");
        };
        assert_eq!((again.seq, again.id.as_str()), (first.seq, "m1"));
        let found = store
            .find_user_message("u1".into(), "chat_a".into(), "m1".into())
            .await
            .expect("find");
        assert_eq!(found.map(|m| m.seq), Some(first.seq));
        let (all, total) = store
            .list_messages("u1".into(), "chat_a".into(), 0, 50)
            .await
            .expect("list");
        assert_eq!((all.len(), total), (1, 1));
    }

    pub async fn concurrent_retries_store_one_message(fresh: Fresh) {
        let store = fresh.store;
        start(&store, "chat_a", "u1").await;
        let mut tasks = Vec::new();
        for _ in 0..16 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                send(&store, "chat_a", "same", "hello").await
            }));
        }
        let mut sent = 0;
        let mut positions = Vec::new();
        for task in tasks {
            match task.await.expect("task") {
                SendOutcome::Sent(m, _) => {
                    sent += 1;
                    positions.push(m.seq);
                }
                SendOutcome::Existing(m) => positions.push(m.seq),
                SendOutcome::Expired(_) => panic!("expired"),
            }
        }
        assert_eq!(sent, 1, "exactly one call stores it");
        assert!(positions.iter().all(|p| *p == 1));
        let all = store
            .messages_after("chat_a".into(), None, 100)
            .await
            .expect("read");
        assert_eq!(all.len(), 1);
    }

    pub async fn same_id_with_other_text_is_a_conflict(fresh: Fresh) {
        let store = fresh.store;
        start(&store, "chat_a", "u1").await;
        send(&store, "chat_a", "m1", "hello").await;
        let err = store
            .append_user_message(user_message("chat_a", "m1", "something else", T0))
            .await
            .expect_err("conflict");
        assert!(matches!(err, Error::DuplicateMessageId), "{err:?}");
        // Another user's session answers like a missing one.
        let mut foreign = user_message("chat_a", "m2", "hi", T0);
        foreign.owner = "mallory".into();
        let err = store
            .append_user_message(foreign)
            .await
            .expect_err("foreign");
        assert!(matches!(err, Error::SessionNotFound), "{err:?}");
    }

    pub async fn messages_after_a_cursor_are_the_newer_ones_in_order(fresh: Fresh) {
        let store = fresh.store;
        start(&store, "chat_a", "u1").await;
        for n in 1..=5 {
            send(&store, "chat_a", &format!("m{n}"), "hi").await;
        }
        let newer = store
            .messages_after("chat_a".into(), Some("m2".into()), 100)
            .await
            .expect("after m2");
        let ids: Vec<&str> = newer.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["m3", "m4", "m5"]);
        let page = store
            .messages_after("chat_a".into(), Some("m2".into()), 2)
            .await
            .expect("limited");
        assert_eq!(page.len(), 2);
        let none = store
            .messages_after("chat_a".into(), Some("m5".into()), 100)
            .await
            .expect("after newest");
        assert!(none.is_empty());
        let by_seq = store
            .messages_after_seq("chat_a".into(), 3, 100)
            .await
            .expect("after position 3");
        assert_eq!(by_seq.first().map(|m| m.id.as_str()), Some("m4"));
    }

    pub async fn an_unknown_cursor_is_invalid(fresh: Fresh) {
        let store = fresh.store;
        start(&store, "chat_a", "u1").await;
        start(&store, "chat_b", "u1").await;
        send(&store, "chat_b", "in_b", "hi").await;
        for cursor in ["nope", "in_b"] {
            let err = store
                .messages_after("chat_a".into(), Some(cursor.into()), 10)
                .await
                .expect_err("unknown cursor");
            assert!(matches!(err, Error::InvalidCursor), "{cursor}: {err:?}");
        }
    }

    pub async fn an_end_is_final_and_repeats_change_nothing(fresh: Fresh) {
        let store = fresh.store;
        start(&store, "chat_a", "u1").await;
        let first = store
            .end_by_user(
                "u1".into(),
                "chat_a".into(),
                Some("bye".into()),
                None,
                T0,
                IDLE,
            )
            .await
            .expect("end");
        assert!(first.changed);
        assert_eq!(first.state.session.status, SessionStatus::EndedByUser);
        let again = store
            .end_by_user("u1".into(), "chat_a".into(), None, None, T0, IDLE)
            .await
            .expect("end again");
        assert!(!again.changed);
        assert_eq!(again.state.session.end_reason.as_deref(), Some("bye"));
        let by_agent = store
            .end_by_agent("chat_a".into(), "someone".into(), None, T0, IDLE)
            .await
            .expect("agent end of an ended chat");
        assert!(!by_agent.changed);
        assert_eq!(by_agent.state.session.status, SessionStatus::EndedByUser);
        let err = store
            .append_user_message(user_message("chat_a", "late", "hi", T0))
            .await
            .expect_err("ended refuses");
        assert!(matches!(err, Error::SessionEnded), "{err:?}");
    }

    pub async fn an_idle_session_expires_instead_of_taking_a_message(fresh: Fresh) {
        let store = fresh.store;
        start(&store, "chat_a", "u1").await;
        let later = Timestamp(T0.0 + IDLE.timeout_ms + 1);
        let outcome = store
            .append_user_message(user_message("chat_a", "m1", "hi", later))
            .await
            .expect("append to idle");
        let SendOutcome::Expired(state) = outcome else {
            panic!("stored into an idle session: {outcome:?}");
        };
        assert_eq!(state.session.status, SessionStatus::Expired);
        assert_eq!(state.session.ended_at, Some(IDLE.expired_at(T0)));
        assert!(state.tip.is_none(), "nothing was stored");
        let err = store
            .append_user_message(user_message("chat_a", "m2", "hi", later))
            .await
            .expect_err("expired refuses");
        assert!(matches!(err, Error::SessionExpired), "{err:?}");
    }

    pub async fn exactly_one_of_sixteen_concurrent_assigns_wins(fresh: Fresh) {
        for n in 0..16 {
            fresh
                .add_agent(&format!("agent{n:02}"), Role::ChatAdmin, 5, T0)
                .await;
        }
        let store = fresh.store;
        start(&store, "chat_a", "u1").await;
        let mut tasks = Vec::new();
        for n in 0..16 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                store
                    .assign(assign_req("chat_a", &format!("agent{n:02}")))
                    .await
            }));
        }
        let mut winners = Vec::new();
        for task in tasks {
            match task.await.expect("task") {
                Ok(session) => winners.push(session.assigned_agent_id.expect("holder")),
                Err(Error::AlreadyAssigned) => {}
                Err(e) => panic!("unexpected: {e:?}"),
            }
        }
        assert_eq!(winners.len(), 1, "exactly one winner");
        let held = store
            .session("chat_a".into())
            .await
            .expect("read")
            .expect("exists");
        assert_eq!(held.assigned_agent_id.as_ref(), Some(&winners[0]));
        let loads = store.agent_loads().await.expect("loads");
        assert_eq!(loads.iter().map(|a| a.active_chats).sum::<i64>(), 1);
    }

    pub async fn capacity_holds_under_concurrent_assigns(fresh: Fresh) {
        fresh.add_agent("agent", Role::ChatAdmin, 2, T0).await;
        let store = fresh.store;
        for n in 0..8 {
            start(&store, &format!("chat_{n}"), "u1").await;
        }
        let mut tasks = Vec::new();
        for n in 0..8 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                store
                    .assign(assign_req(&format!("chat_{n}"), "agent"))
                    .await
            }));
        }
        let (mut won, mut full) = (0, 0);
        for task in tasks {
            match task.await.expect("task") {
                Ok(_) => won += 1,
                Err(Error::AgentAtCapacity) => full += 1,
                Err(e) => panic!("unexpected: {e:?}"),
            }
        }
        assert_eq!((won, full), (2, 6));
        assert_eq!(load(&store, "agent").await, 2);
    }

    pub async fn release_and_transfer_follow_the_rules(fresh: Fresh) {
        fresh.add_agent("alice", Role::ChatAdmin, 5, T0).await;
        fresh.add_agent("bob", Role::ChatAdmin, 1, T0).await;
        fresh.add_agent("sue", Role::SupportAdmin, 5, T0).await;
        let store = fresh.store;
        start(&store, "chat_a", "u1").await;
        start(&store, "chat_b", "u1").await;
        store
            .assign(assign_req("chat_a", "alice"))
            .await
            .expect("assign");
        // Assigning to the holder again is a no-op; to another agent is refused.
        store
            .assign(assign_req("chat_a", "alice"))
            .await
            .expect("no-op");
        let err = store
            .assign(assign_req("chat_a", "bob"))
            .await
            .expect_err("taken");
        assert!(matches!(err, Error::AlreadyAssigned), "{err:?}");
        let err = store
            .assign(assign_req("chat_b", "sue"))
            .await
            .expect_err("support");
        assert!(matches!(err, Error::Validation { .. }), "{err:?}");
        let err = store
            .assign(assign_req("chat_b", "nobody"))
            .await
            .expect_err("missing");
        assert!(matches!(err, Error::NotFound(_)), "{err:?}");

        let bob = || Actor {
            id: "bob".into(),
            overrides: false,
        };
        let err = store
            .release("chat_a".into(), bob(), T0)
            .await
            .expect_err("not the holder");
        assert!(matches!(err, Error::Forbidden(_)), "{err:?}");
        let transfer = |to: &str, actor: Actor| TransferRequest {
            session_id: "chat_a".into(),
            to_agent_id: to.into(),
            actor,
            note: Some("over to you".into()),
            note_id: format!("note_{to}"),
            now: T0,
            idle: IDLE,
        };
        let err = store
            .transfer(transfer("bob", bob()))
            .await
            .expect_err("only the holder transfers");
        assert!(matches!(err, Error::Forbidden(_)), "{err:?}");
        let alice = || Actor {
            id: "alice".into(),
            overrides: false,
        };
        let moved = store
            .transfer(transfer("bob", alice()))
            .await
            .expect("transfer");
        assert_eq!(moved.assigned_agent_id.as_deref(), Some("bob"));
        assert_eq!(
            (load(&store, "alice").await, load(&store, "bob").await),
            (0, 1)
        );
        // Bob is full now: nothing more goes to him.
        let err = store
            .assign(assign_req("chat_b", "bob"))
            .await
            .expect_err("full");
        assert!(matches!(err, Error::AgentAtCapacity), "{err:?}");
        // Alice no longer holds it, but acting as a super admin she may release it.
        let chief = Actor {
            id: "alice".into(),
            overrides: true,
        };
        let released = store
            .release("chat_a".into(), chief, T0)
            .await
            .expect("an overriding actor releases");
        assert_eq!(released.assigned_agent_id, None);
        assert_eq!(load(&store, "bob").await, 0);
        let record = store
            .chat_record("chat_a".into())
            .await
            .expect("record")
            .expect("exists");
        assert_eq!(record.notes.len(), 1, "the transfer note is kept");
    }

    pub async fn ends_and_expiry_give_capacity_back(fresh: Fresh) {
        fresh.add_agent("alice", Role::ChatAdmin, 5, T0).await;
        let store = fresh.store;
        for id in ["chat_a", "chat_b", "chat_c"] {
            start(&store, id, "u1").await;
            store.assign(assign_req(id, "alice")).await.expect("assign");
        }
        assert_eq!(load(&store, "alice").await, 3);
        store
            .end_by_user("u1".into(), "chat_a".into(), None, None, T0, IDLE)
            .await
            .expect("user end");
        store
            .end_by_agent("chat_b".into(), "alice".into(), None, T0, IDLE)
            .await
            .expect("agent end");
        assert_eq!(load(&store, "alice").await, 1);
        let later = Timestamp(T0.0 + IDLE.timeout_ms + 1);
        let expired = store.expire_idle(later, IDLE).await.expect("sweep");
        let ids: Vec<&str> = expired.iter().map(|s| s.session.id.as_str()).collect();
        assert_eq!(ids, ["chat_c"]);
        assert_eq!(load(&store, "alice").await, 0);
    }

    pub async fn auto_assign_honours_who_may_take_a_chat(fresh: Fresh) {
        fresh.add_agent("full", Role::ChatAdmin, 0, T0).await;
        fresh.add_agent("support", Role::SupportAdmin, 5, T0).await;
        fresh
            .add_agent("stale", Role::ChatAdmin, 5, Timestamp(T0.0 - 10 * 60_000))
            .await;
        fresh.add_agent("ready", Role::ChatAdmin, 1, T0).await;
        let store = fresh.store;
        start(&store, "chat_a", "u1").await;
        start(&store, "chat_b", "u1").await;
        let assigned = store
            .auto_assign(T0, HashMap::new(), IDLE)
            .await
            .expect("auto-assign");
        assert_eq!(assigned.len(), 1, "only one agent may take a chat, once");
        let holder = store
            .session(assigned[0].clone())
            .await
            .expect("read")
            .expect("exists")
            .assigned_agent_id;
        assert_eq!(holder.as_deref(), Some("ready"));
        // Every agent the rule allows agrees with what the store did.
        let loads = store.agent_loads().await.expect("loads");
        for agent in &loads {
            assert!(
                !agent.available_for_auto(T0),
                "{} still available",
                agent.id
            );
        }
        assert_eq!(load(&store, "ready").await, 1);
    }
}
