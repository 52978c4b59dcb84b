//! Retention (SPEC.md section 12): the figures of finished days are written once, and with
//! `RETENTION_DAYS` chats that ended longer ago than that are deleted with everything in them
//! while analytics and reports of past days stay as they were. The clock stands still until
//! the test moves it; the upkeep is run the way the hourly background task runs it.

use std::path::Path;
use std::time::Duration;

use frontdesk::clock::Clock;
use frontdesk::domain::Timestamp;
use frontdesk::service::retention::{Upkeep, upkeep};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::attachments::{id_of, send_files, upload_ok};
use crate::dashboard::client::Browser;
use crate::helpers::*;

const DAY_A: &str = "2030-03-04";
const DAY_B: &str = "2030-03-05";
const DAY_C: &str = "2030-03-06";
const DAY_D: &str = "2030-03-07";
/// 13 days before [`TODAY`]: within a 30-day retention.
const RECENT: &str = "2030-04-01";
/// 40 days after [`DAY_C`].
const TODAY: &str = "2030-04-14";
/// Every day of the scenario.
const RANGE: &str = "from=2030-03-01&to=2030-04-14";

fn at(date: &str, hms: &str) -> Timestamp {
    Timestamp::parse_rfc3339(&format!("{date}T{hms}Z")).expect("a valid timestamp")
}

/// A server on a clock standing at `date` `hms`, that greets nobody (every message of a chat
/// is one the test wrote), keeping chats `retention_days`.
async fn still_app(
    dir: Option<tempfile::TempDir>,
    date: &str,
    hms: &str,
    retention_days: Option<u32>,
) -> TestApp {
    let clock = Clock::fixed(at(date, hms));
    let adjust = move |s: &mut frontdesk::config::Settings| {
        s.clock = clock;
        s.welcome_message = None;
        s.retention_days = retention_days;
        // Agent tokens expire on this clock: they must outlive the scripted weeks.
        s.agent_token_ttl = Duration::from_secs(90 * 24 * 3600);
    };
    match dir {
        Some(dir) => TestApp::spawn_in(dir, adjust).await,
        None => TestApp::spawn_with(adjust).await,
    }
}

/// Moves the still clock forward to `date` `hms`.
fn move_to(app: &TestApp, date: &str, hms: &str) {
    let (now, target) = (app.clock.now(), at(date, hms));
    assert!(target >= now, "the script only moves forward: {date} {hms}");
    app.clock
        .advance(Duration::from_millis((target.0 - now.0) as u64));
}

/// The upkeep, now; it must not fail.
async fn run_upkeep(app: &TestApp) -> Upkeep {
    upkeep(&app.services).await.expect("the upkeep runs")
}

/// A user's token, valid for an hour of the server's clock as it stands now.
fn user(app: &TestApp, id: &str) -> String {
    app.user_token(id)
}

async fn rate(app: &TestApp, who: &str, session_id: &str, rating: u8, feedback: &str) {
    app.post_ok(
        "/api/chat/rating",
        &user(app, who),
        json!({ "sessionId": session_id, "rating": rating, "feedback": feedback }),
    )
    .await;
}

async fn end_by_user(app: &TestApp, who: &str, session_id: &str) {
    app.post_ok(
        "/api/chat/session/end",
        &user(app, who),
        json!({ "sessionId": session_id }),
    )
    .await;
}

async fn end_by_agent(app: &TestApp, agent: &str, session_id: &str) {
    app.post_ok(
        "/api/admin/chat/session/end",
        agent,
        json!({ "sessionId": session_id, "endReason": "answered" }),
    )
    .await;
}

async fn put_label(app: &TestApp, root: &str, session_id: &str, label: &str) {
    app.put_ok(
        &format!("/api/admin/chat/session/{session_id}/labels/{label}"),
        root,
        json!({}),
    )
    .await;
}

async fn take_label(app: &TestApp, root: &str, session_id: &str, label: &str) {
    app.delete_ok(
        &format!("/api/admin/chat/session/{session_id}/labels/{label}"),
        root,
    )
    .await;
}

async fn new_label(app: &TestApp, root: &str, name: &str) -> String {
    app.post_ok(
        "/api/admin/labels",
        root,
        json!({ "name": name, "colour": "#3b82f6" }),
    )
    .await["data"]["label"]["labelId"]
        .as_str()
        .expect("a label id")
        .to_string()
}

/// `data` of the analytics and of the report of [`RANGE`], limited to `label` if given.
async fn numbers(app: &TestApp, root: &str, label: Option<&str>) -> (Value, Value) {
    let filter = label.map(|l| format!("&label={l}")).unwrap_or_default();
    let analytics = app
        .get_ok(&format!("/api/admin/chat/analytics?{RANGE}{filter}"), root)
        .await["data"]
        .clone();
    let report = app
        .get_ok(&format!("/api/admin/chat/reports?{RANGE}{filter}"), root)
        .await["data"]
        .clone();
    (analytics, report)
}

/// `value` without the member `key`.
fn without(value: &Value, key: &str) -> Value {
    let mut value = value.clone();
    value
        .as_object_mut()
        .expect("an object")
        .remove(key)
        .unwrap_or_else(|| panic!("{key} is in {value}"));
    value
}

/// The day series entry of `date` in an analytics or report answer.
fn day<'a>(data: &'a Value, date: &str) -> &'a Value {
    data["days"]
        .as_array()
        .expect("days")
        .iter()
        .find(|d| d["date"] == date)
        .unwrap_or_else(|| panic!("{date} in {data}"))
}

/// How many messages an agent sees in the chat (every row erasure or retention deletes).
async fn message_count(app: &TestApp, root: &str, session_id: &str) -> u64 {
    app.get_ok(&format!("/api/admin/chat/session/{session_id}"), root)
        .await["data"]["messages"]
        .as_array()
        .expect("messages")
        .len() as u64
}

/// The contents of every stored file.
fn stored_files(app_dir: &Path) -> Vec<Vec<u8>> {
    let objects = app_dir.join("frontdesk.db.files").join("objects");
    let mut found = Vec::new();
    for shard in std::fs::read_dir(objects).expect("the objects folder") {
        for file in std::fs::read_dir(shard.expect("a shard").path()).expect("a shard folder") {
            found.push(std::fs::read(file.expect("a file").path()).expect("readable"));
        }
    }
    found.sort();
    found
}

struct Scenario {
    root: String,
    refund: String,
    bug: String,
}

const OLD_FILE: &[u8] = b"invoice 2030-03-05, one kettle\n";
const RECENT_FILE: &[u8] = b"invoice 2030-04-01, one toaster\n";
const OLD_CHATS: [&str; 5] = ["chat_a1", "chat_a2", "chat_b1", "chat_b2", "chat_c1"];
const KEPT_CHATS: [&str; 2] = ["chat_r1", "chat_t1"];

/// Times UTC.
///
/// Day A 10:00: a1 (Xavier answers, ends it, a rates 5; refund) and a2 (Yvonne answers, b ends
///   it and rates 2; bug).
/// Day B 09:00: b1 (Xavier answers, c sends a file, ends and rates 4; refund) and b2 (nobody
///   answers; d ends it).
/// Day C 23:50: c1, answered at 23:55, ended by Xavier at 00:20 on day D and rated 3 at 00:25.
/// Recent (13 days before today) 12:00: r1 (Yvonne answers, f sends a file, ends and rates 5;
///   refund).
/// Today 08:55: t1, open, answered by Xavier at 08:58; the numbers are read at 09:00.
async fn scenario(app: &TestApp) -> Scenario {
    let (_, root) = app.agent("root@example.com", "super_admin").await;
    let (_, xavier) = app.agent("xavier@example.com", "chat_admin").await;
    let (_, yvonne) = app.agent("yvonne@example.com", "chat_admin").await;
    let refund = new_label(app, &root, "Refund").await;
    let bug = new_label(app, &root, "Bug").await;

    move_to(app, DAY_A, "10:00:00");
    for (who, id, text) in [
        ("ua", "chat_a1", "parcel late"),
        ("ub", "chat_a2", "app crashes"),
    ] {
        app.start_session(&user(app, who), Some(id)).await;
        app.send_ok(&user(app, who), id, &format!("{id}_m1"), text)
            .await;
    }
    move_to(app, DAY_A, "10:02:00");
    app.agent_reply(&xavier, "chat_a1", "sorry, checking").await;
    move_to(app, DAY_A, "10:03:00");
    app.send_ok(&user(app, "ua"), "chat_a1", "chat_a1_m2", "thanks")
        .await;
    move_to(app, DAY_A, "10:05:00");
    app.agent_reply(&yvonne, "chat_a2", "which phone?").await;
    move_to(app, DAY_A, "10:10:00");
    end_by_agent(app, &xavier, "chat_a1").await;
    rate(app, "ua", "chat_a1", 5, "great").await;
    put_label(app, &root, "chat_a1", &refund).await;
    move_to(app, DAY_A, "10:20:00");
    end_by_user(app, "ub", "chat_a2").await;
    rate(app, "ub", "chat_a2", 2, "still broken").await;
    put_label(app, &root, "chat_a2", &bug).await;

    move_to(app, DAY_B, "09:00:00");
    for (who, id, text) in [
        ("uc", "chat_b1", "refund please"),
        ("ud", "chat_b2", "hello?"),
    ] {
        app.start_session(&user(app, who), Some(id)).await;
        app.send_ok(&user(app, who), id, &format!("{id}_m1"), text)
            .await;
    }
    move_to(app, DAY_B, "09:01:00");
    app.agent_reply(&xavier, "chat_b1", "send the invoice")
        .await;
    move_to(app, DAY_B, "09:02:00");
    let file = upload_ok(app, &user(app, "uc"), "chat_b1", "invoice.txt", OLD_FILE).await;
    expect_ok(
        "the old invoice is sent",
        send_files(
            app,
            &user(app, "uc"),
            "chat_b1",
            "chat_b1_file",
            None,
            &[id_of(&file)],
        )
        .await,
    );
    move_to(app, DAY_B, "09:05:00");
    end_by_user(app, "uc", "chat_b1").await;
    rate(app, "uc", "chat_b1", 4, "quick").await;
    put_label(app, &root, "chat_b1", &refund).await;
    move_to(app, DAY_B, "09:30:00");
    end_by_user(app, "ud", "chat_b2").await;

    move_to(app, DAY_C, "23:50:00");
    app.start_session(&user(app, "ue"), Some("chat_c1")).await;
    app.send_ok(
        &user(app, "ue"),
        "chat_c1",
        "chat_c1_m1",
        "late night question",
    )
    .await;
    move_to(app, DAY_C, "23:55:00");
    app.agent_reply(&xavier, "chat_c1", "still here").await;
    move_to(app, DAY_D, "00:20:00");
    end_by_agent(app, &xavier, "chat_c1").await;
    move_to(app, DAY_D, "00:25:00");
    rate(app, "ue", "chat_c1", 3, "ok").await;

    move_to(app, RECENT, "12:00:00");
    app.start_session(&user(app, "uf"), Some("chat_r1")).await;
    app.send_ok(&user(app, "uf"), "chat_r1", "chat_r1_m1", "toaster refund")
        .await;
    move_to(app, RECENT, "12:03:00");
    app.agent_reply(&yvonne, "chat_r1", "send the invoice")
        .await;
    let file = upload_ok(app, &user(app, "uf"), "chat_r1", "invoice.txt", RECENT_FILE).await;
    expect_ok(
        "the recent invoice is sent",
        send_files(
            app,
            &user(app, "uf"),
            "chat_r1",
            "chat_r1_file",
            None,
            &[id_of(&file)],
        )
        .await,
    );
    move_to(app, RECENT, "12:10:00");
    end_by_user(app, "uf", "chat_r1").await;
    rate(app, "uf", "chat_r1", 5, "perfect").await;
    put_label(app, &root, "chat_r1", &refund).await;

    move_to(app, TODAY, "08:55:00");
    app.start_session(&user(app, "ug"), Some("chat_t1")).await;
    app.send_ok(&user(app, "ug"), "chat_t1", "chat_t1_m1", "is it open?")
        .await;
    move_to(app, TODAY, "08:58:00");
    app.agent_reply(&xavier, "chat_t1", "it is").await;
    move_to(app, TODAY, "09:00:00");
    Scenario { root, refund, bug }
}

/// The audit events of one action, newest first.
async fn audit_of(app: &TestApp, root: &str, action: &str) -> Vec<Value> {
    app.get_ok(&format!("/api/admin/audit?action={action}"), root)
        .await["data"]["events"]
        .as_array()
        .expect("events")
        .clone()
}

#[tokio::test]
async fn retention_deletes_old_chats_and_past_numbers_stay() {
    let app = still_app(None, DAY_A, "09:00:00", None).await;
    let Scenario { root, refund, bug } = scenario(&app).await;
    let filters = [None, Some(refund.as_str()), Some(bug.as_str())];

    // Counted from the chats, then from the figures the upkeep writes: the same numbers.
    let mut counted = Vec::new();
    for label in filters {
        counted.push(numbers(&app, &root, label).await);
    }
    let done = run_upkeep(&app).await;
    assert_eq!(
        done.days_written, 41,
        "every day from day A to yesterday: {done:?}"
    );
    assert_eq!(done.chats_deleted, 0, "no retention set: {done:?}");
    let mut before = Vec::new();
    for (label, counted) in filters.into_iter().zip(&counted) {
        let written = numbers(&app, &root, label).await;
        assert_eq!(
            &written, counted,
            "written figures read as counted ({label:?})"
        );
        before.push(written);
    }
    let mut old_messages = 0;
    for id in OLD_CHATS.into_iter().chain(KEPT_CHATS) {
        let count = message_count(&app, &root, id).await;
        if OLD_CHATS.contains(&id) {
            old_messages += count;
        }
    }
    assert_eq!(
        stored_files(app.dir.path()),
        [OLD_FILE.to_vec(), RECENT_FILE.to_vec()]
    );
    assert_eq!(
        run_upkeep(&app).await,
        Upkeep::default(),
        "a second upkeep finds nothing to do"
    );

    // The same database, now keeping chats for 30 days.
    let dir = app.stop().await;
    let app = still_app(Some(dir), TODAY, "09:00:00", Some(30)).await;
    let root = app.login("root@example.com").await;
    // The background task runs an upkeep at start too; whichever runs first deletes.
    let done = run_upkeep(&app).await;
    assert!(
        done.chats_deleted == 0 || done.chats_deleted == OLD_CHATS.len(),
        "{done:?}"
    );
    wait_until("the retention deletion is audited", || async {
        !audit_of(&app, &root, "retention_delete").await.is_empty()
    })
    .await;
    let events = audit_of(&app, &root, "retention_delete").await;
    assert_eq!(events.len(), 1, "one deletion, audited once: {events:?}");
    assert_eq!(
        events[0]["detail"],
        json!({ "retentionDays": 30, "chats": 5, "messages": old_messages, "files": 1 })
    );
    assert!(events[0]["sessionId"].is_null() && events[0]["agentId"].is_null());

    for id in OLD_CHATS {
        let (status, body) = app
            .get(&format!("/api/admin/chat/session/{id}"), &root)
            .await;
        assert_error(status, &body, 404, "SESSION_NOT_FOUND");
    }
    for id in KEPT_CHATS {
        app.get_ok(&format!("/api/admin/chat/session/{id}"), &root)
            .await;
    }
    let open = app.get_ok("/api/admin/chat/session/chat_t1", &root).await;
    assert_eq!(open["data"]["status"], "active", "{open}");
    assert_eq!(
        stored_files(app.dir.path()),
        [RECENT_FILE.to_vec()],
        "the deleted chat's file is gone from disk, the recent one stays"
    );
    let history = app.get_ok("/api/chat/history", &user(&app, "uc")).await;
    assert_eq!(history["data"]["sessions"], json!([]), "{history}");

    // Analytics and reports of the deleted days are what they were; only the usage rows of
    // the deleted chats are gone (docs/metrics.md).
    for (label, (analytics, report)) in filters.into_iter().zip(&before) {
        let (analytics_now, report_now) = numbers(&app, &root, label).await;
        assert_eq!(
            without(&analytics_now, "realTimeStats"),
            without(analytics, "realTimeStats"),
            "analytics stay ({label:?})"
        );
        assert_eq!(
            analytics_now["realTimeStats"]["activeSessions"],
            analytics["realTimeStats"]["activeSessions"]
        );
        assert_eq!(
            without(&report_now, "sessions"),
            without(report, "sessions"),
            "reports stay ({label:?})"
        );
        let kept: Vec<Value> = report["sessions"]
            .as_array()
            .expect("usage rows")
            .iter()
            .filter(|row| !OLD_CHATS.contains(&row["sessionId"].as_str().unwrap()))
            .cloned()
            .collect();
        assert_eq!(
            report_now["sessions"],
            Value::from(kept),
            "usage rows of kept chats only ({label:?})"
        );
    }
    let (analytics, report) = &before[0];
    assert_eq!(analytics["dailyStats"]["totalSessions"], 7, "{analytics}");
    assert_eq!(day(analytics, DAY_C)["totalSessions"], 1);
    assert_eq!(
        day(report, DAY_D)["ratingsCount"],
        1,
        "c1's rating, on day D"
    );
    let (refund_numbers, _) = &before[1];
    assert_eq!(refund_numbers["dailyStats"]["totalSessions"], 3);

    assert_eq!(
        run_upkeep(&app).await,
        Upkeep::default(),
        "nothing more to write or delete"
    );
    assert_eq!(audit_of(&app, &root, "retention_delete").await.len(), 1);
}

#[tokio::test]
async fn labelling_a_chat_of_a_written_day_moves_its_figures() {
    let app = still_app(None, DAY_A, "10:00:00", Some(30)).await;
    let (_, root) = app.agent("root@example.com", "super_admin").await;
    let (_, xavier) = app.agent("xavier@example.com", "chat_admin").await;
    let refund = new_label(&app, &root, "Refund").await;
    for (who, id) in [("ua", "chat_l1"), ("ub", "chat_l2")] {
        app.start_session(&user(&app, who), Some(id)).await;
        app.send_ok(&user(&app, who), id, &format!("{id}_m1"), "hello")
            .await;
        app.agent_reply(&xavier, id, "hi").await;
        end_by_agent(&app, &xavier, id).await;
    }
    rate(&app, "ua", "chat_l1", 5, "fine").await;
    move_to(&app, DAY_B, "10:00:00");
    assert_eq!(run_upkeep(&app).await.days_written, 1, "day A is written");

    let all = numbers(&app, &root, None).await;
    let day_a = |data: &Value| day(data, DAY_A).clone();
    let refund_day = || async { day_a(&numbers(&app, &root, Some(&refund)).await.0) };
    assert_eq!(refund_day().await["totalSessions"], 0);

    put_label(&app, &root, "chat_l1", &refund).await;
    let labelled = refund_day().await;
    assert_eq!(labelled["totalSessions"], 1, "{labelled}");
    assert_eq!(labelled["messagesExchanged"], 2, "{labelled}");
    assert_eq!(labelled["ratingsCount"], 1, "{labelled}");
    assert_eq!(labelled["satisfactionScore"], 5.0, "{labelled}");
    let (_, report) = numbers(&app, &root, None).await;
    let row = report["labels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["labelId"] == refund)
        .cloned()
        .expect("the refund row");
    assert_eq!(row["totalSessions"], 1, "{row}");
    let (agents_all, agents_refund) = (
        numbers(&app, &root, None).await.1["agents"].clone(),
        numbers(&app, &root, Some(&refund)).await.1["agents"].clone(),
    );
    let handled = |agents: &Value| -> i64 {
        agents
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["chatsHandled"].as_i64().unwrap())
            .sum()
    };
    assert_eq!((handled(&agents_all), handled(&agents_refund)), (2, 1));
    let now = numbers(&app, &root, None).await;
    assert_eq!(now.0, all.0, "every chat's figures do not move");
    assert_eq!(without(&now.1, "labels"), without(&all.1, "labels"));

    take_label(&app, &root, "chat_l1", &refund).await;
    assert_eq!(
        refund_day().await["totalSessions"],
        0,
        "taken off: moved back"
    );
    put_label(&app, &root, "chat_l1", &refund).await;

    // Deleted by retention, the labelled chat still counts under its label.
    move_to(&app, TODAY, "10:00:00");
    let done = run_upkeep(&app).await;
    assert_eq!(done.chats_deleted, 2, "{done:?}");
    let (status, body) = app.get("/api/admin/chat/session/chat_l1", &root).await;
    assert_error(status, &body, 404, "SESSION_NOT_FOUND");
    assert_eq!(refund_day().await, labelled);
    assert_eq!(
        without(&numbers(&app, &root, None).await.0, "realTimeStats")["days"],
        without(&all.0, "realTimeStats")["days"],
    );
}

/// The text of the element with id `retention-policy`.
fn policy_text(page: &str) -> String {
    let start = page
        .find("id=\"retention-policy\"")
        .unwrap_or_else(|| panic!("the policy is on the page: {page}"));
    let open = start + page[start..].find('>').expect("the tag closes") + 1;
    let close = open + page[open..].find('<').expect("the element closes");
    page[open..close].to_string()
}

#[tokio::test]
async fn the_analytics_page_states_the_retention_policy() {
    for (days, expected) in [
        (
            Some(30),
            "Chats are deleted 30 days after they end (RETENTION_DAYS=30)",
        ),
        (
            Some(1),
            "Chats are deleted a day after they end (RETENTION_DAYS=1)",
        ),
        (
            None,
            "Every chat is kept: no retention period is set (RETENTION_DAYS).",
        ),
    ] {
        let app = TestApp::spawn_with(|s| s.retention_days = days).await;
        app.create_agent("root@example.com", "Root", "super_admin")
            .await;
        app.create_agent("sam@example.com", "Sam", "support_admin")
            .await;
        for email in ["root@example.com", "sam@example.com"] {
            let mut b = Browser::sign_in(&app, email).await;
            let page = b.get_ok("/admin/analytics").await;
            let text = policy_text(&page);
            assert!(text.starts_with(expected), "{days:?}, {email}: {text:?}");
            if days.is_some() {
                assert!(text.contains("figures of past days stay"), "{text:?}");
            }
        }
    }
}

#[test]
fn a_bad_retention_setting_stops_start_up_with_one_line_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("retention.db");
    for value in ["-1", "abc", "36501", "1.5", ""] {
        let (ok, _, stderr) =
            crate::process::run(&db, &["migrate"], &[("RETENTION_DAYS", value)], None);
        assert!(!ok, "RETENTION_DAYS={value:?} should stop start-up");
        let lines: Vec<_> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len(), 1, "one line for {value:?}: {stderr:?}");
        assert!(lines[0].contains("RETENTION_DAYS"), "named in {stderr:?}");
    }
    assert!(!db.exists(), "nothing was created");
    let config = dir.path().join("frontdesk.toml");
    std::fs::write(&config, "retention_days = 36501\n").unwrap();
    let (ok, _, stderr) = crate::process::run(
        &db,
        &["migrate"],
        &[("FRONTDESK_CONFIG", config.to_str().unwrap())],
        None,
    );
    assert!(!ok, "a config file's value is bounded too");
    let lines: Vec<_> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{stderr:?}");
    assert!(
        lines[0].to_lowercase().contains("retention_days"),
        "{stderr:?}"
    );
    for value in ["0", "1", "36500"] {
        let (ok, _, stderr) =
            crate::process::run(&db, &["migrate"], &[("RETENTION_DAYS", value)], None);
        assert!(ok, "RETENTION_DAYS={value} is accepted: {stderr}");
    }
}

#[tokio::test]
async fn a_file_shared_with_a_kept_chat_stays() {
    let app = still_app(None, DAY_A, "10:00:00", Some(30)).await;
    let (_, root) = app.agent("root@example.com", "super_admin").await;
    const SAME: &[u8] = b"the same invoice, sent twice\n";
    for (who, id) in [("ua", "chat_old"), ("ub", "chat_new")] {
        if id == "chat_new" {
            move_to(&app, RECENT, "10:00:00");
        }
        app.start_session(&user(&app, who), Some(id)).await;
        let file = upload_ok(&app, &user(&app, who), id, "invoice.txt", SAME).await;
        expect_ok(
            "sent",
            send_files(
                &app,
                &user(&app, who),
                id,
                &format!("{id}_f"),
                None,
                &[id_of(&file)],
            )
            .await,
        );
        end_by_user(&app, who, id).await;
    }
    move_to(&app, TODAY, "10:00:00");
    let done = run_upkeep(&app).await;
    assert_eq!((done.chats_deleted, done.files_deleted), (1, 0), "{done:?}");
    assert_eq!(stored_files(app.dir.path()), [SAME.to_vec()]);
    let chat = app.get_ok("/api/admin/chat/session/chat_new", &root).await;
    let url = chat["data"]["messages"][0]["attachments"][0]["url"]
        .as_str()
        .expect("a link")
        .to_string();
    let (status, _, bytes) = crate::attachments::fetch(&app, &url, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(bytes, SAME);
}

#[tokio::test]
async fn one_upkeep_deletes_every_batch_and_passes_over_chats_not_ready() {
    let app = still_app(None, DAY_A, "10:00:00", Some(30)).await;
    let (_, root) = app.agent("root@example.com", "super_admin").await;
    let many = frontdesk::service::retention::BATCH + 5;
    // First in the walk (it ends first), but rated only today: today's figures are not
    // written yet, so it waits, and the chats after it are deleted all the same.
    app.start_session(&user(&app, "late"), Some("chat_0000_late"))
        .await;
    end_by_user(&app, "late", "chat_0000_late").await;
    move_to(&app, DAY_A, "10:01:00");
    for i in 0..many {
        let (who, id) = (format!("u{i}"), format!("chat_{i:04}"));
        app.start_session(&user(&app, &who), Some(&id)).await;
        end_by_user(&app, &who, &id).await;
    }
    move_to(&app, TODAY, "10:00:00");
    rate(&app, "late", "chat_0000_late", 4, "better late").await;

    let done = run_upkeep(&app).await;
    assert_eq!(done.chats_deleted, many, "{done:?}");
    let events = audit_of(&app, &root, "retention_delete").await;
    assert_eq!(events.len(), 1, "one event for the whole run: {events:?}");
    assert_eq!(events[0]["detail"]["chats"], many);
    for id in ["chat_0000", &format!("chat_{:04}", many - 1)] {
        let (status, body) = app
            .get(&format!("/api/admin/chat/session/{id}"), &root)
            .await;
        assert_error(status, &body, 404, "SESSION_NOT_FOUND");
    }
    app.get_ok("/api/admin/chat/session/chat_0000_late", &root)
        .await;

    move_to(&app, "2030-04-15", "10:00:00");
    let done = run_upkeep(&app).await;
    assert_eq!(
        (done.days_written, done.chats_deleted),
        (1, 1),
        "once the rating's day is written, the late chat goes too: {done:?}"
    );
    let (analytics, _) = numbers(&app, &root, None).await;
    assert_eq!(
        day(&analytics, DAY_A)["totalSessions"],
        many + 1,
        "{analytics}"
    );
    assert_eq!(day(&analytics, TODAY)["ratingsCount"], 1, "{analytics}");
}
