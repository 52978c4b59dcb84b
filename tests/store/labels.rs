//! Conformance cases for [`frontdesk::store::LabelStore`]: the list by name, names unique
//! ignoring case (also among concurrent creates), missing labels and chats, labels on chats
//! once however often they are put there, the labels of active chats only, deleting a label
//! takes it off every chat, and analytics limited to a label's chats.

/// One multi-threaded `#[tokio::test]` per case in [`cases`], against the engine `$open` opens.
macro_rules! labels_suite {
    ($engine:ident, $open:path) => {
        mod $engine {
            macro_rules! case {
                ($name:ident) => {
                    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                    async fn $name() {
                        $crate::labels::cases::$name($open().await).await;
                    }
                };
            }
            case!(labels_are_listed_by_name_and_read_back);
            case!(a_name_taken_ignoring_case_is_a_conflict_and_stores_nothing);
            case!(concurrent_creates_of_one_name_have_one_winner);
            case!(changing_or_deleting_a_missing_label_is_not_found);
            case!(a_label_goes_on_a_chat_once_and_comes_off_once);
            case!(missing_chats_and_labels_are_named);
            case!(active_chat_labels_lists_only_active_chats);
            case!(deleting_a_label_takes_it_off_every_chat);
            case!(analytics_of_a_label_count_only_its_chats);
        }
    };
}

pub mod cases {
    use std::sync::Arc;

    use frontdesk::domain::audit::AuditFilter;
    use frontdesk::domain::label::{Label, LabelFields};
    use frontdesk::domain::{Role, SessionOwner, Timestamp};
    use frontdesk::error::Error;
    use frontdesk::store::Storage;
    use frontdesk::store::labels::ChatLabel;
    use frontdesk::store::team::Scope;

    use crate::chats::common::{IDLE, T0, start};
    use crate::support::Fresh;

    const ROOT: &str = "root";

    fn at(offset_ms: i64) -> Timestamp {
        Timestamp(T0.0 + offset_ms)
    }

    fn fields(name: &str, colour: &str) -> LabelFields {
        LabelFields::parse(name, colour).expect("valid label fields")
    }

    /// A store with the super admin `root`, whom the audit log names.
    async fn with_root(s: Fresh) -> Fresh {
        s.add_agent(ROOT, Role::SuperAdmin, 5, T0).await;
        s
    }

    async fn create(store: &Arc<dyn Storage>, id: &str, name: &str) -> Label {
        store
            .create_label(id, fields(name, "#3b82f6"), ROOT, T0)
            .await
            .unwrap_or_else(|e| panic!("create {name}: {e}"))
    }

    fn names(labels: &[Label]) -> Vec<&str> {
        labels.iter().map(|l| l.name.as_str()).collect()
    }

    async fn listed(store: &Arc<dyn Storage>) -> Vec<Label> {
        store.labels().await.expect("list labels")
    }

    /// How many audit events have `action`.
    async fn audited(store: &Arc<dyn Storage>, action: &str) -> i64 {
        let filter = AuditFilter {
            action: Some(action.into()),
            ..AuditFilter::default()
        };
        store.audit_events(filter, 0, 100).await.expect("audit").1
    }

    async fn on_chat(store: &Arc<dyn Storage>, session: &str) -> Vec<String> {
        store
            .chat_labels(session)
            .await
            .expect("chat labels")
            .into_iter()
            .map(|l| l.id)
            .collect()
    }

    fn pairs(labels: &[ChatLabel]) -> Vec<(&str, &str)> {
        labels
            .iter()
            .map(|c| (c.session_id.as_str(), c.label.id.as_str()))
            .collect()
    }

    pub async fn labels_are_listed_by_name_and_read_back(s: Fresh) {
        let s = with_root(s).await;
        let store = s.store;
        assert!(listed(&store).await.is_empty());
        let refund = store
            .create_label("l_refund", fields("refund", "#3B82F6"), ROOT, at(5))
            .await
            .expect("create");
        assert_eq!(refund.id, "l_refund");
        assert_eq!(refund.name, "refund");
        assert_eq!(refund.colour.as_str(), "#3b82f6");
        assert_eq!((refund.created_at, refund.updated_at), (at(5), at(5)));
        create(&store, "l_vip", "VIP").await;
        create(&store, "l_bug", "Bug").await;
        assert_eq!(
            names(&listed(&store).await),
            ["Bug", "refund", "VIP"],
            "by name, ignoring case"
        );
        assert_eq!(store.label("l_refund").await.expect("read"), Some(refund));
        assert_eq!(store.label("l_missing").await.expect("read"), None);

        let changed = store
            .update_label("l_refund", fields("Refunds", "#10b981"), ROOT, at(9))
            .await
            .expect("update");
        assert_eq!(
            (changed.name.as_str(), changed.colour.as_str()),
            ("Refunds", "#10b981")
        );
        assert_eq!((changed.created_at, changed.updated_at), (at(5), at(9)));
        assert_eq!(store.label("l_refund").await.expect("read"), Some(changed));
        assert_eq!(audited(&store, "label_create").await, 3);
        assert_eq!(audited(&store, "label_update").await, 1);
    }

    pub async fn a_name_taken_ignoring_case_is_a_conflict_and_stores_nothing(s: Fresh) {
        let s = with_root(s).await;
        let store = s.store;
        create(&store, "l_refund", "Refund").await;
        create(&store, "l_back", "Rückgabe").await;
        let bug = create(&store, "l_bug", "Bug").await;
        let before = listed(&store).await;
        for name in ["Refund", "REFUND", "refund", "RÜCKGABE", "rückgabe"] {
            let err = store
                .create_label("l_new", fields(name, "#000000"), ROOT, at(1))
                .await
                .expect_err("a taken name");
            assert!(matches!(err, Error::Conflict(_)), "create {name}: {err:?}");
            let err = store
                .update_label("l_bug", fields(name, "#000000"), ROOT, at(1))
                .await
                .expect_err("a taken name");
            assert!(
                matches!(err, Error::Conflict(_)),
                "rename to {name}: {err:?}"
            );
        }
        assert_eq!(listed(&store).await, before, "conflicts store nothing");
        assert_eq!(store.label("l_new").await.expect("read"), None);
        assert_eq!(audited(&store, "label_create").await, 3);
        assert_eq!(audited(&store, "label_update").await, 0);

        // Its own name in another case, or unchanged, is no conflict.
        let upper = store
            .update_label("l_bug", fields("BUG", "#000000"), ROOT, at(2))
            .await
            .expect("own name");
        assert_eq!(upper.name, "BUG");
        store
            .update_label("l_bug", fields("BUG", "#111111"), ROOT, at(3))
            .await
            .expect("same name");
        assert_ne!(upper, bug);
    }

    pub async fn concurrent_creates_of_one_name_have_one_winner(s: Fresh) {
        let s = with_root(s).await;
        let store = s.store;
        let spellings = ["Refund", "REFUND", "refund", "rEfUnD"];
        let tasks: Vec<_> = (0..16)
            .map(|i| {
                let store = store.clone();
                let name = spellings[i % spellings.len()];
                tokio::spawn(async move {
                    store
                        .create_label(&format!("l_{i}"), fields(name, "#000000"), ROOT, at(1))
                        .await
                })
            })
            .collect();
        let mut wins = 0;
        for task in tasks {
            match task.await.expect("task") {
                Ok(_) => wins += 1,
                Err(Error::Conflict(_)) => {}
                Err(e) => panic!("only a conflict may fail a create: {e:?}"),
            }
        }
        assert_eq!(wins, 1);
        assert_eq!(listed(&store).await.len(), 1);
        assert_eq!(audited(&store, "label_create").await, 1);
    }

    pub async fn changing_or_deleting_a_missing_label_is_not_found(s: Fresh) {
        let s = with_root(s).await;
        let store = s.store;
        create(&store, "l_refund", "Refund").await;
        // Not found comes first, even with a name another label has.
        for name in ["Bug", "Refund"] {
            let err = store
                .update_label("l_missing", fields(name, "#000000"), ROOT, at(1))
                .await
                .expect_err("missing");
            assert!(matches!(err, Error::NotFound(_)), "{name}: {err:?}");
        }
        let err = store
            .delete_label("l_missing", ROOT, at(1))
            .await
            .expect_err("missing");
        assert!(matches!(err, Error::NotFound(_)), "{err:?}");
        store
            .delete_label("l_refund", ROOT, at(2))
            .await
            .expect("delete");
        let err = store
            .delete_label("l_refund", ROOT, at(3))
            .await
            .expect_err("deleted already");
        assert!(matches!(err, Error::NotFound(_)), "{err:?}");
        assert!(listed(&store).await.is_empty());
        assert_eq!(audited(&store, "label_delete").await, 1);
        assert_eq!(audited(&store, "label_update").await, 0);
    }

    pub async fn a_label_goes_on_a_chat_once_and_comes_off_once(s: Fresh) {
        let s = with_root(s).await;
        let store = s.store;
        start(&store, "chat_a", "u1").await;
        create(&store, "l_refund", "refund").await;
        create(&store, "l_bug", "Bug").await;

        for _ in 0..2 {
            let now_on = store
                .add_chat_label("chat_a", "l_refund", ROOT, at(1))
                .await
                .expect("add");
            assert_eq!(names(&now_on), ["refund"]);
        }
        let both = store
            .add_chat_label("chat_a", "l_bug", ROOT, at(2))
            .await
            .expect("add");
        assert_eq!(names(&both), ["Bug", "refund"], "by name");
        assert_eq!(on_chat(&store, "chat_a").await, ["l_bug", "l_refund"]);
        assert_eq!(audited(&store, "chat_label_add").await, 2, "once per label");

        for _ in 0..2 {
            let left = store
                .remove_chat_label("chat_a", "l_refund", ROOT, at(3))
                .await
                .expect("remove");
            assert_eq!(names(&left), ["Bug"]);
        }
        assert_eq!(audited(&store, "chat_label_remove").await, 1);
        // The chat's record carries its labels too.
        let record = store
            .chat_record("chat_a".into())
            .await
            .expect("record")
            .expect("exists");
        assert_eq!(names(&record.labels), ["Bug"]);
        assert!(on_chat(&store, "chat_missing").await.is_empty());
    }

    pub async fn missing_chats_and_labels_are_named(s: Fresh) {
        let s = with_root(s).await;
        let store = s.store;
        start(&store, "chat_a", "u1").await;
        create(&store, "l_refund", "Refund").await;
        for (session, label, chat_missing) in [
            ("chat_missing", "l_refund", true),
            ("chat_missing", "l_missing", true),
            ("chat_a", "l_missing", false),
        ] {
            for add in [true, false] {
                let result = if add {
                    store.add_chat_label(session, label, ROOT, at(1)).await
                } else {
                    store.remove_chat_label(session, label, ROOT, at(1)).await
                };
                let err = result.expect_err("missing");
                if chat_missing {
                    assert!(matches!(err, Error::SessionNotFound), "{session}: {err:?}");
                } else {
                    assert!(matches!(err, Error::NotFound(_)), "{label}: {err:?}");
                }
            }
        }
        assert!(on_chat(&store, "chat_a").await.is_empty());
        assert_eq!(audited(&store, "chat_label_add").await, 0);
        assert_eq!(audited(&store, "chat_label_remove").await, 0);
    }

    pub async fn active_chat_labels_lists_only_active_chats(s: Fresh) {
        let s = with_root(s).await;
        let store = s.store;
        for id in ["chat_b", "chat_a", "chat_ended", "chat_bare"] {
            start(&store, id, "u1").await;
        }
        create(&store, "l_refund", "refund").await;
        create(&store, "l_bug", "Bug").await;
        for (session, label) in [
            ("chat_b", "l_refund"),
            ("chat_a", "l_refund"),
            ("chat_a", "l_bug"),
            ("chat_ended", "l_bug"),
        ] {
            store
                .add_chat_label(session, label, ROOT, at(1))
                .await
                .expect("add");
        }
        store
            .end_by_user(
                SessionOwner::user("u1"),
                "chat_ended".into(),
                None,
                None,
                at(2),
                IDLE,
            )
            .await
            .expect("end");
        let active = store.active_chat_labels().await.expect("active labels");
        assert_eq!(
            pairs(&active),
            [
                ("chat_a", "l_bug"),
                ("chat_a", "l_refund"),
                ("chat_b", "l_refund"),
            ],
            "by chat, then by label name"
        );
        assert_eq!(active[0].label.name, "Bug");
        // An ended chat keeps its labels; it is only not in the queue.
        assert_eq!(on_chat(&store, "chat_ended").await, ["l_bug"]);
    }

    pub async fn deleting_a_label_takes_it_off_every_chat(s: Fresh) {
        let s = with_root(s).await;
        let store = s.store;
        for id in ["chat_a", "chat_b"] {
            start(&store, id, "u1").await;
        }
        create(&store, "l_refund", "Refund").await;
        create(&store, "l_bug", "Bug").await;
        for (session, label) in [
            ("chat_a", "l_refund"),
            ("chat_a", "l_bug"),
            ("chat_b", "l_refund"),
        ] {
            store
                .add_chat_label(session, label, ROOT, at(1))
                .await
                .expect("add");
        }
        store
            .delete_label("l_refund", ROOT, at(2))
            .await
            .expect("delete");
        assert_eq!(on_chat(&store, "chat_a").await, ["l_bug"]);
        assert!(on_chat(&store, "chat_b").await.is_empty());
        assert_eq!(
            pairs(&store.active_chat_labels().await.expect("active")),
            [("chat_a", "l_bug")]
        );
        let err = store
            .add_chat_label("chat_b", "l_refund", ROOT, at(3))
            .await
            .expect_err("deleted");
        assert!(matches!(err, Error::NotFound(_)), "{err:?}");
        // The name is free again, and the new label is on no chat.
        create(&store, "l_refund_2", "refund").await;
        assert!(on_chat(&store, "chat_b").await.is_empty());
    }

    pub async fn analytics_of_a_label_count_only_its_chats(s: Fresh) {
        let s = with_root(s).await;
        let store = s.store;
        for id in ["chat_a", "chat_b", "chat_c"] {
            start(&store, id, "u1").await;
        }
        create(&store, "l_refund", "Refund").await;
        create(&store, "l_unused", "Unused").await;
        for session in ["chat_a", "chat_c"] {
            store
                .add_chat_label(session, "l_refund", ROOT, at(1))
                .await
                .expect("add");
        }
        let scope = |label: Option<&str>| Scope {
            from: Timestamp(0),
            to: at(86_400_000),
            label_id: label.map(str::to_string),
        };
        let sessions = |days: &[frontdesk::domain::analytics::DayTotals]| -> i64 {
            days.iter().map(|d| d.sessions).sum()
        };
        for (label, expected) in [
            (None, 3),
            (Some("l_refund"), 2),
            (Some("l_unused"), 0),
            (Some("l_missing"), 0),
        ] {
            let totals = store
                .analytics_totals(scope(label), at(2))
                .await
                .expect("analytics");
            assert_eq!(sessions(&totals.days), expected, "{label:?}");
            let report = store
                .report_totals(scope(label), 100)
                .await
                .expect("report");
            assert_eq!(sessions(&report.days), expected, "{label:?}");
            assert_eq!(report.sessions.len() as i64, expected, "{label:?}");
            // Every label's row, whatever the scope's label.
            let per_label: Vec<(&str, i64)> = report
                .labels
                .iter()
                .map(|(l, t)| (l.id.as_str(), t.sessions))
                .collect();
            assert_eq!(per_label, [("l_refund", 2), ("l_unused", 0)], "{label:?}");
        }
    }
}
