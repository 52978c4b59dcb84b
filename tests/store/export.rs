//! Conformance cases for [`frontdesk::store::ExportStore`]: a range read in batches gives
//! every message stamped inside it once, in storage order, with its chat and real agent; a
//! person's record holds their chats and devices and nobody else's.

/// One `#[tokio::test]` per case in [`cases`], against the engine `$open` opens.
macro_rules! export_suite {
    ($engine:ident, $open:path) => {
        mod $engine {
            macro_rules! case {
                ($name:ident) => {
                    #[tokio::test]
                    async fn $name() {
                        $crate::export::cases::$name($open().await).await;
                    }
                };
            }
            case!(a_range_read_in_batches_gives_each_message_inside_it_once_in_order);
            case!(a_person_record_holds_their_chats_and_nobody_elses);
        }
    };
}

pub mod cases {
    use std::sync::Arc;

    use frontdesk::domain::export::ExportRange;
    use frontdesk::domain::{Role, SendAs, Sender, SessionOwner, Timestamp};
    use frontdesk::store::Storage;
    use frontdesk::store::chats::{SendOutcome, StartKind};
    use frontdesk::store::export::{Person, RangeMessage};

    use crate::chats::common::{T0, reply, start_request, user_message};
    use crate::support::Fresh;

    const MINUTE: i64 = 60_000;

    fn at(minutes: i64) -> Timestamp {
        Timestamp(T0.0 + minutes * MINUTE)
    }

    async fn chat(store: &Arc<dyn Storage>, id: &str, owner: &SessionOwner) {
        let mut req = start_request(id, &owner.user_id);
        req.is_guest = owner.is_guest;
        let started = store.start_session(req).await.expect("start");
        assert_eq!(started.kind, StartKind::Created, "{id}");
    }

    async fn say(
        store: &Arc<dyn Storage>,
        owner: &SessionOwner,
        chat: &str,
        id: &str,
        minute: i64,
    ) {
        let mut m = user_message(chat, id, id, at(minute));
        m.owner = owner.clone();
        let sent = store.append_user_message(m).await.expect("send");
        assert!(matches!(sent, SendOutcome::Sent(..)), "{id} was stored");
    }

    /// Everything `range` holds, read `batch` at a time.
    async fn read_all(
        store: &Arc<dyn Storage>,
        range: ExportRange,
        batch: usize,
    ) -> Vec<RangeMessage> {
        let mut all = Vec::new();
        let mut after = None;
        loop {
            let page = store
                .messages_in_range(range, after, batch)
                .await
                .expect("a batch");
            assert!(page.len() <= batch);
            after = page.last().map(|m| m.cursor);
            let last = page.len() < batch;
            all.extend(page);
            if last {
                return all;
            }
        }
    }

    pub async fn a_range_read_in_batches_gives_each_message_inside_it_once_in_order(f: Fresh) {
        f.add_agent("sam", Role::ChatAdmin, 5, T0).await;
        let ann = SessionOwner::user("u1");
        chat(&f.store, "chat_a", &ann).await;
        // Minutes 0..10, one message a minute, an agent's reply at minute 5.
        for minute in 0..10 {
            if minute == 5 {
                let mut r = reply("chat_a", "m5", "sam");
                r.now = at(minute);
                r.send_as = SendAs::Agent;
                f.store.append_agent_message(r).await.expect("reply");
            } else {
                say(&f.store, &ann, "chat_a", &format!("m{minute}"), minute).await;
            }
        }
        let range = ExportRange {
            from: at(2),
            until: at(8),
        };
        for batch in [1, 2, 4, 100] {
            let got = read_all(&f.store, range, batch).await;
            let ids: Vec<&str> = got.iter().map(|m| m.message_id.as_str()).collect();
            assert_eq!(
                ids,
                ["m2", "m3", "m4", "m5", "m6", "m7"],
                "batches of {batch}"
            );
            let seqs: Vec<i64> = got.iter().map(|m| m.seq).collect();
            assert_eq!(seqs, [3, 4, 5, 6, 7, 8], "positions in the chat");
            let agent = &got[3];
            assert_eq!(agent.sender, Sender::Admin);
            assert_eq!(agent.agent_id.as_deref(), Some("sam"));
            assert_eq!(agent.agent_name.as_deref(), Some("sam"));
            assert!(
                got.iter()
                    .all(|m| m.session_id == "chat_a" && m.user_id == "u1")
            );
        }
        let empty = ExportRange {
            from: at(100),
            until: at(200),
        };
        assert!(read_all(&f.store, empty, 10).await.is_empty());
        // A range ending at a message's very stamp leaves it out.
        let edge = ExportRange {
            from: at(0),
            until: at(1),
        };
        let got = read_all(&f.store, edge, 10).await;
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].message_id, "m0");
    }

    pub async fn a_person_record_holds_their_chats_and_nobody_elses(f: Fresh) {
        let ann = SessionOwner::user("ann");
        let ann_guest = SessionOwner::guest("ann");
        let bob = SessionOwner::user("bob");
        chat(&f.store, "chat_ann_1", &ann).await;
        say(&f.store, &ann, "chat_ann_1", "a1", 1).await;
        chat(&f.store, "chat_ann_2", &ann).await;
        chat(&f.store, "chat_guest", &ann_guest).await;
        chat(&f.store, "chat_bob", &bob).await;
        say(&f.store, &bob, "chat_bob", "b1", 2).await;
        f.store
            .register_push_token(ann.clone(), "ann-phone".into(), "ios", 5, at(3))
            .await
            .expect("a device");

        let ids = |record: &frontdesk::store::export::PersonRecord| {
            record
                .chats
                .iter()
                .map(|c| c.record.session.id.clone())
                .collect::<Vec<_>>()
        };
        let by_id = f
            .store
            .person_record(Person::Id("ann".into()))
            .await
            .expect("by id");
        assert_eq!(ids(&by_id), ["chat_ann_1", "chat_ann_2", "chat_guest"]);
        assert_eq!(by_id.chats[0].record.messages.len(), 1);
        assert_eq!(by_id.push_devices.len(), 1);
        assert_eq!(by_id.push_devices[0].token, "ann-phone");

        let own = f
            .store
            .person_record(Person::Owner(ann_guest))
            .await
            .expect("the guest");
        assert_eq!(ids(&own), ["chat_guest"]);
        assert!(
            own.push_devices.is_empty(),
            "the device is the user's, not the guest's"
        );

        let nobody = f
            .store
            .person_record(Person::Id("carol".into()))
            .await
            .expect("nobody");
        assert!(nobody.chats.is_empty() && nobody.push_devices.is_empty());
        assert!(nobody.emails.is_empty() && nobody.push_notifications.is_empty());
    }
}
