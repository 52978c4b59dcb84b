//! Assignment: one winner, capacity, release and transfer rules, auto-assignment.

use std::collections::HashMap;

use frontdesk::domain::{Role, SessionOwner, SessionStatus, Timestamp};
use frontdesk::error::Error;
use frontdesk::store::chats::{Actor, SendOutcome, TransferRequest};

use super::common::{IDLE, T0, assign_req, load, reply, send, start, user_message};
use crate::support::Fresh;

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
    let loads = store.agents().await.expect("loads");
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
        .end_by_user(
            SessionOwner::user("u1"),
            "chat_a".into(),
            None,
            None,
            T0,
            IDLE,
        )
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

pub async fn the_sweep_expires_only_chats_quiet_since_the_cutoff(fresh: Fresh) {
    let store = fresh.store;
    for id in ["chat_quiet", "chat_busy", "chat_ended"] {
        start(&store, id, "u1").await;
    }
    let busy_at = Timestamp(T0.0 + 30 * 60_000);
    let sent = store
        .append_user_message(user_message("chat_busy", "m1", "still here", busy_at))
        .await
        .expect("append");
    assert!(matches!(sent, SendOutcome::Sent(..)));
    store
        .end_by_user(
            SessionOwner::user("u1"),
            "chat_ended".into(),
            None,
            None,
            T0,
            IDLE,
        )
        .await
        .expect("user end");

    let now = Timestamp(T0.0 + IDLE.timeout_ms + 1);
    let expired = store.expire_idle(now, IDLE).await.expect("sweep");
    let ids: Vec<&str> = expired.iter().map(|s| s.session.id.as_str()).collect();
    assert_eq!(
        ids,
        ["chat_quiet"],
        "only the chat quiet since before the cutoff"
    );
    let quiet = &expired[0].session;
    assert_eq!(quiet.status, SessionStatus::Expired);
    assert_eq!(
        quiet.ended_at,
        Some(Timestamp(T0.0 + IDLE.timeout_ms)),
        "ended when it went quiet for good, not when the sweep ran"
    );
    assert!(
        store
            .expire_idle(now, IDLE)
            .await
            .expect("sweep")
            .is_empty(),
        "a second sweep finds nothing"
    );
    let busy = store
        .session("chat_busy".into())
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(busy.status, SessionStatus::Active);
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
    let loads = store.agents().await.expect("loads");
    for agent in &loads {
        assert!(
            !agent.available_for_auto(T0),
            "{} still available",
            agent.agent.id
        );
    }
    assert_eq!(load(&store, "ready").await, 1);
}

pub async fn a_reply_takes_an_unassigned_chat_within_capacity(fresh: Fresh) {
    fresh.add_agent("alice", Role::ChatAdmin, 1, T0).await;
    fresh.add_agent("bob", Role::ChatAdmin, 0, T0).await;
    let store = fresh.store;
    start(&store, "chat_a", "u1").await;
    start(&store, "chat_b", "u1").await;
    let first = store
        .append_agent_message(reply("chat_a", "r1", "alice"))
        .await
        .expect("reply");
    assert!(first.assigned, "the reply assigned the chat");
    assert_eq!(load(&store, "alice").await, 1);
    // A held chat may be answered by someone else; it stays with its holder.
    let err = store
        .append_agent_message(reply("chat_b", "r2", "bob"))
        .await
        .expect_err("bob has no capacity for a new chat");
    assert!(matches!(err, Error::AgentAtCapacity), "{err:?}");
    let other = store
        .append_agent_message(reply("chat_a", "r3", "bob"))
        .await
        .expect("stepping in");
    assert!(!other.assigned);
    let held = store
        .session("chat_a".into())
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(held.assigned_agent_id.as_deref(), Some("alice"));
}

pub async fn silent_agents_lose_their_chats(fresh: Fresh) {
    fresh.add_agent("alice", Role::ChatAdmin, 5, T0).await;
    let store = fresh.store;
    start(&store, "chat_a", "u1").await;
    start(&store, "chat_b", "u1").await;
    store
        .assign(assign_req("chat_a", "alice"))
        .await
        .expect("assign");
    store
        .assign(assign_req("chat_b", "alice"))
        .await
        .expect("assign");
    send(&store, "chat_a", "m1", "anyone there?").await;
    let later = Timestamp(T0.0 + 5 * 60_000);
    let released = store
        .release_silent(later, 5 * 60_000)
        .await
        .expect("sweep");
    assert_eq!(released, [("chat_a".to_string(), "alice".to_string())]);
    assert_eq!(load(&store, "alice").await, 1, "chat_b was not waiting");
}
