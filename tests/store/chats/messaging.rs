//! Messages: order, idempotency, cursors, ends and expiry.

use frontdesk::domain::{Role, Sender, SessionOwner, SessionStatus, Timestamp};
use frontdesk::error::Error;
use frontdesk::store::chats::{Broadcast, NewRating, SendOutcome, StartKind};

use super::common::{IDLE, T0, reply, send, start, start_request, user_message};
use crate::support::Fresh;

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
        .find_user_message(SessionOwner::user("u1"), "chat_a".into(), "m1".into())
        .await
        .expect("find");
    assert_eq!(found.map(|m| m.seq), Some(first.seq));
    let (all, total) = store
        .list_messages(SessionOwner::user("u1"), "chat_a".into(), 0, 50)
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
    foreign.owner = SessionOwner::user("mallory");
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
            SessionOwner::user("u1"),
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
        .end_by_user(
            SessionOwner::user("u1"),
            "chat_a".into(),
            None,
            None,
            T0,
            IDLE,
        )
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

pub async fn start_answers_retries_resumes_and_never_reveals_another_users_id(fresh: Fresh) {
    let store = fresh.store;
    start(&store, "chat_a", "u1").await;
    let mut again = start_request("chat_a", "u1");
    let existing = store.start_session(again.clone()).await.expect("retry");
    assert_eq!(existing.kind, StartKind::Existing);
    assert_eq!(existing.state.session.id, "chat_a");
    // Another user asking for the same id gets a session of their own under a fresh id.
    let other = store
        .start_session(start_request("chat_a", "u2"))
        .await
        .expect("other user");
    assert_eq!(other.kind, StartKind::Created);
    assert_eq!(other.state.session.id, "chat_a_fresh");
    assert_eq!(other.state.session.user_id, "u2");
    // No id: the active session is resumed.
    again.wanted_id = None;
    let resumed = store.start_session(again).await.expect("resume");
    assert_eq!(resumed.kind, StartKind::Resumed);
    assert_eq!(resumed.state.session.id, "chat_a");
}

pub async fn a_welcome_message_takes_position_one(fresh: Fresh) {
    let store = fresh.store;
    let mut req = start_request("chat_a", "u1");
    req.welcome = Some(("welcome_1".into(), "Hello!".into()));
    let created = store.start_session(req).await.expect("start");
    let tip = created.state.tip.expect("welcome stored");
    assert_eq!((tip.seq, tip.id.as_str()), (1, "welcome_1"));
    assert_eq!(
        created.state.session.message_count, 0,
        "system messages are not counted"
    );
    let SendOutcome::Sent(m, _) = send(&store, "chat_a", "m1", "hi").await else {
        panic!("not stored");
    };
    assert_eq!(m.seq, 2);
}

pub async fn a_session_is_rated_once_and_only_after_its_end(fresh: Fresh) {
    let store = fresh.store;
    start(&store, "chat_a", "u1").await;
    let rating = |id: &str| NewRating {
        id: id.into(),
        rating: 4,
        feedback: None,
        categories: vec!["speed".into()],
        client_timestamp: None,
    };
    let err = store
        .rate(
            SessionOwner::user("u1"),
            "chat_a".into(),
            rating("r0"),
            T0,
            IDLE,
        )
        .await
        .expect_err("active");
    assert!(matches!(err, Error::SessionActive), "{err:?}");
    store
        .end_by_user(
            SessionOwner::user("u1"),
            "chat_a".into(),
            None,
            Some(rating("r1")),
            T0,
            IDLE,
        )
        .await
        .expect("end with rating");
    let err = store
        .rate(
            SessionOwner::user("u1"),
            "chat_a".into(),
            rating("r2"),
            T0,
            IDLE,
        )
        .await
        .expect_err("second rating");
    assert!(matches!(err, Error::AlreadyRated), "{err:?}");
    let (history, total) = store
        .history(SessionOwner::user("u1"), 0, 10)
        .await
        .expect("history");
    assert_eq!(total, 1);
    let stored = history[0].rating.as_ref().expect("rated");
    assert_eq!((stored.id.as_str(), stored.rating), ("r1", 4));
}

pub async fn receipts_mark_each_agent_message_once(fresh: Fresh) {
    fresh.add_agent("alice", Role::ChatAdmin, 5, T0).await;
    let store = fresh.store;
    start(&store, "chat_a", "u1").await;
    send(&store, "chat_a", "m1", "hi").await;
    for id in ["r1", "r2"] {
        store
            .append_agent_message(reply("chat_a", id, "alice"))
            .await
            .expect("reply");
    }
    assert_eq!(
        store
            .mark_delivered("chat_a".into(), 2, T0)
            .await
            .expect("deliver"),
        1
    );
    assert_eq!(
        store
            .mark_delivered("chat_a".into(), 3, T0)
            .await
            .expect("deliver"),
        1
    );
    assert_eq!(
        store
            .mark_delivered("chat_a".into(), 3, T0)
            .await
            .expect("again"),
        0
    );
    let read = store
        .mark_read_by_user(SessionOwner::user("u1"), "chat_a".into(), "r2".into(), T0)
        .await
        .expect("read");
    assert_eq!(read, 2);
    let err = store
        .mark_read_by_user(SessionOwner::user("u1"), "chat_a".into(), "nope".into(), T0)
        .await
        .expect_err("unknown upTo");
    assert!(matches!(err, Error::Validation { .. }), "{err:?}");
    // Support reads the user's message: the watermark is the newest position.
    let state = store
        .mark_read_by_agent("chat_a".into(), T0)
        .await
        .expect("agent read")
        .expect("something was unread");
    assert_eq!(state.session.agent_read_seq, 3);
    assert!(
        store
            .mark_read_by_agent("chat_a".into(), T0)
            .await
            .expect("again")
            .is_none()
    );
    let up_to = store
        .last_user_message_up_to("chat_a".into(), 3)
        .await
        .expect("last user message");
    assert_eq!(up_to.as_deref(), Some("m1"));
}

pub async fn a_guest_and_a_user_with_one_id_are_different_owners(fresh: Fresh) {
    let store = fresh.store;
    let mut as_guest = start_request("chat_g", "guest_1");
    as_guest.is_guest = true;
    let guest_chat = store.start_session(as_guest.clone()).await.expect("guest");
    assert_eq!(guest_chat.kind, StartKind::Created);
    let user_chat = store
        .start_session(start_request("chat_g", "guest_1"))
        .await
        .expect("user with the guest's id");
    assert_eq!(
        user_chat.kind,
        StartKind::Created,
        "not the guest's session"
    );
    assert_eq!(user_chat.state.session.id, "chat_g_fresh");

    let (user, guest) = (
        SessionOwner::user("guest_1"),
        SessionOwner::guest("guest_1"),
    );
    for (owner, foreign) in [(&user, "chat_g"), (&guest, "chat_g_fresh")] {
        let mut msg = user_message(foreign, "m1", "hi", T0);
        msg.owner = owner.clone();
        let sent = store.append_user_message(msg).await;
        assert!(matches!(sent, Err(Error::SessionNotFound)), "{sent:?}");
        let listed = store
            .list_messages(owner.clone(), foreign.into(), 0, 50)
            .await;
        assert!(matches!(listed, Err(Error::SessionNotFound)), "{listed:?}");
        let ended = store
            .end_by_user(owner.clone(), foreign.into(), None, None, T0, IDLE)
            .await;
        assert!(matches!(ended, Err(Error::SessionNotFound)), "{ended:?}");
    }
    let (mine, total) = store.history(user.clone(), 0, 10).await.expect("history");
    assert_eq!(total, 1);
    assert_eq!(mine[0].session.id, "chat_g_fresh");
    let (theirs, total) = store.history(guest, 0, 10).await.expect("history");
    assert_eq!(total, 1);
    assert_eq!(theirs[0].session.id, "chat_g");

    as_guest.wanted_id = None;
    let resumed = store.start_session(as_guest).await.expect("resume");
    assert_eq!(resumed.kind, StartKind::Resumed);
    assert_eq!(resumed.state.session.id, "chat_g", "the guest's own chat");
}

pub async fn a_broadcast_reaches_each_active_chat_once_and_expires_idle_ones(fresh: Fresh) {
    fresh.add_agent("root", Role::SuperAdmin, 5, T0).await;
    let store = fresh.store.clone();
    start(&store, "chat_a", "u1").await;
    start(&store, "chat_b", "u1").await;
    let busy = Timestamp(T0.0 + IDLE.timeout_ms);
    let kept = store
        .append_user_message(user_message("chat_b", "m1", "still here", busy))
        .await
        .expect("append");
    assert!(matches!(kept, SendOutcome::Sent(..)), "{kept:?}");
    let now = Timestamp(busy.0 + 1);
    let request = |text: &str| Broadcast {
        message_id: "bc_1".into(),
        text: text.into(),
        agent_id: "root".into(),
        now,
        idle: IDLE,
    };
    // Eight senders of one broadcast at once: each chat gets it exactly once.
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (store, req) = (store.clone(), request("We close at 3"));
        tasks.push(tokio::spawn(async move { store.broadcast(req).await }));
    }
    let mut delivered = 0;
    let mut expired = 0;
    for task in tasks {
        let outcome = task.await.expect("task").expect("broadcast");
        delivered += outcome.delivered.len();
        expired += outcome.expired.len();
        for state in &outcome.delivered {
            assert_eq!(state.session.id, "chat_b");
            assert_eq!(state.tip.as_ref().expect("tip").id, "bc_1");
        }
    }
    assert_eq!(delivered, 1, "stored once in chat_b");
    assert_eq!(expired, 1, "chat_a was idle and expired once");
    let b = store
        .messages_after("chat_b".into(), None, 100)
        .await
        .expect("read");
    let notices: Vec<_> = b.iter().filter(|m| m.id == "bc_1").collect();
    assert_eq!(notices.len(), 1);
    assert_eq!(notices[0].body, "We close at 3");
    assert_eq!(notices[0].sender, Sender::System);
    let a = store
        .session_state("chat_a".into())
        .await
        .expect("state")
        .expect("exists");
    assert_eq!(a.session.status, SessionStatus::Expired);
    assert!(a.tip.is_none(), "nothing stored in the idle chat");
    // The same id with other text is a conflict and stores nothing.
    let err = store
        .broadcast(request("Other text"))
        .await
        .expect_err("conflict");
    assert!(matches!(err, Error::DuplicateMessageId), "{err:?}");
    let again = store
        .messages_after("chat_b".into(), None, 100)
        .await
        .expect("read again");
    assert_eq!(again.len(), b.len());
}

/// Sixteen starts at once: of one user, one chat is created and the rest resume it; of guests
/// sharing an address, no more than its cap are created; of users wanting one id, one gets it.
pub async fn concurrent_starts_keep_one_chat_per_user_and_the_caps(fresh: Fresh) {
    use frontdesk::store::chats::ActiveSessionCaps;
    let store = fresh.store;
    let starts = |request: &dyn Fn(usize) -> frontdesk::store::chats::StartSession| {
        (0..16)
            .map(|n| {
                let (store, request) = (store.clone(), request(n));
                tokio::spawn(async move { store.start_session(request).await })
            })
            .collect::<Vec<_>>()
    };
    let mut ids = Vec::new();
    let mut created = 0;
    for task in starts(&|n| {
        let mut request = start_request("unused", "u_one");
        request.wanted_id = None;
        request.fresh_id = format!("chat_one_{n}");
        request
    }) {
        let outcome = task.await.expect("task").expect("start");
        created += usize::from(outcome.kind == StartKind::Created);
        ids.push(outcome.state.session.id);
    }
    assert_eq!(created, 1, "one chat created, the others resumed it");
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");

    let (mut created, mut refused) = (0, 0);
    for task in starts(&|n| {
        let mut request = start_request(&format!("chat_guest_{n}"), &format!("guest_{n}"));
        request.is_guest = true;
        request.guest_addr = Some("203.0.113.9".into());
        request.caps = Some(ActiveSessionCaps {
            per_user: 100,
            per_guest_addr: 3,
        });
        request
    }) {
        match task.await.expect("task") {
            Ok(outcome) => {
                assert_eq!(outcome.kind, StartKind::Created);
                created += 1;
            }
            Err(Error::TooManySessions) => refused += 1,
            Err(e) => panic!("unexpected: {e:?}"),
        }
    }
    assert_eq!((created, refused), (3, 13), "the address's cap holds");

    let mut got_wanted = 0;
    for task in starts(&|n| {
        let mut request = start_request("chat_wanted", &format!("u_want_{n}"));
        request.fresh_id = format!("chat_wanted_fresh_{n}");
        request
    }) {
        let outcome = task.await.expect("task").expect("start");
        assert_eq!(outcome.kind, StartKind::Created);
        got_wanted += usize::from(outcome.state.session.id == "chat_wanted");
    }
    assert_eq!(
        got_wanted, 1,
        "one user gets the wanted id, the others fresh ones"
    );
}
