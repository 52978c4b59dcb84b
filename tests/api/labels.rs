//! Labels (SPEC.md section 12): the list super admins keep, who may change it, bad input, labels
//! on chats and who may put them there, and the queue, search, analytics and reports filtered
//! by label; deleting a label, renaming it, and the audit trail of it all.

use std::time::Duration;

use frontdesk::clock::Clock;
use frontdesk::domain::Timestamp;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

const LABELS: &str = "/api/admin/labels";
const BLUE: &str = "#3b82f6";
const DAY: &str = "2030-03-04";

fn label_path(id: &str) -> String {
    format!("{LABELS}/{id}")
}

fn chat_label_path(session: &str, label: &str) -> String {
    format!("/api/admin/chat/session/{session}/labels/{label}")
}

fn at(hms: &str) -> Timestamp {
    Timestamp::parse_rfc3339(&format!("{DAY}T{hms}Z")).expect("a valid timestamp")
}

/// A server whose clock stands still at `DAY` `hms` until the test moves it, greeting nobody
/// (so every message in a chat is one the test wrote).
async fn still_app(hms: &str) -> TestApp {
    let clock = Clock::fixed(at(hms));
    TestApp::spawn_with(|s| {
        s.clock = clock;
        s.welcome_message = None;
    })
    .await
}

fn step(app: &TestApp, minutes: u64) {
    app.clock.advance(Duration::from_secs(minutes * 60));
}

/// The milliseconds of an RFC 3339 time in an answer.
fn millis(value: &Value) -> i64 {
    let text = value.as_str().unwrap_or_else(|| panic!("a time: {value}"));
    Timestamp::parse_rfc3339(text)
        .unwrap_or_else(|| panic!("RFC 3339: {text}"))
        .0
}

/// Asserts a label as every answer shows it: exactly its keys, an id, a lower-case `#rrggbb`.
fn assert_label_shape(label: &Value) {
    let keys: Vec<&str> = label
        .as_object()
        .unwrap_or_else(|| panic!("a label is an object: {label}"))
        .keys()
        .map(String::as_str)
        .collect();
    let mut keys = keys;
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["colour", "createdAt", "labelId", "name", "updatedAt"],
        "{label}"
    );
    assert!(
        label["labelId"].as_str().is_some_and(|id| !id.is_empty()),
        "{label}"
    );
    let colour = label["colour"].as_str().unwrap_or_default();
    assert!(
        colour.len() == 7
            && colour.starts_with('#')
            && colour[1..]
                .chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)),
        "a lower-case #rrggbb: {label}"
    );
    millis(&label["createdAt"]);
    millis(&label["updatedAt"]);
}

fn id_of(label: &Value) -> String {
    label["labelId"].as_str().expect("a label id").to_string()
}

/// Creates a label that must be created; returns the answer's `label`.
async fn create(app: &TestApp, token: &str, name: &str, colour: &str) -> Value {
    let body = app
        .post_ok(LABELS, token, json!({ "name": name, "colour": colour }))
        .await;
    let label = body["data"]["label"].clone();
    assert_label_shape(&label);
    label
}

/// `GET /api/admin/labels`: the list, each label checked.
async fn all_labels(app: &TestApp, token: &str) -> Value {
    let labels = app.get_ok(LABELS, token).await["data"]["labels"].clone();
    for label in labels.as_array().expect("a list of labels") {
        assert_label_shape(label);
    }
    labels
}

/// Puts `label` on `session`, which must work; returns the answer's `labels`.
async fn label_on(app: &TestApp, token: &str, session: &str, label: &str) -> Value {
    let body = app
        .put_ok(&chat_label_path(session, label), token, json!({}))
        .await;
    chat_labels_of(session, &body)
}

/// Takes `label` off `session`, which must work; returns the answer's `labels`.
async fn label_off(app: &TestApp, token: &str, session: &str, label: &str) -> Value {
    let body = app.delete_ok(&chat_label_path(session, label), token).await;
    chat_labels_of(session, &body)
}

fn chat_labels_of(session: &str, body: &Value) -> Value {
    let data = &body["data"];
    assert_eq!(data["sessionId"], session, "{body}");
    assert_eq!(
        data.as_object().map(|o| o.len()),
        Some(2),
        "sessionId and labels: {body}"
    );
    for label in data["labels"].as_array().expect("labels") {
        assert_label_shape(label);
    }
    data["labels"].clone()
}

/// The labels the chat detail shows.
async fn detail_labels(app: &TestApp, token: &str, session: &str) -> Value {
    let body = app
        .get_ok(&format!("/api/admin/chat/session/{session}"), token)
        .await;
    body["data"]["labels"].clone()
}

/// The queue (with `query`, e.g. `?label=...`): each chat's id and labels, by id.
async fn queue(app: &TestApp, token: &str, query: &str) -> Vec<(String, Value)> {
    let body = app
        .get_ok(&format!("/api/admin/chat/active-sessions{query}"), token)
        .await;
    let sessions = body["data"]["sessions"].as_array().expect("sessions");
    assert_eq!(body["data"]["total"], sessions.len(), "{body}");
    let mut rows: Vec<(String, Value)> = sessions
        .iter()
        .map(|s| {
            (
                s["sessionId"].as_str().unwrap().to_string(),
                s["labels"].clone(),
            )
        })
        .collect();
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    rows
}

fn ids(rows: &[(String, Value)]) -> Vec<&str> {
    rows.iter().map(|(id, _)| id.as_str()).collect()
}

/// What a refused request must leave as it was: the list, labels on chats, the audit log.
async fn snapshot(app: &TestApp, root: &str) -> Value {
    json!({
        "labels": all_labels(app, root).await,
        "chatLabels": app.count_rows("SELECT COUNT(*) FROM chat_labels"),
        "audit": app.count_rows("SELECT COUNT(*) FROM audit_events"),
    })
}

/// Audit events with `action`, oldest first.
async fn audited(app: &TestApp, root: &str, action: &str) -> Vec<Value> {
    let body = app
        .get_ok(&format!("/api/admin/audit?action={action}&limit=200"), root)
        .await;
    let mut events = body["data"]["events"].as_array().expect("events").clone();
    events.reverse();
    events
}

/// A user starts chat `id` and says `text`.
async fn chat(app: &TestApp, user: &str, id: &str, text: &str) {
    let token = app.user_token(user);
    app.start_session(&token, Some(id)).await;
    app.send_ok(&token, id, &format!("msg_{id}"), text).await;
}

#[tokio::test]
async fn super_admins_create_read_change_and_delete_labels() {
    let app = still_app("09:00:00").await;
    let (_, root) = app.agent("root@example.com", "super_admin").await;
    assert_eq!(all_labels(&app, &root).await, json!([]));

    let refund = create(&app, &root, "Refund", "#3B82F6").await;
    assert_eq!(refund["name"], "Refund");
    assert_eq!(refund["colour"], BLUE, "stored lower case");
    assert_eq!(refund["createdAt"], refund["updatedAt"]);
    assert_eq!(millis(&refund["createdAt"]), at("09:00:00").0);
    let bug = create(&app, &root, "  bug ", " #EF4444 ").await;
    assert_eq!(
        (&bug["name"], &bug["colour"]),
        (&json!("bug"), &json!("#ef4444"))
    );
    assert_ne!(id_of(&bug), id_of(&refund));
    // By name, ignoring case.
    assert_eq!(all_labels(&app, &root).await, json!([bug, refund]));
    let one = app.get_ok(&label_path(&id_of(&refund)), &root).await;
    assert_eq!(one["data"], json!({ "label": refund }));

    step(&app, 5);
    let changed = app
        .put_ok(
            &label_path(&id_of(&refund)),
            &root,
            json!({ "name": "Refunds", "colour": "#10B981" }),
        )
        .await["data"]["label"]
        .clone();
    assert_label_shape(&changed);
    assert_eq!(changed["labelId"], refund["labelId"]);
    assert_eq!(
        (&changed["name"], &changed["colour"]),
        (&json!("Refunds"), &json!("#10b981"))
    );
    assert_eq!(changed["createdAt"], refund["createdAt"]);
    assert_eq!(millis(&changed["updatedAt"]), at("09:05:00").0);
    assert_eq!(
        app.get_ok(&label_path(&id_of(&refund)), &root).await["data"]["label"],
        changed
    );

    let deleted = app.delete_ok(&label_path(&id_of(&refund)), &root).await;
    assert_eq!(deleted["data"], json!({ "labelId": id_of(&refund) }));
    assert_eq!(all_labels(&app, &root).await, json!([bug]));
    let (status, body) = app.get(&label_path(&id_of(&refund)), &root).await;
    assert_error(status, &body, 404, "NOT_FOUND");
    assert_eq!(app.count_rows("SELECT COUNT(*) FROM labels"), 1);
}

#[tokio::test]
async fn chat_and_support_admins_read_labels_but_may_not_change_them() {
    let app = TestApp::spawn().await;
    let (_, root) = app.agent("root@example.com", "super_admin").await;
    let refund = create(&app, &root, "Refund", BLUE).await;
    let id = id_of(&refund);
    for role in ["chat_admin", "support_admin"] {
        let (_, token) = app.agent(&format!("{role}@example.com"), role).await;
        assert_eq!(all_labels(&app, &token).await, json!([refund]), "{role}");
        let one = app.get_ok(&label_path(&id), &token).await;
        assert_eq!(one["data"]["label"], refund, "{role}");
        let before = snapshot(&app, &root).await;
        let fields = json!({ "name": "Sneaky", "colour": "#000000" });
        for (what, (status, body)) in [
            ("create", app.post(LABELS, &token, fields.clone()).await),
            (
                "change",
                app.put(&label_path(&id), &token, fields.clone()).await,
            ),
            ("delete", app.delete(&label_path(&id), &token).await),
        ] {
            assert_eq!(status, StatusCode::FORBIDDEN, "{role} {what}: {body}");
            assert_error(status, &body, 403, "FORBIDDEN");
        }
        assert_eq!(
            snapshot(&app, &root).await,
            before,
            "{role}: a refused change changes nothing"
        );
    }
}

#[tokio::test]
async fn a_name_taken_in_any_case_is_a_conflict_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let (_, root) = app.agent("root@example.com", "super_admin").await;
    let refund = create(&app, &root, "Refund", BLUE).await;
    let bug = create(&app, &root, "Bug", "#ef4444").await;
    create(&app, &root, "Rückgabe", "#f59e0b").await;
    create(&app, &root, "Éléphant", "#6b7280").await;
    let before = snapshot(&app, &root).await;
    for name in [
        "Refund",
        "refund",
        " REFUND ",
        "rEfUnD",
        "RÜCKGABE",
        "rückgabe",
        "éléphant",
        "ÉLÉPHANT",
    ] {
        let fields = json!({ "name": name, "colour": "#000000" });
        let (status, body) = app.post(LABELS, &root, fields.clone()).await;
        assert_eq!(status, StatusCode::CONFLICT, "create {name:?}: {body}");
        assert_error(status, &body, 409, "CONFLICT");
        let (status, body) = app.put(&label_path(&id_of(&bug)), &root, fields).await;
        assert_eq!(status, StatusCode::CONFLICT, "rename to {name:?}: {body}");
        assert_error(status, &body, 409, "CONFLICT");
    }
    assert_eq!(
        snapshot(&app, &root).await,
        before,
        "conflicts change nothing"
    );

    // A label may change the case of its own name, and a freed name may be taken again.
    let upper = app
        .put_ok(
            &label_path(&id_of(&refund)),
            &root,
            json!({ "name": "REFUND", "colour": BLUE }),
        )
        .await;
    assert_eq!(upper["data"]["label"]["name"], "REFUND");
    app.delete_ok(&label_path(&id_of(&bug)), &root).await;
    assert_eq!(create(&app, &root, "bug", "#000000").await["name"], "bug");
}

#[tokio::test]
async fn bad_label_input_is_refused_naming_the_field_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let (_, root) = app.agent("root@example.com", "super_admin").await;
    let refund = create(&app, &root, "Refund", BLUE).await;
    let path = label_path(&id_of(&refund));
    let before = snapshot(&app, &root).await;
    let forty_one = "x".repeat(41);
    let forty_one_wide = "é".repeat(41);
    let cases: Vec<(Value, &str, &str)> = vec![
        (json!({}), "name", "an empty object"),
        (json!({ "colour": BLUE }), "name", "no name"),
        (json!({ "name": "Bug" }), "colour", "no colour"),
        (
            json!({ "name": null, "colour": BLUE }),
            "name",
            "a null name",
        ),
        (
            json!({ "name": 5, "colour": BLUE }),
            "name",
            "a number name",
        ),
        (
            json!({ "name": ["Bug"], "colour": BLUE }),
            "name",
            "an array name",
        ),
        (
            json!({ "name": { "text": "Bug" }, "colour": BLUE }),
            "name",
            "an object name",
        ),
        (
            json!({ "name": true, "colour": BLUE }),
            "name",
            "a boolean name",
        ),
        (
            json!({ "name": "Bug", "colour": null }),
            "colour",
            "a null colour",
        ),
        (
            json!({ "name": "Bug", "colour": 3900150 }),
            "colour",
            "a number colour",
        ),
        (
            json!({ "name": "Bug", "colour": [BLUE] }),
            "colour",
            "an array colour",
        ),
        (
            json!({ "name": "", "colour": BLUE }),
            "name",
            "an empty name",
        ),
        (
            json!({ "name": " \t  ", "colour": BLUE }),
            "name",
            "a blank name",
        ),
        (
            json!({ "name": forty_one, "colour": BLUE }),
            "name",
            "41 characters",
        ),
        (
            json!({ "name": forty_one_wide, "colour": BLUE }),
            "name",
            "41 two-byte characters",
        ),
        (
            json!({ "name": "a\u{7}b", "colour": BLUE }),
            "name",
            "a bell",
        ),
        (
            json!({ "name": "a\nb", "colour": BLUE }),
            "name",
            "a line break",
        ),
        (
            json!({ "name": "a\u{0}b", "colour": BLUE }),
            "name",
            "a NUL",
        ),
        (
            json!({ "name": "a\u{9b}b", "colour": BLUE }),
            "name",
            "a C1 control",
        ),
        (
            json!({ "name": "Bug", "colour": "red" }),
            "colour",
            "a colour name",
        ),
        (
            json!({ "name": "Bug", "colour": "#12345" }),
            "colour",
            "five digits",
        ),
        (
            json!({ "name": "Bug", "colour": "#1234567" }),
            "colour",
            "seven digits",
        ),
        (
            json!({ "name": "Bug", "colour": "#gggggg" }),
            "colour",
            "not hex",
        ),
        (
            json!({ "name": "Bug", "colour": "123456" }),
            "colour",
            "no hash",
        ),
        (
            json!({ "name": "Bug", "colour": "" }),
            "colour",
            "an empty colour",
        ),
        (
            json!({ "name": "Bug", "colour": "#123456\" onmouseover=x" }),
            "colour",
            "an attribute break-out",
        ),
        (
            json!({ "name": "Bug", "colour": "rgb(1,2,3)" }),
            "colour",
            "a CSS function",
        ),
    ];
    for (body, field, why) in &cases {
        for (verb, (status, answer)) in [
            ("POST", app.post(LABELS, &root, body.clone()).await),
            ("PUT", app.put(&path, &root, body.clone()).await),
        ] {
            assert_eq!(status, StatusCode::BAD_REQUEST, "{verb} {why}: {answer}");
            assert_error(status, &answer, 400, "VALIDATION_ERROR");
            assert_eq!(
                answer["error"]["details"]["field"], *field,
                "{verb} {why}: {answer}"
            );
        }
    }
    // Bodies that are not a JSON object, and a body that is not JSON at all.
    for raw in [
        "{\"name\": \"Bug\",",
        "not json",
        "[\"Bug\", \"#3b82f6\"]",
        "\"Bug\"",
        "",
    ] {
        for method in [reqwest::Method::POST, reqwest::Method::PUT] {
            let url = if method == reqwest::Method::POST {
                LABELS
            } else {
                path.as_str()
            };
            let response = app
                .client
                .request(method.clone(), app.url(url))
                .bearer_auth(&root)
                .header("content-type", "application/json")
                .body(raw)
                .send()
                .await
                .expect("request sent");
            let (status, answer) = decode(response).await;
            assert_eq!(
                status,
                StatusCode::BAD_REQUEST,
                "{method} {raw:?}: {answer}"
            );
            assert_error(status, &answer, 400, "VALIDATION_ERROR");
        }
    }
    let (status, answer) = app
        .post_raw(
            LABELS,
            Some(&root),
            Some("text/plain"),
            br##"{"name": "Bug", "colour": "#3b82f6"}"##.to_vec(),
        )
        .await;
    assert_error(status, &answer, 415, "UNSUPPORTED_MEDIA_TYPE");
    assert_eq!(
        snapshot(&app, &root).await,
        before,
        "refused input changes nothing"
    );

    // The bounds themselves are fine.
    for name in ["x".repeat(40), "é".repeat(40), "😀".repeat(40)] {
        assert_eq!(
            create(&app, &root, &name, BLUE).await["name"],
            name.as_str()
        );
    }
}

#[tokio::test]
async fn markup_in_a_name_is_stored_and_returned_as_text() {
    let app = TestApp::spawn().await;
    let (_, root) = app.agent("root@example.com", "super_admin").await;
    chat(&app, "u1", "chat_markup", "hello").await;
    let names = [
        "<script>alert(1)</script>",
        "<b onmouseover=x>VIP</b>",
        "\"><img src=x onerror=1>",
    ];
    for name in names {
        let label = create(&app, &root, name, BLUE).await;
        assert_eq!(label["name"], name);
        assert_eq!(
            app.get_ok(&label_path(&id_of(&label)), &root).await["data"]["label"]["name"],
            name
        );
        label_on(&app, &root, "chat_markup", &id_of(&label)).await;
    }
    let shown: Vec<Value> = detail_labels(&app, &root, "chat_markup")
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].clone())
        .collect();
    let mut expected: Vec<Value> = names.iter().map(|n| json!(n)).collect();
    expected.sort_by_key(|n| n.as_str().unwrap().to_lowercase());
    assert_eq!(shown, expected, "stored as sent, by name");
}

#[tokio::test]
async fn unknown_labels_and_chats_are_not_found_and_change_nothing() {
    let app = TestApp::spawn().await;
    let (_, root) = app.agent("root@example.com", "super_admin").await;
    let (_, ann) = app.agent("ann@example.com", "chat_admin").await;
    chat(&app, "u1", "chat_known", "hello").await;
    let refund = id_of(&create(&app, &root, "Refund", BLUE).await);
    // Within the edge's limit on the request target, and far past it.
    let long = "l".repeat(4_000);
    let huge = "l".repeat(10_000);
    let fields = json!({ "name": "Bug", "colour": BLUE });
    let before = snapshot(&app, &root).await;
    let label_calls = |id: String| {
        let (app, root, ann, fields) = (&app, &root, &ann, &fields);
        async move {
            vec![
                app.get(&label_path(&id), root).await,
                app.put(&label_path(&id), root, fields.clone()).await,
                app.delete(&label_path(&id), root).await,
                app.put(&chat_label_path("chat_known", &id), ann, json!({}))
                    .await,
                app.delete(&chat_label_path("chat_known", &id), ann).await,
            ]
        }
    };
    for id in ["label_missing", long.as_str(), "%3Cscript%3E", "label_%00"] {
        // PostgreSQL's text cannot hold NUL: there the id is refused, not looked up.
        let (code, name) = match on_postgres() && id.contains("%00") {
            true => (400, "VALIDATION_ERROR"),
            false => (404, "NOT_FOUND"),
        };
        for (status, body) in label_calls(id.to_string()).await {
            assert_error(status, &body, code, name);
        }
    }
    for (status, body) in label_calls(huge.clone()).await {
        assert_error(status, &body, 414, "URI_TOO_LONG");
    }
    let chat_calls = |session: String, label: String| {
        let (app, ann) = (&app, &ann);
        async move {
            vec![
                app.put(&chat_label_path(&session, &label), ann, json!({}))
                    .await,
                app.delete(&chat_label_path(&session, &label), ann).await,
            ]
        }
    };
    for session in ["chat_missing", long.as_str(), "%3Cscript%3E"] {
        for label in [refund.as_str(), "label_missing"] {
            for (status, body) in chat_calls(session.to_string(), label.to_string()).await {
                assert_eq!(status, StatusCode::NOT_FOUND, "{:.20}: {body}", session);
                assert_error(status, &body, 404, "SESSION_NOT_FOUND");
            }
        }
    }
    for (status, body) in chat_calls(huge.clone(), refund.clone()).await {
        assert_error(status, &body, 414, "URI_TOO_LONG");
    }
    assert_eq!(snapshot(&app, &root).await, before);
}

#[tokio::test]
async fn chat_and_super_admins_label_chats_and_support_admins_may_not() {
    let app = TestApp::spawn().await;
    let (_, root) = app.agent("root@example.com", "super_admin").await;
    let refund = create(&app, &root, "Refund", BLUE).await;
    let bug = create(&app, &root, "Bug", "#ef4444").await;
    for (role, may) in [
        ("super_admin", true),
        ("chat_admin", true),
        ("support_admin", false),
    ] {
        let (_, token) = app.agent(&format!("{role}@example.com"), role).await;
        let session = format!("chat_{role}");
        chat(&app, &format!("user_{role}"), &session, "hello").await;
        if may {
            let on = label_on(&app, &token, &session, &id_of(&refund)).await;
            assert_eq!(on, json!([refund]), "{role}");
            let both = label_on(&app, &token, &session, &id_of(&bug)).await;
            assert_eq!(both, json!([bug, refund]), "{role}: by name");
            let off = label_off(&app, &token, &session, &id_of(&refund)).await;
            assert_eq!(off, json!([bug]), "{role}");
            assert_eq!(detail_labels(&app, &token, &session).await, json!([bug]));
        } else {
            label_on(&app, &root, &session, &id_of(&bug)).await;
            let before = snapshot(&app, &root).await;
            for (what, (status, body)) in [
                (
                    "add",
                    app.put(
                        &chat_label_path(&session, &id_of(&refund)),
                        &token,
                        json!({}),
                    )
                    .await,
                ),
                (
                    "remove",
                    app.delete(&chat_label_path(&session, &id_of(&bug)), &token)
                        .await,
                ),
                (
                    "add to an unknown chat",
                    app.put(
                        &chat_label_path("chat_missing", &id_of(&bug)),
                        &token,
                        json!({}),
                    )
                    .await,
                ),
            ] {
                assert_eq!(status, StatusCode::FORBIDDEN, "{role} {what}: {body}");
                assert_error(status, &body, 403, "FORBIDDEN");
            }
            assert_eq!(
                snapshot(&app, &root).await,
                before,
                "{role}: nothing changed"
            );
            // A support admin still sees the chat's labels.
            assert_eq!(detail_labels(&app, &token, &session).await, json!([bug]));
        }
    }
}

#[tokio::test]
async fn labelling_twice_keeps_one_and_taking_off_twice_is_fine() {
    let app = TestApp::spawn().await;
    let (_, root) = app.agent("root@example.com", "super_admin").await;
    let (_, ann) = app.agent("ann@example.com", "chat_admin").await;
    chat(&app, "u1", "chat_twice", "hello").await;
    let refund = create(&app, &root, "Refund", BLUE).await;
    let id = id_of(&refund);

    let first = label_on(&app, &ann, "chat_twice", &id).await;
    let second = label_on(&app, &ann, "chat_twice", &id).await;
    assert_eq!(first, json!([refund]));
    assert_eq!(second, first, "adding again changes nothing");
    assert_eq!(app.count_rows("SELECT COUNT(*) FROM chat_labels"), 1);
    assert_eq!(audited(&app, &root, "chat_label_add").await.len(), 1);

    assert_eq!(label_off(&app, &ann, "chat_twice", &id).await, json!([]));
    assert_eq!(label_off(&app, &ann, "chat_twice", &id).await, json!([]));
    assert_eq!(app.count_rows("SELECT COUNT(*) FROM chat_labels"), 0);
    assert_eq!(audited(&app, &root, "chat_label_remove").await.len(), 1);
    assert_eq!(detail_labels(&app, &ann, "chat_twice").await, json!([]));

    // An ended chat may be labelled too (to count and find it later).
    app.post_ok(
        "/api/admin/chat/session/end",
        &ann,
        json!({ "sessionId": "chat_twice", "endReason": "done" }),
    )
    .await;
    assert_eq!(
        label_on(&app, &ann, "chat_twice", &id).await,
        json!([refund])
    );
    assert_eq!(
        detail_labels(&app, &ann, "chat_twice").await,
        json!([refund])
    );
}

#[tokio::test]
async fn a_chats_labels_show_in_its_detail_and_its_queue_entry() {
    let app = TestApp::spawn().await;
    let (_, root) = app.agent("root@example.com", "super_admin").await;
    let (_, sue) = app.agent("sue@example.com", "support_admin").await;
    chat(&app, "u1", "chat_shown", "hello").await;
    chat(&app, "u2", "chat_plain", "hi").await;
    let vip = create(&app, &root, "VIP", "#a855f7").await;
    let refund = create(&app, &root, "refund", BLUE).await;
    label_on(&app, &root, "chat_shown", &id_of(&vip)).await;
    label_on(&app, &root, "chat_shown", &id_of(&refund)).await;

    for token in [&root, &sue] {
        assert_eq!(
            detail_labels(&app, token, "chat_shown").await,
            json!([refund, vip]),
            "by name, ignoring case"
        );
        assert_eq!(detail_labels(&app, token, "chat_plain").await, json!([]));
        assert_eq!(
            queue(&app, token, "").await,
            vec![
                ("chat_plain".to_string(), json!([])),
                ("chat_shown".to_string(), json!([refund, vip])),
            ]
        );
    }
}

#[tokio::test]
async fn the_queue_filters_by_label() {
    let app = TestApp::spawn().await;
    let (_, root) = app.agent("root@example.com", "super_admin").await;
    let (_, ann) = app.agent("ann@example.com", "chat_admin").await;
    for (user, id) in [("u1", "chat_qa"), ("u2", "chat_qb"), ("u3", "chat_qc")] {
        chat(&app, user, id, "hello").await;
    }
    let refund = id_of(&create(&app, &root, "Refund", BLUE).await);
    let bug = id_of(&create(&app, &root, "Bug", "#ef4444").await);
    let unused = id_of(&create(&app, &root, "Unused", "#000000").await);
    label_on(&app, &ann, "chat_qa", &refund).await;
    label_on(&app, &ann, "chat_qc", &refund).await;
    label_on(&app, &ann, "chat_qb", &bug).await;

    let every = ["chat_qa", "chat_qb", "chat_qc"];
    assert_eq!(ids(&queue(&app, &ann, "").await), every);
    assert_eq!(
        ids(&queue(&app, &ann, "?label=").await),
        every,
        "blank is no filter"
    );
    assert_eq!(
        ids(&queue(&app, &ann, &format!("?label={refund}")).await),
        ["chat_qa", "chat_qc"]
    );
    assert_eq!(
        ids(&queue(&app, &ann, &format!("?label={bug}")).await),
        ["chat_qb"]
    );
    for nothing in [unused.as_str(), "label_missing", "%3Cb%3E", "'%20OR%201=1"] {
        assert!(
            queue(&app, &ann, &format!("?label={nothing}"))
                .await
                .is_empty(),
            "{nothing}"
        );
    }
    // Only active chats are in the queue, filtered or not.
    app.post_ok(
        "/api/admin/chat/session/end",
        &ann,
        json!({ "sessionId": "chat_qa", "endReason": "done" }),
    )
    .await;
    assert_eq!(
        ids(&queue(&app, &ann, &format!("?label={refund}")).await),
        ["chat_qc"]
    );
}

/// The search path for `params`, each one percent-encoded.
fn search_path(params: &[(&str, &str)]) -> String {
    let mut url = reqwest::Url::parse("http://search.invalid/api/admin/chat/search").unwrap();
    url.query_pairs_mut().extend_pairs(params);
    format!("{}?{}", url.path(), url.query().unwrap_or_default())
}

/// The chats of the hits of a search that must succeed, sorted, each once.
async fn found_chats(app: &TestApp, token: &str, params: &[(&str, &str)]) -> Vec<String> {
    let body = app.get_ok(&search_path(params), token).await;
    let mut chats: Vec<String> = body["data"]["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|hit| hit["sessionId"].as_str().unwrap().to_string())
        .collect();
    chats.sort();
    chats.dedup();
    chats
}

#[tokio::test]
async fn search_keeps_only_the_chats_with_the_label() {
    let app = TestApp::spawn().await;
    let (_, root) = app.agent("root@example.com", "super_admin").await;
    let (_, sue) = app.agent("sue@example.com", "support_admin").await;
    chat(&app, "u1", "chat_sa", "my parcel never came").await;
    chat(&app, "u2", "chat_sb", "my parcel is broken").await;
    let refund = id_of(&create(&app, &root, "Refund", BLUE).await);
    let unused = id_of(&create(&app, &root, "Unused", "#000000").await);
    label_on(&app, &root, "chat_sa", &refund).await;

    let both = ["chat_sa", "chat_sb"];
    assert_eq!(found_chats(&app, &sue, &[("q", "parcel")]).await, both);
    assert_eq!(
        found_chats(&app, &sue, &[("q", "parcel"), ("label", "")]).await,
        both,
        "blank is no filter"
    );
    assert_eq!(
        found_chats(&app, &sue, &[("q", "parcel"), ("label", &refund)]).await,
        ["chat_sa"]
    );
    // The filter combines with the others.
    assert_eq!(
        found_chats(
            &app,
            &sue,
            &[("q", "parcel"), ("label", &refund), ("status", "active")]
        )
        .await,
        ["chat_sa"]
    );
    for nothing in [unused.as_str(), "label_missing", "<b>", "' OR 1=1 --"] {
        assert!(
            found_chats(&app, &sue, &[("q", "parcel"), ("label", nothing)])
                .await
                .is_empty(),
            "{nothing}"
        );
    }
}

/// `[sessions, duration, messages]`, `[score, csat %, resolution %]`, `[first response, ratings]`.
fn metrics(counts: [i64; 3], rates: [f64; 3], tail: [i64; 2]) -> Value {
    json!({
        "totalSessions": counts[0],
        "averageDuration": counts[1],
        "messagesExchanged": counts[2],
        "satisfactionScore": rates[0],
        "csatPercent": rates[1],
        "resolutionRate": rates[2],
        "averageFirstResponseTime": tail[0],
        "ratingsCount": tail[1],
    })
}

fn no_metrics() -> Value {
    json!({
        "totalSessions": 0, "averageDuration": null, "messagesExchanged": 0,
        "satisfactionScore": null, "csatPercent": null, "resolutionRate": null,
        "averageFirstResponseTime": null, "ratingsCount": 0,
    })
}

/// A label report row: the label's fields and its metrics side by side.
fn label_row(label: &Value, metrics: Value) -> Value {
    let mut row = metrics;
    for field in ["labelId", "name", "colour"] {
        row[field] = label[field].clone();
    }
    row
}

/// The report's table as CSV, parsed back into JSON rows as the report's CSV writes them.
async fn csv_rows(app: &TestApp, token: &str, query: &str) -> Vec<Vec<(String, String)>> {
    let response = app
        .client
        .get(app.url(&format!("/api/admin/chat/reports?{query}")))
        .bearer_auth(token)
        .send()
        .await
        .expect("request sent");
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = response.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    reader
        .records()
        .map(|record| {
            headers
                .iter()
                .cloned()
                .zip(record.unwrap().iter().map(str::to_string))
                .collect()
        })
        .collect()
}

/// A JSON report row as its CSV cells: null empty, formulas defused, numbers as JSON.
fn as_cells(row: &Value, headers: &[String]) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|h| {
            let cell = match &row[h] {
                Value::Null => String::new(),
                Value::String(s) if s.starts_with(['=', '+', '-', '@']) => format!("'{s}"),
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (h.clone(), cell)
        })
        .collect()
}

/// Day `DAY`, times UTC:
///   09:00 users a and b start chat_a and chat_b and each write once.
///   09:02 Xavier answers chat_a (first response 120 s).
///   09:10 a ends chat_a with rating 5 (600 s); only then is it labelled "refund".
///   chat_b stays active and unanswered; the label "=bug" is on no chat.
#[tokio::test]
async fn analytics_and_reports_count_only_the_chats_with_the_label() {
    let app = still_app("09:00:00").await;
    let (_, root) = app.agent("root@example.com", "super_admin").await;
    let (_, xavier) = app.agent("xavier@example.com", "chat_admin").await;
    let bug = create(&app, &root, "=bug", "#ef4444").await;
    let refund = create(&app, &root, "refund", BLUE).await;
    chat(&app, "a", "chat_a", "refund please").await;
    chat(&app, "b", "chat_b", "where is my parcel?").await;
    step(&app, 2);
    app.agent_reply(&xavier, "chat_a", "on its way").await;
    step(&app, 8);
    app.post_ok(
        "/api/chat/session/end",
        &app.user_token("a"),
        json!({ "sessionId": "chat_a", "rating": 5 }),
    )
    .await;
    label_on(&app, &xavier, "chat_a", &id_of(&refund)).await;

    let day = format!("from={DAY}&to={DAY}");
    let everything = metrics([2, 600, 3], [5.0, 100.0, 100.0], [120, 1]);
    let labelled = metrics([1, 600, 2], [5.0, 100.0, 100.0], [120, 1]);
    for (filter, label_id, expected, active, user_messages) in [
        ("", Value::Null, &everything, 1, 2),
        ("&label=", Value::Null, &everything, 1, 2),
        (
            &*format!("&label={}", id_of(&refund)),
            refund["labelId"].clone(),
            &labelled,
            0,
            1,
        ),
    ] {
        let analytics = app
            .get_ok(&format!("/api/admin/chat/analytics?{day}{filter}"), &xavier)
            .await;
        let d = &analytics["data"];
        assert_eq!(d["labelId"], label_id, "{filter}");
        assert_eq!(d["dailyStats"], *expected, "{filter}");
        assert_eq!(d["realTimeStats"]["activeSessions"], active, "{filter}");
        assert_eq!(d["realTimeStats"]["waitingCustomers"], active, "{filter}");
        assert_eq!(d["ratingDistribution"], json!([0, 0, 0, 0, 1]), "{filter}");
        assert_eq!(d["busiestHours"][9], user_messages, "{filter}");

        let report = app
            .get_ok(&format!("/api/admin/chat/reports?{day}{filter}"), &xavier)
            .await;
        let r = &report["data"];
        assert_eq!(r["labelId"], label_id, "{filter}");
        assert_eq!(r["totals"], *expected, "{filter}");
        let sessions: Vec<&str> = r["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["sessionId"].as_str().unwrap())
            .collect();
        let wanted: &[&str] = if active == 1 {
            &["chat_a", "chat_b"]
        } else {
            &["chat_a"]
        };
        assert_eq!(sessions, wanted, "{filter}");
        // The labels table is every label's figures, whatever the filter.
        assert_eq!(
            r["labels"],
            json!([
                label_row(&bug, no_metrics()),
                label_row(&refund, labelled.clone())
            ]),
            "{filter}"
        );
    }

    // A label on no chat: every figure is empty, and the agent table has its rows with none.
    let none = app
        .get_ok(
            &format!("/api/admin/chat/reports?{day}&label={}", id_of(&bug)),
            &root,
        )
        .await;
    assert_eq!(none["data"]["totals"], no_metrics());
    assert_eq!(none["data"]["sessions"], json!([]));
    let x = none["data"]["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["email"] == "xavier@example.com")
        .expect("xavier's row")
        .clone();
    assert_eq!(
        (&x["messagesSent"], &x["chatsHandled"]),
        (&json!(0), &json!(0))
    );
    let unknown = app
        .get_ok(
            &format!("/api/admin/chat/analytics?{day}&label=label_missing"),
            &root,
        )
        .await;
    assert_eq!(unknown["data"]["dailyStats"], no_metrics());

    // The labels table as CSV is the JSON table, cell for cell (the `=` name defused).
    let json_rows = none["data"]["labels"].as_array().unwrap().clone();
    let rows = csv_rows(&app, &root, &format!("{day}&format=csv&table=labels")).await;
    assert_eq!(rows.len(), json_rows.len());
    for (row, json_row) in rows.iter().zip(&json_rows) {
        let headers: Vec<String> = row.iter().map(|(h, _)| h.clone()).collect();
        assert_eq!(
            headers.len(),
            11,
            "labelId, name, colour and 8 metrics: {headers:?}"
        );
        assert_eq!(*row, as_cells(json_row, &headers));
    }
    assert_eq!(
        rows[0].iter().find(|(h, _)| h == "name").unwrap().1,
        "'=bug"
    );
}

#[tokio::test]
async fn deleting_a_label_takes_it_off_every_chat() {
    let app = TestApp::spawn().await;
    let (_, root) = app.agent("root@example.com", "super_admin").await;
    chat(&app, "u1", "chat_da", "my parcel never came").await;
    chat(&app, "u2", "chat_db", "my parcel is late").await;
    let refund = id_of(&create(&app, &root, "Refund", BLUE).await);
    let bug = create(&app, &root, "Bug", "#ef4444").await;
    label_on(&app, &root, "chat_da", &refund).await;
    label_on(&app, &root, "chat_da", &id_of(&bug)).await;
    label_on(&app, &root, "chat_db", &refund).await;

    app.delete_ok(&label_path(&refund), &root).await;
    assert_eq!(detail_labels(&app, &root, "chat_da").await, json!([bug]));
    assert_eq!(detail_labels(&app, &root, "chat_db").await, json!([]));
    assert_eq!(
        queue(&app, &root, "").await,
        vec![
            ("chat_da".to_string(), json!([bug])),
            ("chat_db".to_string(), json!([])),
        ]
    );
    assert_eq!(app.count_rows("SELECT COUNT(*) FROM chat_labels"), 1);
    assert!(
        queue(&app, &root, &format!("?label={refund}"))
            .await
            .is_empty()
    );
    assert!(
        found_chats(&app, &root, &[("q", "parcel"), ("label", &refund)])
            .await
            .is_empty()
    );
    let (status, body) = app
        .put(&chat_label_path("chat_db", &refund), &root, json!({}))
        .await;
    assert_error(status, &body, 404, "NOT_FOUND");
    let (status, body) = app.delete(&label_path(&refund), &root).await;
    assert_error(status, &body, 404, "NOT_FOUND");
}

#[tokio::test]
async fn a_renamed_label_shows_its_new_name_and_colour_on_its_chats() {
    let app = TestApp::spawn().await;
    let (_, root) = app.agent("root@example.com", "super_admin").await;
    chat(&app, "u1", "chat_rn", "hello").await;
    let refund = id_of(&create(&app, &root, "Refund", BLUE).await);
    label_on(&app, &root, "chat_rn", &refund).await;
    let changed = app
        .put_ok(
            &label_path(&refund),
            &root,
            json!({ "name": "Money back", "colour": "#16A34A" }),
        )
        .await["data"]["label"]
        .clone();
    assert_eq!(
        detail_labels(&app, &root, "chat_rn").await,
        json!([changed])
    );
    assert_eq!(
        queue(&app, &root, "").await,
        vec![("chat_rn".to_string(), json!([changed]))]
    );
    assert_eq!(changed["name"], "Money back");
    assert_eq!(changed["colour"], "#16a34a");
}

#[tokio::test]
async fn label_changes_are_audited_with_ids_and_no_content() {
    let app = TestApp::spawn().await;
    let (root_id, root) = app.agent("root@example.com", "super_admin").await;
    let (ann_id, ann) = app.agent("ann@example.com", "chat_admin").await;
    let secret = "my card number is 4111 1111";
    chat(&app, "u1", "chat_au", secret).await;
    let refund = id_of(&create(&app, &root, "Refund secretly", BLUE).await);
    label_on(&app, &ann, "chat_au", &refund).await;
    label_off(&app, &ann, "chat_au", &refund).await;
    app.put_ok(
        &label_path(&refund),
        &root,
        json!({ "name": "Renamed secretly", "colour": "#000000" }),
    )
    .await;
    app.delete_ok(&label_path(&refund), &root).await;

    let body = app.get_ok("/api/admin/audit?limit=200", &root).await;
    let trail: Vec<Value> = body["data"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .filter(|e| e["action"].as_str().is_some_and(|a| a.contains("label")))
        .map(|e| json!([e["agentId"], e["action"], e["sessionId"], e["detail"]]))
        .collect();
    let detail = json!({ "labelId": refund });
    assert_eq!(
        trail,
        vec![
            json!([root_id, "label_create", null, detail]),
            json!([ann_id, "chat_label_add", "chat_au", detail]),
            json!([ann_id, "chat_label_remove", "chat_au", detail]),
            json!([root_id, "label_update", null, detail]),
            json!([root_id, "label_delete", null, detail]),
        ]
    );
    for action in ["label_create", "chat_label_add"] {
        assert_eq!(audited(&app, &root, action).await.len(), 1, "{action}");
    }
    let log = body.to_string();
    for content in [secret, "secretly"] {
        assert!(
            !log.contains(content),
            "the audit log keeps no content: {log}"
        );
    }
}
