//! Dashboard sessions and first-run setup.

use frontdesk::domain::Role;
use frontdesk::error::Error;

use crate::support::Fresh;

use super::fixtures::*;

pub async fn dashboard_sessions_start_touch_and_end(fresh: Fresh) {
    let store = fresh.store;
    add(&store, "a1", Role::ChatAdmin).await;
    let load = store
        .start_dashboard_session(dashboard_session("h1", "a1", at(10)))
        .await
        .expect("start");
    assert!(load.agent.online_at(at(10)));
    store
        .touch_dashboard_session("h1", at(5))
        .await
        .expect("late touch");
    let session = store
        .dashboard_session("h1")
        .await
        .expect("get")
        .expect("h1");
    assert_eq!(session.last_seen_at, at(10));
    store
        .touch_dashboard_session("h1", at(20))
        .await
        .expect("touch");
    let session = store
        .dashboard_session("h1")
        .await
        .expect("get")
        .expect("h1");
    assert_eq!(session.last_seen_at, at(20));
    assert_eq!(session.csrf_token, "csrf-h1");

    store
        .end_dashboard_session("h1", "a1", at(30))
        .await
        .expect("end");
    assert!(store.dashboard_session("h1").await.expect("get").is_none());
    let agent = store.agent("a1").await.expect("get").expect("a1").agent;
    assert!(!agent.is_online);

    store
        .start_dashboard_session(dashboard_session("old", "a1", at(40)))
        .await
        .expect("start old");
    store
        .start_dashboard_session(dashboard_session("new", "a1", at(60)))
        .await
        .expect("start new");
    let removed = store
        .delete_idle_dashboard_sessions(at(50))
        .await
        .expect("delete idle");
    assert_eq!(removed, 1);
    assert!(store.dashboard_session("old").await.expect("get").is_none());
    assert!(store.dashboard_session("new").await.expect("get").is_some());
}

pub async fn setup_has_one_winner(fresh: Fresh) {
    let store = fresh.store;
    assert_eq!(store.setup_token().await.expect("token"), None);
    let token = store
        .setup_token_or_init("first".into())
        .await
        .expect("init")
        .expect("no agent yet");
    let again = store
        .setup_token_or_init("second".into())
        .await
        .expect("init again");
    assert_eq!(
        again.as_deref(),
        Some(token.as_str()),
        "the stored token is kept"
    );

    let wrong = store
        .complete_setup(
            "guess",
            new_agent("x", "x@example.com", Role::SuperAdmin),
            T0,
        )
        .await;
    assert!(matches!(wrong, Err(Error::Forbidden(_))), "got {wrong:?}");

    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let (store, token) = (store.clone(), token.clone());
            tokio::spawn(async move {
                let agent = new_agent(
                    &format!("sa{i}"),
                    &format!("sa{i}@example.com"),
                    Role::SuperAdmin,
                );
                store.complete_setup(&token, agent, T0).await
            })
        })
        .collect();
    let mut winners = 0;
    for task in tasks {
        match task.await.expect("task") {
            Ok(_) => winners += 1,
            Err(Error::Forbidden(_)) => {}
            Err(e) => panic!("unexpected error {e:?}"),
        }
    }
    assert_eq!(winners, 1);
    assert_eq!(store.agents().await.expect("list").len(), 1);
    assert_eq!(store.setup_token().await.expect("token"), None);
    assert_eq!(
        store
            .setup_token_or_init("third".into())
            .await
            .expect("init"),
        None,
        "no new token once an agent exists"
    );
}
