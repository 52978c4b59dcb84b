//! The email and push queues.

use frontdesk::domain::webhook::{EventType, RETRY_FOR_MS};
use frontdesk::domain::{SessionOwner, Timestamp};
use frontdesk::store::chats::SendOutcome;

use super::common::{
    HOUR, at, backlog, due_email_keys, due_push_tokens, email, failure, fan_out_all, success,
    wanted,
};
use crate::chats::common::{T0, start, user_message};
use crate::support::Fresh;

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
        let mut m = user_message(&chat, &format!("{chat}_m0"), "hi", T0);
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
