//! Conformance cases for [`frontdesk::store::TeamStore`].

/// One multi-threaded `#[tokio::test]` per case, against the engine `$open` opens.
macro_rules! team_suite {
    ($engine:ident, $open:path) => {
        mod $engine {
            team_suite!(@cases $open;
                agent_emails_are_unique,
                concurrent_creates_with_one_email_have_one_winner,
                last_super_admin_survives_concurrent_disables,
                last_super_admin_survives_concurrent_demotions,
                disabling_returns_chats_and_ends_sign_ins,
                disabling_an_unknown_agent_is_not_found,
                presence_and_touch_move_forward,
                dashboard_sessions_start_touch_and_end,
                setup_has_one_winner,
                personas_soft_delete,
                canned_shortcuts_are_unique,
                audit_is_newest_first_and_filters,
                settings_get_or_init_is_stable_under_concurrency,
                analytics_count_only_agents_who_could_take_a_chat,
                new_passwords_end_tokens_and_sign_ins
            );
        }
    };
    (@cases $open:path; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                crate::team::cases::$case($open().await).await;
            }
        )*
    };
}

/// The cases, written against `Arc<dyn Storage>` only (plus the engine's seed for chats).
pub mod cases {
    use std::sync::Arc;

    use frontdesk::domain::Role;
    use frontdesk::domain::Timestamp;
    use frontdesk::domain::agent::{AgentChange, NewAgent};
    use frontdesk::domain::audit::{AuditFilter, NewAuditEvent};
    use frontdesk::domain::canned::CannedFields;
    use frontdesk::domain::dashboard_session::DashboardSessionRecord;
    use frontdesk::domain::persona::PersonaFields;
    use frontdesk::error::Error;
    use frontdesk::store::Storage;

    use crate::support::Fresh;

    const T0: Timestamp = Timestamp(1_765_000_000_000);
    const TASKS: usize = 16;

    fn at(offset_ms: i64) -> Timestamp {
        Timestamp(T0.0 + offset_ms)
    }

    fn new_agent(id: &str, email: &str, role: Role) -> NewAgent {
        NewAgent {
            id: id.into(),
            email: email.into(),
            name: format!("Agent {id}"),
            department: None,
            role,
            password_hash: "not-a-real-hash".into(),
            max_concurrent_chats: 5,
        }
    }

    async fn add(store: &Arc<dyn Storage>, id: &str, role: Role) {
        store
            .create_agent(new_agent(id, &format!("{id}@example.com"), role), None, T0)
            .await
            .expect("create agent");
    }

    async fn enabled_super_admins(store: &Arc<dyn Storage>) -> Vec<String> {
        let agents = store.agents().await.expect("list agents");
        agents
            .into_iter()
            .filter(|l| l.agent.is_enabled_super_admin())
            .map(|l| l.agent.id)
            .collect()
    }

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
        let store = fresh.store;
        add(&store, "boss", Role::SuperAdmin).await;
        add(&store, "a1", Role::ChatAdmin).await;
        add(&store, "a2", Role::ChatAdmin).await;
        let first = fresh.seed.active_chat_assigned_to("a1", at(1)).await;
        let second = fresh.seed.active_chat_assigned_to("a1", at(2)).await;
        let other = fresh.seed.active_chat_assigned_to("a2", at(3)).await;
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

    fn dashboard_session(hash: &str, agent: &str, now: Timestamp) -> DashboardSessionRecord {
        DashboardSessionRecord {
            token_hash: hash.into(),
            agent_id: agent.into(),
            csrf_token: format!("csrf-{hash}"),
            created_at: now,
            last_seen_at: now,
        }
    }

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

    fn persona(name: &str) -> PersonaFields {
        PersonaFields {
            name: name.into(),
            bio: Some(format!("{name} helps")),
            avatar_url: None,
        }
    }

    pub async fn personas_soft_delete(fresh: Fresh) {
        let store = fresh.store;
        add(&store, "admin", Role::SuperAdmin).await;
        let created = store
            .create_persona("p1", persona("Zoe"), "admin", at(1))
            .await
            .expect("create");
        assert_eq!((created.name.as_str(), created.deleted), ("Zoe", false));
        store
            .create_persona("p2", persona("Adam"), "admin", at(2))
            .await
            .expect("create");
        let updated = store
            .update_persona("p1", persona("Ava"), "admin", at(3))
            .await
            .expect("update");
        assert_eq!(updated.name, "Ava");
        assert_eq!(updated.updated_at, at(3));
        let names: Vec<_> = store
            .personas()
            .await
            .expect("list")
            .into_iter()
            .map(|p| p.name)
            .collect();
        assert_eq!(names, ["Adam", "Ava"], "by name");

        let deletes: Vec<_> = (0..8)
            .map(|i| {
                let store = store.clone();
                tokio::spawn(async move { store.delete_persona("p1", "admin", at(10 + i)).await })
            })
            .collect();
        let mut deleted = 0;
        for task in deletes {
            match task.await.expect("task") {
                Ok(()) => deleted += 1,
                Err(Error::NotFound(_)) => {}
                Err(e) => panic!("unexpected error {e:?}"),
            }
        }
        assert_eq!(deleted, 1, "exactly one delete wins");
        let kept = store
            .persona("p1")
            .await
            .expect("get")
            .expect("kept for history");
        assert!(kept.deleted);
        assert_eq!(kept.name, "Ava");
        let listed: Vec<_> = store
            .personas()
            .await
            .expect("list")
            .into_iter()
            .map(|p| p.id)
            .collect();
        assert_eq!(listed, ["p2"]);
        let result = store
            .update_persona("p1", persona("Back"), "admin", at(20))
            .await;
        assert!(matches!(result, Err(Error::NotFound(_))), "got {result:?}");
    }

    fn canned(shortcut: &str) -> CannedFields {
        CannedFields {
            title: format!("Title {shortcut}"),
            shortcut: shortcut.into(),
            body: format!("Body {shortcut}"),
        }
    }

    pub async fn canned_shortcuts_are_unique(fresh: Fresh) {
        let store = fresh.store;
        add(&store, "admin", Role::SuperAdmin).await;
        store
            .create_canned_response("c1", canned("/refund"), "admin", at(1))
            .await
            .expect("create");
        store
            .create_canned_response("c2", canned("/hello"), "admin", at(2))
            .await
            .expect("create");
        let taken = store
            .create_canned_response("c3", canned("/refund"), "admin", at(3))
            .await;
        assert!(matches!(taken, Err(Error::Conflict(_))), "got {taken:?}");
        assert!(store.canned_response("c3").await.expect("get").is_none());
        let taken = store
            .update_canned_response("c2", canned("/refund"), "admin", at(4))
            .await;
        assert!(matches!(taken, Err(Error::Conflict(_))), "got {taken:?}");
        let unchanged = store.canned_response("c2").await.expect("get").expect("c2");
        assert_eq!(unchanged.shortcut, "/hello");
        let updated = store
            .update_canned_response("c2", canned("/hi"), "admin", at(5))
            .await
            .expect("update");
        assert_eq!(
            (updated.shortcut.as_str(), updated.updated_at),
            ("/hi", at(5))
        );
        assert_eq!(updated.created_by.as_deref(), Some("admin"));
        let shortcuts: Vec<_> = store
            .canned_responses()
            .await
            .expect("list")
            .into_iter()
            .map(|c| c.shortcut)
            .collect();
        assert_eq!(shortcuts, ["/hi", "/refund"], "by shortcut");

        store
            .delete_canned_response("c1", "admin", at(6))
            .await
            .expect("delete");
        let again = store.delete_canned_response("c1", "admin", at(7)).await;
        assert!(matches!(again, Err(Error::NotFound(_))), "got {again:?}");
        // The shortcut is free again.
        store
            .create_canned_response("c4", canned("/refund"), "admin", at(8))
            .await
            .expect("reuse the shortcut");
    }

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

        let totals = store
            .analytics_totals(at(0), now, now)
            .await
            .expect("analytics");
        assert_eq!(totals.available_agents, 1, "only `ready` could take a chat");
        assert!(totals.days.is_empty(), "no sessions, no days");
        assert_eq!(totals.rating_distribution, [0; 5]);
        assert_eq!(totals.busiest_hours, [0; 24]);

        let report = store.report_totals(at(0), now, 10).await.expect("report");
        assert_eq!(report.agents.len(), 6, "every agent has a report row");
        assert!(report.agents.iter().all(|a| a.messages_sent == 0));
        assert!(report.sessions.is_empty());
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
}
