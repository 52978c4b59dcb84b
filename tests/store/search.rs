//! Conformance cases for [`frontdesk::store::SearchStore`]: a stored message is found at once,
//! every query form, filters, paging newest first, and hostile text that must never fail.

/// One `#[tokio::test]` per case in [`cases`], against the engine `$open` opens.
macro_rules! search_suite {
    ($engine:ident, $open:path) => {
        mod $engine {
            macro_rules! case {
                ($name:ident) => {
                    #[tokio::test]
                    async fn $name() {
                        $crate::search::cases::$name($open().await).await;
                    }
                };
            }
            case!(a_stored_message_is_found_at_once_with_its_words_marked);
            case!(words_prefixes_and_phrases_match_as_typed);
            case!(customers_and_notes_are_found_and_filters_narrow);
            case!(pages_run_newest_first);
            case!(hostile_text_is_an_answer_never_an_error);
        }
    };
}

pub mod cases {
    use std::sync::Arc;

    use frontdesk::domain::search::{
        HitSource, MATCH_END, MATCH_START, SearchFilters, StatusFilter, parse_terms,
    };
    use frontdesk::domain::{Channel, Role, Timestamp};
    use frontdesk::store::Storage;
    use frontdesk::store::chats::{SendOutcome, StartKind};
    use frontdesk::store::search::{SearchHit, SearchRequest};

    use crate::chats::common::{T0, start_request, user_message};
    use crate::support::Fresh;

    /// Starts chat `id` for `user` (with a name and email) at `at`.
    async fn chat(store: &Arc<dyn Storage>, id: &str, user: &str, channel: Channel) {
        let mut req = start_request(id, user);
        req.user_name = Some(format!("{user} Lindqvist"));
        req.user_email = Some(format!("{user}@example.org"));
        req.channel = channel;
        let started = store.start_session(req).await.expect("start");
        assert_eq!(started.kind, StartKind::Created);
    }

    async fn say(store: &Arc<dyn Storage>, session: &str, id: &str, text: &str, at: i64) {
        let mut m = user_message(session, id, text, Timestamp(T0.0 + at));
        m.owner = frontdesk::domain::SessionOwner::user(session.trim_start_matches("chat_"));
        let sent = store.append_user_message(m).await.expect("send");
        assert!(matches!(sent, SendOutcome::Sent(..)), "{id} was stored");
    }

    async fn find_with(
        store: &Arc<dyn Storage>,
        q: &str,
        filters: SearchFilters,
        offset: usize,
        limit: usize,
    ) -> Vec<SearchHit> {
        store
            .search(SearchRequest {
                terms: parse_terms(q),
                filters,
                offset,
                limit,
            })
            .await
            .unwrap_or_else(|e| panic!("search {q:?}: {e}"))
    }

    async fn find(store: &Arc<dyn Storage>, q: &str) -> Vec<SearchHit> {
        find_with(store, q, SearchFilters::default(), 0, 50).await
    }

    fn items(hits: &[SearchHit]) -> Vec<&str> {
        hits.iter()
            .map(|h| h.item_id.as_deref().unwrap_or(&h.session_id))
            .collect()
    }

    pub async fn a_stored_message_is_found_at_once_with_its_words_marked(s: Fresh) {
        chat(&s.store, "chat_ada", "ada", Channel::App).await;
        say(
            &s.store,
            "chat_ada",
            "m1",
            "My parcel never came, I want a refund",
            1,
        )
        .await;
        let hits = find(&s.store, "refund").await;
        assert_eq!(items(&hits), ["m1"]);
        assert_eq!(hits[0].source, HitSource::Message);
        assert_eq!(hits[0].session_id, "chat_ada");
        assert_eq!(hits[0].created_at, Timestamp(T0.0 + 1));
        assert!(
            hits[0]
                .snippet
                .contains(&format!("{MATCH_START}refund{MATCH_END}")),
            "{}",
            hits[0].snippet
        );
        assert_eq!(hits[0].chat.user_name.as_deref(), Some("ada Lindqvist"));
    }

    pub async fn words_prefixes_and_phrases_match_as_typed(s: Fresh) {
        chat(&s.store, "chat_bo", "bo", Channel::App).await;
        say(
            &s.store,
            "chat_bo",
            "m1",
            "The café parcel is late again",
            1,
        )
        .await;
        say(&s.store, "chat_bo", "m2", "Refunded already, thanks", 2).await;
        assert_eq!(items(&find(&s.store, "LATE parcel").await), ["m1"]);
        assert_eq!(
            items(&find(&s.store, "cafe").await),
            ["m1"],
            "accents ignored"
        );
        assert_eq!(items(&find(&s.store, "refund*").await), ["m2"]);
        assert_eq!(items(&find(&s.store, "\"parcel is late\"").await), ["m1"]);
        assert!(find(&s.store, "\"late parcel\"").await.is_empty());
        assert!(
            find(&s.store, "late refunded").await.is_empty(),
            "all words"
        );
    }

    pub async fn customers_and_notes_are_found_and_filters_narrow(s: Fresh) {
        chat(&s.store, "chat_cy", "cy", Channel::Web).await;
        chat(&s.store, "chat_di", "di", Channel::App).await;
        say(&s.store, "chat_cy", "m1", "where is my order", 1).await;
        say(&s.store, "chat_di", "m2", "where is my invoice", 2).await;
        s.add_agent("a1", Role::ChatAdmin, 5, T0).await;
        s.store
            .add_note(
                "chat_di".into(),
                "a1".into(),
                "n1".into(),
                "order mixed up with another".into(),
                T0,
            )
            .await
            .expect("note");
        let by_email = find(&s.store, "cy@example.org").await;
        assert_eq!(by_email.len(), 1);
        assert_eq!(by_email[0].source, HitSource::Customer);
        assert_eq!(by_email[0].item_id, None);
        let order = find(&s.store, "order").await;
        let mut sources: Vec<_> = order
            .iter()
            .map(|h| (h.source, h.session_id.as_str()))
            .collect();
        sources.sort_by_key(|(_, s)| s.to_string());
        assert_eq!(
            sources,
            [
                (HitSource::Message, "chat_cy"),
                (HitSource::Note, "chat_di")
            ]
        );
        let web = SearchFilters {
            channel: Some(Channel::Web),
            ..SearchFilters::default()
        };
        assert_eq!(
            items(&find_with(&s.store, "where", web, 0, 50).await),
            ["m1"]
        );
        let late = SearchFilters {
            from: Some(Timestamp(T0.0 + 2)),
            ..SearchFilters::default()
        };
        assert_eq!(
            items(&find_with(&s.store, "where", late, 0, 50).await),
            ["m2"]
        );
        let ended = SearchFilters {
            status: Some(StatusFilter::Ended),
            ..SearchFilters::default()
        };
        assert!(find_with(&s.store, "where", ended, 0, 50).await.is_empty());
        let nobody = SearchFilters {
            agent_id: Some("nobody".into()),
            ..SearchFilters::default()
        };
        assert!(find_with(&s.store, "where", nobody, 0, 50).await.is_empty());
    }

    pub async fn pages_run_newest_first(s: Fresh) {
        chat(&s.store, "chat_ed", "ed", Channel::App).await;
        for i in 1..=5 {
            say(&s.store, "chat_ed", &format!("m{i}"), "ping", i).await;
        }
        let f = SearchFilters::default;
        assert_eq!(
            items(&find_with(&s.store, "ping", f(), 0, 2).await),
            ["m5", "m4"]
        );
        assert_eq!(
            items(&find_with(&s.store, "ping", f(), 2, 2).await),
            ["m3", "m2"]
        );
        assert_eq!(items(&find_with(&s.store, "ping", f(), 4, 2).await), ["m1"]);
        assert!(find_with(&s.store, "ping", f(), 6, 2).await.is_empty());
    }

    pub async fn hostile_text_is_an_answer_never_an_error(s: Fresh) {
        chat(&s.store, "chat_fa", "fa", Channel::App).await;
        say(&s.store, "chat_fa", "m1", "near the col and refund", 1).await;
        let long = "refund ".repeat(285);
        for q in [
            "\"",
            "\"\"",
            "AND",
            "OR NOT",
            "*",
            "NEAR(",
            "NEAR(a b)",
            "col:",
            "body:refund",
            "^",
            "(",
            ")",
            "-x",
            "+",
            "😀🔥",
            "'; DROP TABLE messages; --",
            "<script>",
            "\u{0301}",
            "\u{0903}",
            &long,
        ] {
            find(&s.store, q).await;
        }
        assert_eq!(items(&find(&s.store, "NEAR( col:").await), ["m1"]);
        assert_eq!(items(&find(&s.store, &long).await), ["m1"]);
    }
}
