//! The audit log, server settings and analytics.

use frontdesk::domain::Role;
use frontdesk::domain::agent::AgentChange;
use frontdesk::domain::audit::{AuditFilter, NewAuditEvent};
use frontdesk::store::team::Scope;

use crate::support::Fresh;

use super::fixtures::*;

pub async fn audit_is_newest_first_and_filters(fresh: Fresh) {
    let store = fresh.store;
    add(&store, "a1", Role::SuperAdmin).await;
    for i in 0..5 {
        store
            .record_audit(NewAuditEvent {
                at: at(i),
                agent_id: Some("a1".into()),
                action: if i % 2 == 0 { "even" } else { "odd" }.into(),
                session_id: Some(format!("s{i}")),
                detail: Some(serde_json::json!({ "i": i })),
            })
            .await
            .expect("record");
    }
    let (all, total) = store
        .audit_events(AuditFilter::default(), 0, 100)
        .await
        .expect("list");
    assert_eq!(total, 6, "five events and the agent's creation");
    assert_eq!(all.len(), 6);
    assert!(all.windows(2).all(|w| w[0].seq > w[1].seq), "newest first");
    assert_eq!(all[0].detail, Some(serde_json::json!({ "i": 4 })));
    assert_eq!(all[0].agent_name.as_deref(), Some("Agent a1"));
    assert_eq!(all[5].action, "agent_create");

    let odd = AuditFilter {
        action: Some("odd".into()),
        ..AuditFilter::default()
    };
    let (page, total) = store.audit_events(odd, 1, 1).await.expect("page");
    assert_eq!(total, 2);
    assert_eq!(page.len(), 1);
    assert_eq!(
        page[0].session_id.as_deref(),
        Some("s1"),
        "second newest odd event"
    );

    let one_session = AuditFilter {
        session_id: Some("s2".into()),
        ..AuditFilter::default()
    };
    let (events, total) = store.audit_events(one_session, 0, 10).await.expect("list");
    assert_eq!((events.len(), total), (1, 1));
}

pub async fn settings_get_or_init_is_stable_under_concurrency(fresh: Fresh) {
    let store = fresh.store;
    let tasks: Vec<_> = (0..TASKS)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .server_setting_or_init("conformance_key", format!("value-{i}"))
                    .await
            })
        })
        .collect();
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.expect("task").expect("get or init"));
    }
    answers.dedup();
    assert_eq!(
        answers.len(),
        1,
        "everyone sees the first value: {answers:?}"
    );
    let later = store
        .server_setting_or_init("conformance_key", "late".into())
        .await
        .expect("read back");
    assert_eq!(later, answers[0]);
}

pub async fn analytics_count_only_agents_who_could_take_a_chat(fresh: Fresh) {
    let store = fresh.store;
    let now = at(10 * 60_000);
    for (id, role) in [
        ("ready", Role::ChatAdmin),
        ("reader", Role::SupportAdmin),
        ("away", Role::ChatAdmin),
        ("full", Role::ChatAdmin),
        ("stale", Role::SuperAdmin),
        ("gone", Role::ChatAdmin),
    ] {
        add(&store, id, role).await;
    }
    for id in ["ready", "reader", "full", "gone"] {
        store
            .set_agent_online(id, true, "login", now)
            .await
            .expect("online");
    }
    store
        .set_agent_online("stale", true, "login", at(0))
        .await
        .expect("online long ago");
    let no_room = AgentChange {
        max_concurrent_chats: Some(0),
        ..AgentChange::default()
    };
    store
        .update_agent("full", no_room, "ready", now)
        .await
        .expect("capacity 0");
    store
        .disable_agent("gone", None, now)
        .await
        .expect("disable");

    let everything = Scope {
        from: at(0),
        to: now,
        label_id: None,
    };
    let totals = store
        .analytics_totals(everything.clone(), now)
        .await
        .expect("analytics");
    assert_eq!(totals.available_agents, 1, "only `ready` could take a chat");
    assert!(totals.days.is_empty(), "no sessions, no days");
    assert_eq!(totals.rating_distribution, [0; 5]);
    assert_eq!(totals.busiest_hours, [0; 24]);

    let report = store.report_totals(everything, 10).await.expect("report");
    assert_eq!(report.agents.len(), 6, "every agent has a report row");
    assert!(report.agents.iter().all(|a| a.messages_sent == 0));
    assert!(report.sessions.is_empty());
}

/// The engine chores every store offers: a backup is written while the store serves and never
/// overwrites a file, the integrity check passes on a healthy store, and reads are counted.
pub async fn backup_integrity_and_read_count(fresh: Fresh) {
    let store = fresh.store;
    add(&store, "a1", Role::SuperAdmin).await;
    store
        .integrity_check()
        .await
        .expect("a fresh store is intact");

    let before = store.reads_started();
    store.agents().await.expect("list agents");
    assert!(store.reads_started() > before, "a read is counted");

    let dir = tempfile::tempdir().expect("temp dir");
    let target = dir.path().join("copy");
    match store.backup_to(&target).await {
        Ok(_) => {}
        // PostgreSQL is copied with its own tools; the answer says which, and writes nothing.
        Err(frontdesk::error::Error::Validation { message, .. }) if message.contains("pg_dump") => {
            assert!(!target.exists(), "nothing was written");
            return;
        }
        Err(e) => panic!("backup: {e:?}"),
    }
    assert!(target.exists(), "the copy was written");
    let again = store.backup_to(&target).await;
    assert!(
        matches!(again, Err(frontdesk::error::Error::Validation { .. })),
        "an existing file is never overwritten: {again:?}"
    );
}
