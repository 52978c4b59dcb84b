//! Agents: unique emails, the last super admin, disabling, presence, passwords.

use std::sync::Arc;

use frontdesk::domain::Role;
use frontdesk::domain::agent::AgentChange;
use frontdesk::domain::audit::AuditFilter;
use frontdesk::error::Error;
use frontdesk::store::Storage;

use crate::support::Fresh;

use super::fixtures::*;

pub async fn agent_emails_are_unique(fresh: Fresh) {
    let store = fresh.store;
    let first = store
        .create_agent(
            new_agent("a1", "ann@example.com", Role::ChatAdmin),
            None,
            T0,
        )
        .await
        .expect("first agent");
    assert_eq!(first.agent.email, "ann@example.com");
    assert_eq!(first.active_chats, 0);

    let again = store
        .create_agent(
            new_agent("a2", "ann@example.com", Role::SupportAdmin),
            None,
            T0,
        )
        .await;
    assert!(matches!(again, Err(Error::Conflict(_))), "got {again:?}");
    let all = store.agents().await.expect("list");
    assert_eq!(all.len(), 1, "the refused agent must not exist");
    assert!(store.agent("a2").await.expect("get").is_none());
    let creds = store
        .agent_credentials("ann@example.com")
        .await
        .expect("credentials")
        .expect("ann exists");
    assert_eq!(creds.agent.id, "a1");
    assert_eq!(creds.password_hash, "not-a-real-hash");
}

pub async fn concurrent_creates_with_one_email_have_one_winner(fresh: Fresh) {
    let store = fresh.store;
    let tasks: Vec<_> = (0..TASKS)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                let agent = new_agent(&format!("a{i}"), "same@example.com", Role::ChatAdmin);
                store.create_agent(agent, None, T0).await
            })
        })
        .collect();
    let mut created = 0;
    for task in tasks {
        match task.await.expect("task") {
            Ok(_) => created += 1,
            Err(Error::Conflict(_)) => {}
            Err(e) => panic!("unexpected error {e:?}"),
        }
    }
    assert_eq!(created, 1);
    assert_eq!(store.agents().await.expect("list").len(), 1);
}

pub async fn last_super_admin_survives_concurrent_disables(fresh: Fresh) {
    let store = fresh.store;
    add(&store, "sa1", Role::SuperAdmin).await;
    add(&store, "sa2", Role::SuperAdmin).await;
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let store = store.clone();
            let target = if i % 2 == 0 { "sa1" } else { "sa2" };
            tokio::spawn(async move { store.disable_agent(target, None, at(i)).await })
        })
        .collect();
    for task in tasks {
        match task.await.expect("task") {
            Ok(_) | Err(Error::Conflict(_)) => {}
            Err(e) => panic!("unexpected error {e:?}"),
        }
    }
    let left = enabled_super_admins(&store).await;
    assert_eq!(
        left.len(),
        1,
        "exactly one super admin stays enabled: {left:?}"
    );
}

pub async fn last_super_admin_survives_concurrent_demotions(fresh: Fresh) {
    let store = fresh.store;
    add(&store, "sa1", Role::SuperAdmin).await;
    add(&store, "sa2", Role::SuperAdmin).await;
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let store = store.clone();
            let (target, actor) = if i % 2 == 0 {
                ("sa1", "sa2")
            } else {
                ("sa2", "sa1")
            };
            tokio::spawn(async move {
                let change = AgentChange {
                    role: Some(Role::ChatAdmin),
                    ..AgentChange::default()
                };
                store.update_agent(target, change, actor, at(i)).await
            })
        })
        .collect();
    for task in tasks {
        match task.await.expect("task") {
            Ok(load) => assert_eq!(load.agent.role, Role::ChatAdmin),
            Err(Error::Conflict(_)) => {}
            Err(e) => panic!("unexpected error {e:?}"),
        }
    }
    assert_eq!(enabled_super_admins(&store).await.len(), 1);

    // Other changes to the last super admin still go through.
    let last = enabled_super_admins(&store).await.remove(0);
    let renamed = store
        .update_agent(
            &last,
            AgentChange {
                name: Some("Still in charge".into()),
                ..AgentChange::default()
            },
            &last,
            at(100),
        )
        .await
        .expect("rename the last super admin");
    assert_eq!(renamed.agent.name, "Still in charge");
    assert_eq!(renamed.agent.role, Role::SuperAdmin);
}

pub async fn disabling_returns_chats_and_ends_sign_ins(fresh: Fresh) {
    let store = fresh.store.clone();
    add(&store, "boss", Role::SuperAdmin).await;
    add(&store, "a1", Role::ChatAdmin).await;
    add(&store, "a2", Role::ChatAdmin).await;
    let first = fresh.active_chat_assigned_to("a1", at(1)).await;
    let second = fresh.active_chat_assigned_to("a1", at(2)).await;
    let other = fresh.active_chat_assigned_to("a2", at(3)).await;
    store
        .start_dashboard_session(dashboard_session("hash-a1", "a1", at(4)))
        .await
        .expect("sign a1 in");
    let before = store.agent("a1").await.expect("get").expect("a1");
    assert_eq!(before.active_chats, 2);
    assert!(before.agent.is_online);

    let disabled = store
        .disable_agent("a1", Some("boss"), at(10))
        .await
        .expect("disable a1");
    assert_eq!(disabled.released_sessions, vec![first, second]);
    assert!(disabled.agent.agent.disabled);
    assert!(!disabled.agent.agent.is_online);
    assert_eq!(disabled.agent.active_chats, 0);
    assert!(disabled.agent.agent.token_version > before.agent.token_version);
    assert!(
        store
            .dashboard_session("hash-a1")
            .await
            .expect("get")
            .is_none()
    );
    let untouched = store.agent("a2").await.expect("get").expect("a2");
    assert_eq!(untouched.active_chats, 1, "{other} stays with a2");

    let (events, _) = store
        .audit_events(AuditFilter::default(), 0, 10)
        .await
        .expect("audit");
    let actions: Vec<_> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        &actions[..3],
        ["agent_disable", "release", "release"],
        "newest first"
    );
    assert_eq!(events[0].agent_id.as_deref(), Some("boss"));
}

pub async fn disabling_an_unknown_agent_is_not_found(fresh: Fresh) {
    let store = fresh.store;
    let result = store.disable_agent("nobody", None, T0).await;
    assert!(matches!(result, Err(Error::NotFound(_))), "got {result:?}");
    let result = store
        .update_agent("nobody", AgentChange::default(), "x", T0)
        .await;
    assert!(matches!(result, Err(Error::NotFound(_))), "got {result:?}");
}

pub async fn presence_and_touch_move_forward(fresh: Fresh) {
    let store = fresh.store;
    add(&store, "a1", Role::ChatAdmin).await;
    let online = store
        .set_agent_online("a1", true, "login", at(100))
        .await
        .expect("online");
    assert!(online.agent.online_at(at(100)));
    store.touch_agent("a1", at(50)).await.expect("late touch");
    let agent = store.agent("a1").await.expect("get").expect("a1").agent;
    assert_eq!(
        agent.last_seen_at,
        Some(at(100)),
        "an older touch is ignored"
    );
    store.touch_agent("a1", at(200)).await.expect("touch");
    let agent = store.agent("a1").await.expect("get").expect("a1").agent;
    assert_eq!(agent.last_seen_at, Some(at(200)));
    let offline = store
        .set_agent_online("a1", false, "status_offline", at(300))
        .await
        .expect("offline");
    assert!(!offline.agent.online_at(at(300)));
    let missing = store.set_agent_online("nobody", true, "login", T0).await;
    assert!(
        matches!(missing, Err(Error::NotFound(_))),
        "got {missing:?}"
    );
}

pub async fn new_passwords_end_tokens_and_sign_ins(fresh: Fresh) {
    let store = fresh.store;
    add(&store, "boss", Role::SuperAdmin).await;
    add(&store, "a1", Role::ChatAdmin).await;
    let version = |store: Arc<dyn Storage>| async move {
        let load = store.agent("a1").await.expect("get").expect("a1");
        load.agent.token_version
    };
    let v0 = version(store.clone()).await;

    store
        .start_dashboard_session(dashboard_session("h1", "a1", at(1)))
        .await
        .expect("sign in");
    store
        .set_agent_password("a1", "hash-2", at(2))
        .await
        .expect("reset");
    assert!(version(store.clone()).await > v0);
    assert!(store.dashboard_session("h1").await.expect("get").is_none());
    let creds = store
        .agent_credentials("a1@example.com")
        .await
        .expect("credentials")
        .expect("a1");
    assert_eq!(creds.password_hash, "hash-2");

    let v1 = version(store.clone()).await;
    store
        .start_dashboard_session(dashboard_session("h2", "a1", at(3)))
        .await
        .expect("sign in again");
    let change = AgentChange {
        password_hash: Some("hash-3".into()),
        ..AgentChange::default()
    };
    store
        .update_agent("a1", change, "boss", at(4))
        .await
        .expect("update password");
    assert!(version(store.clone()).await > v1);
    assert!(store.dashboard_session("h2").await.expect("get").is_none());

    let missing = store.set_agent_password("nobody", "x", at(5)).await;
    assert!(
        matches!(missing, Err(Error::NotFound(_))),
        "got {missing:?}"
    );
}

pub async fn signing_out_ends_tokens_but_not_dashboard_sessions(fresh: Fresh) {
    let store = fresh.store;
    add(&store, "a1", Role::ChatAdmin).await;
    add(&store, "a2", Role::ChatAdmin).await;
    store
        .start_dashboard_session(dashboard_session("h1", "a1", at(1)))
        .await
        .expect("sign in");
    let before = store.agent("a1").await.expect("get").expect("a1").agent;
    let other_before = store.agent("a2").await.expect("get").expect("a2").agent;

    let after = store.sign_out_agent("a1", at(10)).await.expect("sign out");
    assert!(after.agent.token_version > before.token_version);
    assert!(!after.agent.online_at(at(10)));
    let again = store.sign_out_agent("a1", at(11)).await.expect("again");
    assert!(
        again.agent.token_version > after.agent.token_version,
        "a second sign-out voids what a sign-in in between issued"
    );
    assert!(
        store.dashboard_session("h1").await.expect("get").is_some(),
        "the dashboard has its own sign-out"
    );
    let other = store.agent("a2").await.expect("get").expect("a2").agent;
    assert_eq!(other.token_version, other_before.token_version);

    let (events, _) = store
        .audit_events(AuditFilter::default(), 0, 10)
        .await
        .expect("audit");
    assert_eq!(events[0].action, "api_logout");
    assert_eq!(events[0].agent_id.as_deref(), Some("a1"));
    let missing = store.sign_out_agent("nobody", at(12)).await;
    assert!(
        matches!(missing, Err(Error::NotFound(_))),
        "got {missing:?}"
    );
}
