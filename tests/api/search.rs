//! `GET /api/admin/chat/search`: words, prefixes, "phrases" and accents over message text,
//! customers' names and emails and internal notes; every filter, in and out; hostile queries;
//! who may search; escaping of stored HTML; paging; bad parameters.
//!
//! Most tests read the scripted scenario below, on a clock that moves only when the script
//! moves it, so that "newest first" and the day filters have one right answer.

use std::collections::BTreeMap;
use std::time::Duration;

use frontdesk::clock::Clock;
use frontdesk::domain::Timestamp;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

const SEARCH: &str = "/api/admin/chat/search";
const DAY_ONE: &str = "2030-03-04";
const DAY_TWO: &str = "2030-03-05";

pub(crate) fn at(date: &str, hms: &str) -> Timestamp {
    Timestamp::parse_rfc3339(&format!("{date}T{hms}Z")).expect("a valid timestamp")
}

/// A server whose clock stands still at `start` until the test moves it, and that greets
/// nobody: without the welcome message every message in a chat is one the test wrote.
pub(crate) async fn quiet_app(date: &str, hms: &str) -> TestApp {
    let clock = Clock::fixed(at(date, hms));
    TestApp::spawn_with(|s| {
        s.clock = clock;
        s.welcome_message = None;
        // Agent tokens expire on this clock: they must outlive the scripted day and night.
        s.agent_token_ttl = Duration::from_secs(48 * 3600);
    })
    .await
}

/// Moves the fixed clock forward to `date` `hms`.
pub(crate) fn move_to(app: &TestApp, date: &str, hms: &str) {
    let now = app.clock.now();
    let target = at(date, hms);
    assert!(target >= now, "the script only moves forward: {date} {hms}");
    let by = u64::try_from(target.0 - now.0).expect("a forward move");
    app.clock.advance(Duration::from_millis(by));
}

pub(crate) fn step(app: &TestApp, minutes: u64) {
    app.clock.advance(Duration::from_secs(minutes * 60));
}

/// A user token without name or email claims, so a chat's customer record holds only what
/// the test gives in `userInfo` (the harness's tokens name every user "User <id>").
pub(crate) fn person(app: &TestApp, user: &str) -> String {
    user_token_with(json!({ "sub": user, "exp": app.clock_secs() + 3600 }))
}

/// Starts a chat that must start; returns the answer's `data`.
async fn start(app: &TestApp, token: &str, body: Value) -> Value {
    app.post_ok("/api/chat/session", token, body).await["data"].clone()
}

/// The search path for `params`, each one percent-encoded.
fn search_path(params: &[(&str, &str)]) -> String {
    let mut url = reqwest::Url::parse("http://search.invalid").expect("a base");
    url.set_path(SEARCH);
    url.query_pairs_mut().extend_pairs(params);
    match url.query() {
        Some(query) => format!("{SEARCH}?{query}"),
        None => SEARCH.to_string(),
    }
}

/// The milliseconds of an RFC 3339 time in an answer.
fn millis(value: &Value) -> i64 {
    let text = value.as_str().unwrap_or_else(|| panic!("a time: {value}"));
    Timestamp::parse_rfc3339(text)
        .unwrap_or_else(|| panic!("RFC 3339: {text}"))
        .0
}

/// Asserts a 200 success envelope whose `data` has the search answer's shape and whose every
/// result has the result's shape; returns the whole body.
fn checked(what: &str, answer: (StatusCode, Value)) -> Value {
    let body = expect_ok(what, answer);
    let data = &body["data"];
    assert!(data["query"].is_string(), "{what}: query: {body}");
    assert!(data["page"].is_u64(), "{what}: page: {body}");
    assert!(data["limit"].is_u64(), "{what}: limit: {body}");
    assert!(data["hasMore"].is_boolean(), "{what}: hasMore: {body}");
    let results = data["results"]
        .as_array()
        .unwrap_or_else(|| panic!("{what}: results is an array: {body}"));
    for hit in results {
        assert_result_shape(what, hit);
    }
    body
}

fn assert_result_shape(what: &str, hit: &Value) {
    assert!(
        hit["sessionId"].as_str().is_some_and(|s| !s.is_empty()),
        "{what}: sessionId: {hit}"
    );
    let source = hit["source"].as_str().unwrap_or_default();
    assert!(
        ["message", "note", "customer"].contains(&source),
        "{what}: source: {hit}"
    );
    if source == "customer" {
        assert!(
            hit["itemId"].is_null(),
            "{what}: a customer has no item: {hit}"
        );
    } else {
        assert!(
            hit["itemId"].as_str().is_some_and(|s| !s.is_empty()),
            "{what}: itemId: {hit}"
        );
    }
    let snippet = hit["snippet"]
        .as_str()
        .unwrap_or_else(|| panic!("{what}: snippet: {hit}"));
    // The snippet is HTML: stored text is escaped, so the only tags left are the marks.
    assert_eq!(
        snippet.matches("<mark>").count(),
        snippet.matches("</mark>").count(),
        "{what}: marks open and close: {hit}"
    );
    let unmarked = snippet.replace("<mark>", "").replace("</mark>", "");
    assert!(
        !unmarked.contains(['<', '>']),
        "{what}: only <mark> is markup: {hit}"
    );
    millis(&hit["createdAt"]);
    let chat = &hit["chat"];
    for field in ["userName", "userEmail", "assignedAgentId"] {
        assert!(
            chat[field].is_string() || chat[field].is_null(),
            "{what}: chat.{field}: {hit}"
        );
    }
    assert!(
        ["active", "ended_by_user", "ended_by_admin", "expired"]
            .contains(&chat["status"].as_str().unwrap_or_default()),
        "{what}: chat.status: {hit}"
    );
    assert!(
        ["app", "web", "offline"].contains(&chat["channel"].as_str().unwrap_or_default()),
        "{what}: chat.channel: {hit}"
    );
    assert!(
        chat["rating"].is_null()
            || chat["rating"]
                .as_i64()
                .is_some_and(|r| (1..=5).contains(&r)),
        "{what}: chat.rating: {hit}"
    );
    millis(&chat["createdAt"]);
}

/// A search that must succeed; checks the answer's shape and that `query` repeats `q` as
/// given; returns `data`.
async fn search(app: &TestApp, token: &str, params: &[(&str, &str)]) -> Value {
    let path = search_path(params);
    let body = checked(&format!("GET {path}"), app.get(&path, token).await);
    let data = body["data"].clone();
    if let Some((_, q)) = params.iter().find(|(name, _)| *name == "q") {
        assert_eq!(data["query"], *q, "the query as given: {data}");
    }
    data
}

/// What identifies each result, in order: `[sessionId, source, itemId]`.
fn keys(data: &Value) -> Vec<Value> {
    data["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|hit| json!([hit["sessionId"], hit["source"], hit["itemId"]]))
        .collect()
}

fn message(session: &str, id: &str) -> Value {
    json!([session, "message", id])
}

fn note(session: &str, id: &str) -> Value {
    json!([session, "note", id])
}

fn customer(session: &str) -> Value {
    json!([session, "customer", null])
}

fn none() -> Vec<Value> {
    Vec::new()
}

/// The scripted scenario and the ids it made.
struct Seeded {
    app: TestApp,
    /// A super admin's token: the searcher unless a test says otherwise.
    root: String,
    xavier_id: String,
    yvonne_id: String,
    sue_id: String,
    /// The messages with "refund", R1 (oldest) to R8, as [`keys`] gives them.
    refund: Vec<Value>,
    /// Sue's note on chat_b, as its answer gave it.
    note: Value,
    /// The start answer of Zoë's chat.
    zoe: Value,
}

impl Seeded {
    /// The refund messages R`n` for each `n` in `which`, in that order (tests list them newest
    /// first, as the answer does).
    fn refunds(&self, which: &[usize]) -> Vec<Value> {
        which.iter().map(|n| self.refund[n - 1].clone()).collect()
    }

    async fn found(&self, params: &[(&str, &str)]) -> Vec<Value> {
        keys(&search(&self.app, &self.root, params).await)
    }
}

/// The scenario (times UTC; Rn are the eight messages with the word "refund"):
///
/// Day one
///   09:00 chat_a (app): 09:01 Ann "I want a refund for my broken kettle" (R1); 09:02 Xavier
///         answers "Your refund is approved" (R2) and so holds the chat; 09:03 he ends it and
///         Ann rates it 5.
///   09:10 chat_b (web): 09:11 Bob "my parcel is late again"; 09:12 Yvonne answers "Sorry about
///         that, a refund is possible" (R3); 09:13 Sue notes "chargeback risk, watch closely";
///         09:14 Bob ends it with rating 2.
///   09:20 chat_c (app): 09:21 Cid "Le café était froid"; 09:22 "refund please" (R4); nobody
///         answers and it expires (checked at 10:00).
///   11:00 chat_o: the offline form from Flo Baker, flo@example.net: "Need a refund for order
///         7781" (R5). Offline chats never expire.
///   12:00 chat_z (web): Zoë Lindqvist, zl.accounts@northwind.example, says nothing (expires).
///   23:58 chat_d (app): 23:59:59.999 Dee "refund still missing" (R6), the last moment of the
///         day.
/// Day two
///   00:00:00.000 Xavier answers chat_d "refund on its way" (R7), the first moment of the day.
///   00:05 chat_e (web): 00:06 Eve "refund?" (R8); nobody has it yet.
///   00:10 upkeep runs; the searches happen now, with chat_d, chat_e and chat_o active.
async fn scenario() -> Seeded {
    let app = quiet_app(DAY_ONE, "09:00:00").await;
    let (_, root) = app.agent("root@example.com", "super_admin").await;
    let (xavier_id, xavier) = app.agent("xavier@example.com", "chat_admin").await;
    let (yvonne_id, yvonne) = app.agent("yvonne@example.com", "chat_admin").await;
    let (sue_id, sue) = app.agent("sue@example.com", "support_admin").await;

    start(&app, &person(&app, "ann"), json!({ "sessionId": "chat_a" })).await;
    step(&app, 1);
    app.send_ok(
        &person(&app, "ann"),
        "chat_a",
        "msg_a1",
        "I want a refund for my broken kettle",
    )
    .await;
    step(&app, 1);
    let reply_a = app
        .agent_reply(&xavier, "chat_a", "Your refund is approved")
        .await;
    step(&app, 1);
    app.post_ok(
        "/api/admin/chat/session/end",
        &xavier,
        json!({ "sessionId": "chat_a" }),
    )
    .await;
    app.post_ok(
        "/api/chat/rating",
        &person(&app, "ann"),
        json!({ "sessionId": "chat_a", "rating": 5 }),
    )
    .await;

    move_to(&app, DAY_ONE, "09:10:00");
    start(
        &app,
        &person(&app, "bob"),
        json!({ "sessionId": "chat_b", "channel": "web" }),
    )
    .await;
    step(&app, 1);
    app.send_ok(
        &person(&app, "bob"),
        "chat_b",
        "msg_b1",
        "my parcel is late again",
    )
    .await;
    step(&app, 1);
    let reply_b = app
        .agent_reply(&yvonne, "chat_b", "Sorry about that, a refund is possible")
        .await;
    step(&app, 1);
    let note = app
        .post_ok(
            "/api/admin/chat/session/chat_b/notes",
            &sue,
            json!({ "note": "chargeback risk, watch closely" }),
        )
        .await["data"]
        .clone();
    step(&app, 1);
    app.post_ok(
        "/api/chat/session/end",
        &person(&app, "bob"),
        json!({ "sessionId": "chat_b", "rating": 2 }),
    )
    .await;

    move_to(&app, DAY_ONE, "09:20:00");
    start(&app, &person(&app, "cid"), json!({ "sessionId": "chat_c" })).await;
    step(&app, 1);
    app.send_ok(
        &person(&app, "cid"),
        "chat_c",
        "msg_c1",
        "Le café était froid",
    )
    .await;
    step(&app, 1);
    app.send_ok(&person(&app, "cid"), "chat_c", "msg_c2", "refund please")
        .await;
    move_to(&app, DAY_ONE, "10:00:00");
    app.maintenance().await;

    move_to(&app, DAY_ONE, "11:00:00");
    let offline_text = "Need a refund for order 7781";
    expect_ok(
        "offline form",
        app.request(
            Method::POST,
            "/api/chat/offline",
            None,
            Some(json!({
                "sessionId": "chat_o", "name": "Flo Baker", "email": "flo@example.net",
                "message": offline_text
            })),
        )
        .await,
    );
    // The form's message id is the server's; the chat's detail names it.
    let detail = app.get_ok("/api/admin/chat/session/chat_o", &root).await;
    let offline_message = detail["data"]["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .find(|m| m["message"] == offline_text)
        .unwrap_or_else(|| panic!("the form's message is in its chat: {detail}"))["messageId"]
        .as_str()
        .expect("a message id")
        .to_string();

    move_to(&app, DAY_ONE, "12:00:00");
    let zoe = start(
        &app,
        &person(&app, "zoe"),
        json!({
            "sessionId": "chat_z", "channel": "web",
            "userInfo": { "name": "Zoë Lindqvist", "email": "zl.accounts@northwind.example" }
        }),
    )
    .await;

    move_to(&app, DAY_ONE, "23:58:00");
    start(&app, &person(&app, "dee"), json!({ "sessionId": "chat_d" })).await;
    move_to(&app, DAY_ONE, "23:59:59.999");
    app.send_ok(
        &person(&app, "dee"),
        "chat_d",
        "msg_d1",
        "refund still missing",
    )
    .await;
    move_to(&app, DAY_TWO, "00:00:00.000");
    let reply_d = app
        .agent_reply(&xavier, "chat_d", "refund on its way")
        .await;

    move_to(&app, DAY_TWO, "00:05:00");
    start(
        &app,
        &person(&app, "eve"),
        json!({ "sessionId": "chat_e", "channel": "web" }),
    )
    .await;
    step(&app, 1);
    app.send_ok(&person(&app, "eve"), "chat_e", "msg_e1", "refund?")
        .await;
    // Upkeep now stores what the clock says (chat_z expired), so every answer agrees on it.
    move_to(&app, DAY_TWO, "00:10:00");
    app.maintenance().await;

    let id = |answer: &Value| {
        answer["messageId"]
            .as_str()
            .expect("a message id")
            .to_string()
    };
    let refund = vec![
        message("chat_a", "msg_a1"),
        message("chat_a", &id(&reply_a)),
        message("chat_b", &id(&reply_b)),
        message("chat_c", "msg_c2"),
        message("chat_o", &offline_message),
        message("chat_d", "msg_d1"),
        message("chat_d", &id(&reply_d)),
        message("chat_e", "msg_e1"),
    ];
    Seeded {
        app,
        root,
        xavier_id,
        yvonne_id,
        sue_id,
        refund,
        note,
        zoe,
    }
}

#[tokio::test]
async fn words_prefixes_phrases_and_accents_match_as_typed() {
    let s = scenario().await;
    let every_refund = s.refunds(&[8, 7, 6, 5, 4, 3, 2, 1]);

    // A word: every message that has it, the user's and the agent's, newest first, any case.
    let data = search(&s.app, &s.root, &[("q", "refund")]).await;
    assert_eq!(keys(&data), every_refund);
    for hit in data["results"].as_array().unwrap() {
        let snippet = hit["snippet"].as_str().unwrap().to_lowercase();
        assert!(snippet.contains("<mark>refund</mark>"), "{hit}");
    }
    assert_eq!(s.found(&[("q", "REFUND")]).await, every_refund);
    assert_eq!(s.found(&[("q", "teapot")]).await, none());

    // Several words: all of them, in any order, anywhere in the same text.
    assert_eq!(s.found(&[("q", "refund kettle")]).await, s.refunds(&[1]));
    assert_eq!(s.found(&[("q", "kettle   refund")]).await, s.refunds(&[1]));
    assert_eq!(
        s.found(&[("q", "refund teapot")]).await,
        none(),
        "one word missing is no match"
    );

    // A prefix: the start of a word.
    assert_eq!(s.found(&[("q", "refu*")]).await, every_refund);
    assert_eq!(s.found(&[("q", "kett* refund")]).await, s.refunds(&[1]));
    assert_eq!(
        s.found(&[("q", "kettles*")]).await,
        none(),
        "longer than the word"
    );
    assert_eq!(
        s.found(&[("q", "kett")]).await,
        none(),
        "without the star a word is matched whole"
    );

    // A quoted phrase: those words next to each other, in that order.
    let parcel = vec![message("chat_b", "msg_b1")];
    assert_eq!(s.found(&[("q", "\"parcel is late\"")]).await, parcel);
    assert_eq!(s.found(&[("q", "\"Parcel Is Late\"")]).await, parcel);
    assert_eq!(
        s.found(&[("q", "\"late parcel\"")]).await,
        none(),
        "the same words in another order are not the phrase"
    );
    assert_eq!(
        s.found(&[("q", "\"parcel late\"")]).await,
        none(),
        "nor with a word between them"
    );
    assert_eq!(
        s.found(&[("q", "late parcel")]).await,
        parcel,
        "unquoted, order does not matter"
    );
    assert_eq!(s.found(&[("q", "\"parcel is\" aga*")]).await, parcel);

    // Accents: ignored in the text and in the query, and the snippet shows the text as written.
    let cafe = vec![message("chat_c", "msg_c1")];
    for q in ["cafe", "café", "CAFÉ", "etait froid", "\"cafe etait\""] {
        assert_eq!(s.found(&[("q", q)]).await, cafe, "{q}");
    }
    let data = search(&s.app, &s.root, &[("q", "cafe")]).await;
    assert!(
        data["results"][0]["snippet"]
            .as_str()
            .unwrap()
            .contains("<mark>café</mark>"),
        "{data}"
    );
    assert_eq!(
        s.found(&[("q", "brôken kéttle")]).await,
        s.refunds(&[1]),
        "accents typed into the query for unaccented text"
    );
}

#[tokio::test]
async fn results_name_the_item_and_describe_the_chat_as_its_detail_does() {
    let s = scenario().await;
    let data = search(&s.app, &s.root, &[("q", "refund")]).await;
    assert_eq!(
        (&data["page"], &data["limit"], &data["hasMore"]),
        (&json!(1), &json!(20), &json!(false)),
        "the defaults: {data}"
    );
    let mut states = BTreeMap::new();
    for hit in data["results"].as_array().unwrap() {
        let session = hit["sessionId"].as_str().unwrap();
        let detail = s
            .app
            .get_ok(&format!("/api/admin/chat/session/{session}"), &s.root)
            .await["data"]
            .clone();
        let chat = &hit["chat"];
        assert_eq!(chat["userName"], detail["userInfo"]["name"], "{hit}");
        assert_eq!(chat["userEmail"], detail["userInfo"]["email"], "{hit}");
        assert_eq!(chat["status"], detail["status"], "{hit}");
        assert_eq!(chat["channel"], detail["channel"], "{hit}");
        assert_eq!(chat["assignedAgentId"], detail["assignedAgentId"], "{hit}");
        assert_eq!(chat["rating"], detail["rating"]["rating"], "{hit}");
        assert_eq!(
            millis(&chat["createdAt"]),
            millis(&detail["createdAt"]),
            "{hit}"
        );
        // The item is the message with that id, and the result carries its time.
        let item = detail["messages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["messageId"] == hit["itemId"])
            .unwrap_or_else(|| panic!("the hit's message is in its chat: {hit}"));
        assert_eq!(
            millis(&hit["createdAt"]),
            millis(&item["timestamp"]),
            "{hit}"
        );
        states.insert(
            session.to_string(),
            json!([
                chat["status"],
                chat["channel"],
                chat["assignedAgentId"],
                chat["rating"]
            ]),
        );
    }
    // The chats as the script left them, which the filter tests below rely on.
    let expected: BTreeMap<String, Value> = [
        ("chat_a", json!(["ended_by_admin", "app", s.xavier_id, 5])),
        ("chat_b", json!(["ended_by_user", "web", s.yvonne_id, 2])),
        ("chat_c", json!(["expired", "app", null, null])),
        ("chat_o", json!(["active", "offline", null, null])),
        ("chat_d", json!(["active", "app", s.xavier_id, null])),
        ("chat_e", json!(["active", "web", null, null])),
    ]
    .into_iter()
    .map(|(session, state)| (session.to_string(), state))
    .collect();
    assert_eq!(states, expected);
}

#[tokio::test]
async fn customer_names_and_emails_are_found() {
    let s = scenario().await;
    let zoe = vec![customer("chat_z")];
    for q in [
        "lindqvist",
        "zoe",
        "Zoë Lindqvist",
        "northwind",
        "zl.accounts@northwind.example",
    ] {
        assert_eq!(s.found(&[("q", q)]).await, zoe, "{q}");
    }
    assert_eq!(s.found(&[("q", "lindgren")]).await, none());

    let data = search(&s.app, &s.root, &[("q", "lindqvist")]).await;
    let hit = &data["results"][0];
    assert!(
        hit["snippet"]
            .as_str()
            .unwrap()
            .contains("<mark>Lindqvist</mark>"),
        "{hit}"
    );
    // A customer's time is the chat's start.
    assert_eq!(millis(&hit["createdAt"]), millis(&s.zoe["createdAt"]));
    assert_eq!(
        millis(&hit["chat"]["createdAt"]),
        millis(&s.zoe["createdAt"])
    );
    assert_eq!(hit["chat"]["userName"], "Zoë Lindqvist");
    assert_eq!(hit["chat"]["userEmail"], "zl.accounts@northwind.example");
    assert_eq!(hit["chat"]["channel"], "web");

    // The offline form's name and email are the customer's too.
    for q in ["baker", "flo@example.net"] {
        assert_eq!(s.found(&[("q", q)]).await, vec![customer("chat_o")], "{q}");
    }
}

#[tokio::test]
async fn internal_notes_are_found() {
    let s = scenario().await;
    let id = s.note["id"].as_str().expect("a note id");
    let chargeback = vec![note("chat_b", id)];
    assert_eq!(s.found(&[("q", "chargeback")]).await, chargeback);
    assert_eq!(s.found(&[("q", "watch clos*")]).await, chargeback);

    let data = search(&s.app, &s.root, &[("q", "chargeback")]).await;
    let hit = &data["results"][0];
    assert!(
        hit["snippet"]
            .as_str()
            .unwrap()
            .contains("<mark>chargeback</mark>"),
        "{hit}"
    );
    assert_eq!(millis(&hit["createdAt"]), millis(&s.note["createdAt"]));
    assert_eq!(hit["chat"]["status"], "ended_by_user");

    // Filters read the note's chat (Yvonne's), not its writer (Sue), and the note's own time.
    let yvonne = [("q", "chargeback"), ("agentId", s.yvonne_id.as_str())];
    assert_eq!(s.found(&yvonne).await, chargeback);
    let sue = [("q", "chargeback"), ("agentId", s.sue_id.as_str())];
    assert_eq!(s.found(&sue).await, none());
    assert_eq!(
        s.found(&[("q", "chargeback"), ("to", DAY_ONE)]).await,
        chargeback
    );
    assert_eq!(
        s.found(&[("q", "chargeback"), ("from", DAY_TWO)]).await,
        none()
    );
}

#[tokio::test]
async fn from_and_to_are_inclusive_utc_days_of_the_matched_item() {
    let s = scenario().await;
    // R6 is day one's last millisecond and R7 day two's first: the boundary lies between them.
    for (range, expected) in [
        (vec![("from", DAY_TWO)], s.refunds(&[8, 7])),
        (vec![("to", DAY_ONE)], s.refunds(&[6, 5, 4, 3, 2, 1])),
        (
            vec![("from", DAY_ONE), ("to", DAY_ONE)],
            s.refunds(&[6, 5, 4, 3, 2, 1]),
        ),
        (vec![("from", DAY_TWO), ("to", DAY_TWO)], s.refunds(&[8, 7])),
        (
            vec![("from", DAY_ONE), ("to", DAY_TWO)],
            s.refunds(&[8, 7, 6, 5, 4, 3, 2, 1]),
        ),
        (vec![("from", "2030-03-06")], none()),
        (vec![("to", "2030-03-03")], none()),
    ] {
        let mut params = vec![("q", "refund")];
        params.extend(range.iter().copied());
        assert_eq!(s.found(&params).await, expected, "{range:?}");
    }
    // A customer's time is the chat's start (day one for Zoë).
    let zoe = vec![customer("chat_z")];
    assert_eq!(s.found(&[("q", "lindqvist"), ("to", DAY_ONE)]).await, zoe);
    assert_eq!(
        s.found(&[("q", "lindqvist"), ("from", DAY_TWO)]).await,
        none()
    );
}

#[tokio::test]
async fn agent_filter_keeps_the_chats_assigned_to_that_agent() {
    let s = scenario().await;
    for (agent, expected) in [
        (s.xavier_id.as_str(), s.refunds(&[7, 6, 2, 1])),
        (s.yvonne_id.as_str(), s.refunds(&[3])),
        (s.sue_id.as_str(), none()),
        ("agt_nobody", none()),
    ] {
        assert_eq!(
            s.found(&[("q", "refund"), ("agentId", agent)]).await,
            expected,
            "{agent}"
        );
    }
}

#[tokio::test]
async fn status_filter_groups_both_ends_and_keeps_active_and_expired_apart() {
    let s = scenario().await;
    for (status, expected) in [
        ("active", s.refunds(&[8, 7, 6, 5])),
        // Ended by the user (chat_b) and by an agent (chat_a).
        ("ended", s.refunds(&[3, 2, 1])),
        ("expired", s.refunds(&[4])),
    ] {
        assert_eq!(
            s.found(&[("q", "refund"), ("status", status)]).await,
            expected,
            "{status}"
        );
    }
    // Zoë's chat expired without a word: her record follows its chat's status too.
    let zoe = vec![customer("chat_z")];
    assert_eq!(
        s.found(&[("q", "lindqvist"), ("status", "expired")]).await,
        zoe
    );
    assert_eq!(
        s.found(&[("q", "lindqvist"), ("status", "active")]).await,
        none()
    );
}

#[tokio::test]
async fn rating_filter_keeps_the_chats_rated_so() {
    let s = scenario().await;
    for (rating, expected) in [
        ("5", s.refunds(&[2, 1])),
        ("2", s.refunds(&[3])),
        ("4", none()),
        ("1", none()),
    ] {
        assert_eq!(
            s.found(&[("q", "refund"), ("rating", rating)]).await,
            expected,
            "rating {rating}"
        );
    }
}

#[tokio::test]
async fn channel_filter_keeps_the_chats_from_that_channel_and_filters_combine() {
    let s = scenario().await;
    for (channel, expected) in [
        ("app", s.refunds(&[7, 6, 4, 2, 1])),
        ("web", s.refunds(&[8, 3])),
        ("offline", s.refunds(&[5])),
    ] {
        assert_eq!(
            s.found(&[("q", "refund"), ("channel", channel)]).await,
            expected,
            "{channel}"
        );
    }
    // Every filter given must hold.
    assert_eq!(
        s.found(&[("q", "refund"), ("channel", "web"), ("status", "active")])
            .await,
        s.refunds(&[8])
    );
    let all = [
        ("q", "refund"),
        ("channel", "app"),
        ("agentId", s.xavier_id.as_str()),
        ("status", "ended"),
        ("rating", "5"),
        ("from", DAY_ONE),
        ("to", DAY_ONE),
    ];
    assert_eq!(s.found(&all).await, s.refunds(&[2, 1]));
    let one_off = [
        ("q", "refund"),
        ("channel", "web"),
        ("agentId", s.xavier_id.as_str()),
        ("status", "ended"),
    ];
    assert_eq!(
        s.found(&one_off).await,
        none(),
        "Xavier's chats are app chats"
    );
}

#[tokio::test]
async fn hostile_queries_are_plain_text_and_never_fail() {
    let s = scenario().await;
    let before = search(&s.app, &s.root, &[("q", "refund")]).await;
    let every_refund = s.refunds(&[8, 7, 6, 5, 4, 3, 2, 1]);
    assert_eq!(keys(&before), every_refund);

    let mut hostile: Vec<String> = [
        "\"",
        "\"\"",
        "AND",
        "OR",
        "NOT",
        "*",
        "refund*",
        "NEAR(",
        "NEAR(a b)",
        "body:refund",
        "col:",
        "^",
        "(",
        ")",
        "-x",
        "+",
        "😀🔥",
        "'; DROP TABLE messages; --",
        "<script>alert(1)</script>",
        "(refund)",
        "\"refund",
        "refund!",
        "a AND (b OR",
        "\\",
        "%",
        "_",
    ]
    .iter()
    .map(|q| q.to_string())
    .collect();
    // The longest query allowed, in a few forms. Characters, not bytes, are counted: the
    // accented one is 2,500 bytes. (Much longer multi-byte text would not fit in a URL.)
    hostile.push("a".repeat(2000));
    hostile.push("NEAR(".repeat(400));
    hostile.push(format!("{}{}", "ü".repeat(500), "a".repeat(1500)));
    let many_refunds = vec!["refund"; 285].join(" ");
    hostile.push(many_refunds.clone());
    assert!(hostile.iter().all(|q| q.chars().count() <= 2000));

    for q in &hostile {
        let path = search_path(&[("q", q)]);
        let body = checked(&format!("q={q:?}"), s.app.get(&path, &s.root).await);
        assert_eq!(body["data"]["query"], q.as_str(), "the query as given");
        let text = body.to_string().to_lowercase();
        for leak in ["fts5", "syntax error", "no such column", "malformed match"] {
            assert!(!text.contains(leak), "q={q:?} leaks {leak:?}: {body}");
        }
    }

    // Where the query holds a word in the data, the word is found: the rest is punctuation.
    for q in [
        "refund*",
        "(refund)",
        "\"refund",
        "refund!",
        many_refunds.as_str(),
    ] {
        assert_eq!(s.found(&[("q", q)]).await, every_refund, "{q:?}");
    }
    // And nothing a query said was done to the data.
    let after = search(&s.app, &s.root, &[("q", "refund")]).await;
    assert_eq!(after, before);
}

#[tokio::test]
async fn bad_parameters_are_refused_and_change_nothing() {
    let s = scenario().await;
    let before = search(&s.app, &s.root, &[("q", "refund")]).await;
    let too_long = "a".repeat(2001);
    let mut cases: Vec<Vec<(&str, &str)>> = vec![
        vec![],
        vec![("limit", "5")],
        vec![("q", "")],
        vec![("q", "   ")],
        vec![("q", too_long.as_str())],
    ];
    for (name, values) in [
        (
            "from",
            &[
                "yesterday",
                "2030-13-01",
                "2030-02-30",
                "03/04/2030",
                "2030-03-04T00:00:00Z",
                "99999999999999999999",
            ][..],
        ),
        ("to", &["tomorrow", "2030-00-10", "2030-03-32"][..]),
        ("status", &["open", "ended_by_user", "closed", "1"][..]),
        (
            "rating",
            &["0", "6", "-1", "4.5", "five", "99999999999999999999"][..],
        ),
        ("channel", &["fax", "email", "1"][..]),
        (
            "page",
            &["0", "1001", "-1", "1.5", "abc", "99999999999999999999"][..],
        ),
        (
            "limit",
            &["0", "101", "-5", "ten", "2.5", "99999999999999999999"][..],
        ),
    ] {
        for &value in values {
            cases.push(vec![("q", "refund"), (name, value)]);
        }
    }
    for params in cases {
        let (status, body) = s.app.get(&search_path(&params), &s.root).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{params:?}: {body}");
        assert_error(status, &body, 400, "VALIDATION_ERROR");
    }
    // The bounds themselves are fine.
    for params in [
        [("q", "refund"), ("page", "1000"), ("limit", "100")],
        [("q", "refund"), ("page", "1"), ("limit", "1")],
        [("q", "refund"), ("rating", "1"), ("limit", "100")],
    ] {
        search(&s.app, &s.root, &params).await;
    }
    let after = search(&s.app, &s.root, &[("q", "refund")]).await;
    assert_eq!(after, before, "a refused search changed nothing");
}

#[tokio::test]
async fn every_admin_role_may_search_and_nobody_else() {
    let app = quiet_app(DAY_ONE, "09:00:00").await;
    let user = person(&app, "u1");
    start(&app, &user, json!({ "sessionId": "chat_r" })).await;
    app.send_ok(&user, "chat_r", "msg_r1", "my parcel never came")
        .await;
    for role in ["super_admin", "chat_admin", "support_admin"] {
        let (_, token) = app.agent(&format!("{role}@example.com"), role).await;
        assert_eq!(
            keys(&search(&app, &token, &[("q", "parcel")]).await),
            vec![message("chat_r", "msg_r1")],
            "{role}"
        );
    }

    let path = search_path(&[("q", "parcel")]);
    // The chat's own user is no agent: refused as every admin endpoint refuses a user token.
    let (status, body) = app.get(&path, &user).await;
    assert_error(status, &body, 401, "AUTHENTICATION_FAILED");
    let (status, body) = app.request(Method::GET, &path, None, None).await;
    assert_error(status, &body, 401, "AUTHENTICATION_FAILED");
    let (status, body) = app.get(&path, "not-a-token").await;
    assert_error(status, &body, 401, "AUTHENTICATION_FAILED");
    // A token its agent signed out with is no longer an agent's.
    let (_, leaving) = app.agent("leaving@example.com", "chat_admin").await;
    search(&app, &leaving, &[("q", "parcel")]).await;
    app.post_ok("/api/admin/logout", &leaving, json!({})).await;
    let (status, body) = app.get(&path, &leaving).await;
    assert_error(status, &body, 401, "AUTHENTICATION_FAILED");
}

#[tokio::test]
async fn a_message_is_found_by_the_very_next_search() {
    let app = quiet_app(DAY_ONE, "09:00:00").await;
    let (_, ann) = app.agent("ann@example.com", "chat_admin").await;
    let user = person(&app, "pia");
    start(&app, &user, json!({ "sessionId": "chat_p" })).await;
    let pineapple = [("q", "pineapple")];
    // Nothing has the word yet, so what is found below is what was just sent.
    assert_eq!(keys(&search(&app, &ann, &pineapple).await), none());

    step(&app, 1);
    app.send_ok(&user, "chat_p", "msg_p1", "Do you sell pineapple juice?")
        .await;
    let asked = message("chat_p", "msg_p1");
    assert_eq!(
        keys(&search(&app, &ann, &pineapple).await),
        vec![asked.clone()]
    );

    step(&app, 1);
    let reply = app
        .agent_reply(&ann, "chat_p", "Pineapple juice is in aisle 3")
        .await;
    let answered = message("chat_p", reply["messageId"].as_str().unwrap());
    assert_eq!(
        keys(&search(&app, &ann, &pineapple).await),
        vec![answered.clone(), asked.clone()]
    );

    // A retry of the same message stores nothing new, and so finds nothing new.
    step(&app, 1);
    let again = app
        .send_ok(&user, "chat_p", "msg_p1", "Do you sell pineapple juice?")
        .await;
    assert_eq!(again["duplicate"], true, "{again}");
    assert_eq!(
        keys(&search(&app, &ann, &pineapple).await),
        vec![answered, asked]
    );
}

#[tokio::test]
async fn sent_messages_reach_the_index_with_nobody_searching() {
    // SQLite indexes behind the send, between the writer's batches; PostgreSQL in the send's
    // own transaction. Either way the index holds the message without a search asking.
    let app = quiet_app(DAY_ONE, "09:00:00").await;
    let user = person(&app, "rio");
    start(&app, &user, json!({ "sessionId": "chat_r" })).await;
    app.send_ok(&user, "chat_r", "msg_r1", "A quokka ate my parcel")
        .await;
    let sqlite = matches!(app.db(), TestDb::Sqlite(_));
    let indexed = if sqlite {
        "SELECT COUNT(*) FROM message_search WHERE message_search MATCH 'quokka'"
    } else {
        "SELECT COUNT(*) FROM messages \
         WHERE search_words @@ plainto_tsquery('frontdesk_search', 'quokka')"
    };
    wait_until("the index holds the message", || async {
        app.count_rows(indexed) == 1
    })
    .await;
    if sqlite {
        assert_eq!(
            app.count_rows(
                "SELECT COUNT(*) FROM messages WHERE seq > (SELECT indexed_seq FROM search_progress)"
            ),
            0,
            "the mark moved past it"
        );
    }
}

#[tokio::test]
async fn snippets_escape_stored_html_and_mark_only_the_matches() {
    let app = quiet_app(DAY_ONE, "09:00:00").await;
    let (_, sue) = app.agent("sue@example.com", "support_admin").await;
    let user = person(&app, "vic");
    start(
        &app,
        &user,
        json!({ "sessionId": "chat_h", "userInfo": { "name": "<i>Voucher</i> Vic" } }),
    )
    .await;
    step(&app, 1);
    app.send_ok(
        &user,
        "chat_h",
        "msg_h1",
        "<b>voucher</b> & <script>alert(1)</script>",
    )
    .await;
    step(&app, 1);
    let written = app
        .post_ok(
            "/api/admin/chat/session/chat_h/notes",
            &sue,
            json!({ "note": "<img src=x onerror=alert(1)> voucher" }),
        )
        .await;
    let note_id = written["data"]["id"].as_str().expect("a note id");

    // The search's own checks refuse any tag but <mark> in a snippet; these pin the escapes.
    let data = search(&app, &sue, &[("q", "voucher")]).await;
    assert_eq!(
        keys(&data),
        vec![
            note("chat_h", note_id),
            message("chat_h", "msg_h1"),
            customer("chat_h")
        ]
    );
    let snippet = |n: usize| data["results"][n]["snippet"].as_str().unwrap().to_string();
    let (in_note, in_message, in_name) = (snippet(0), snippet(1), snippet(2));
    assert!(in_note.contains("&lt;img"), "{in_note}");
    assert!(in_note.contains("<mark>voucher</mark>"), "{in_note}");
    assert!(
        in_message.contains("&lt;b&gt;<mark>voucher</mark>&lt;/b&gt;"),
        "{in_message}"
    );
    assert!(in_message.contains("&amp;"), "{in_message}");
    assert!(in_message.contains("&lt;script&gt;"), "{in_message}");
    assert!(
        in_name.contains("&lt;i&gt;<mark>Voucher</mark>&lt;/i&gt;"),
        "{in_name}"
    );
    // The chat's name is data, not a snippet: given back as stored.
    assert_eq!(data["results"][2]["chat"]["userName"], "<i>Voucher</i> Vic");
}

#[tokio::test]
async fn pages_run_newest_first_and_say_whether_more_follow() {
    let app = quiet_app(DAY_ONE, "09:00:00").await;
    let (_, root) = app.agent("root@example.com", "super_admin").await;
    let user = person(&app, "ivo");
    start(&app, &user, json!({ "sessionId": "chat_i" })).await;
    for (id, text) in [
        ("msg_i1", "invoice 1 attached"),
        ("msg_i2", "thanks"),
        ("msg_i3", "invoice 2 attached"),
        ("msg_i4", "invoice 3 attached"),
    ] {
        step(&app, 1);
        app.send_ok(&user, "chat_i", id, text).await;
    }
    let [first, second, third] = ["msg_i1", "msg_i3", "msg_i4"].map(|id| message("chat_i", id));
    let page = |page: &'static str, limit: &'static str| {
        let app = &app;
        let root = root.as_str();
        async move {
            let data = search(
                app,
                root,
                &[("q", "invoice"), ("page", page), ("limit", limit)],
            )
            .await;
            assert_eq!(data["page"], page.parse::<u64>().unwrap(), "{data}");
            assert_eq!(data["limit"], limit.parse::<u64>().unwrap(), "{data}");
            (keys(&data), data["hasMore"].as_bool().unwrap())
        }
    };
    assert_eq!(
        page("1", "2").await,
        (vec![third.clone(), second.clone()], true)
    );
    assert_eq!(page("2", "2").await, (vec![first.clone()], false));
    assert_eq!(page("3", "2").await, (none(), false));
    assert_eq!(
        page("1", "3").await,
        (vec![third.clone(), second.clone(), first.clone()], false),
        "a full last page has nothing more"
    );
    assert_eq!(page("2", "1").await, (vec![second.clone()], true));
    assert_eq!(page("3", "1").await, (vec![first.clone()], false));
    assert_eq!(page("1000", "100").await, (none(), false));

    // Without page and limit: the first page of 20.
    let data = search(&app, &root, &[("q", "invoice")]).await;
    assert_eq!(keys(&data), vec![third, second, first]);
    assert_eq!(
        (&data["page"], &data["limit"], &data["hasMore"]),
        (&json!(1), &json!(20), &json!(false))
    );
}
