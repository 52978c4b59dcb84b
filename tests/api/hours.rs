//! Business hours: `GET /api/chat/availability` on a controlled clock (a schedule boundary,
//! daylight-saving changes, closed dates, no agents online), and `GET/PUT
//! /api/admin/settings/hours` per role and with bad input.

use std::time::Duration;

use frontdesk::clock::Clock;
use frontdesk::domain::Timestamp;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

const HOURS: &str = "/api/admin/settings/hours";
const AVAILABILITY: &str = "/api/chat/availability";
const DEFAULT_AWAY: &str = "We're away right now. Leave a message and we'll reply by email.";

fn at(rfc3339: &str) -> Timestamp {
    Timestamp::parse_rfc3339(rfc3339).expect("a valid timestamp")
}

/// A server whose clock stands still at `start` until the test moves it.
async fn app_at(start: &str, offline_when_no_agents: bool) -> TestApp {
    TestApp::spawn_with(|s| {
        s.clock = Clock::fixed(at(start));
        s.widget.offline_when_no_agents = offline_when_no_agents;
    })
    .await
}

/// Moves the fixed clock forward to `to`.
fn advance_to(app: &TestApp, to: &str) {
    let now = app.clock.now();
    let target = at(to);
    assert!(target >= now, "the clock only moves forward");
    app.clock
        .advance(Duration::from_millis((target.0 - now.0) as u64));
}

/// Enabled hours in `zone`, the same intervals every day of the week.
fn every_day(zone: &str, intervals: Value) -> Value {
    json!({
        "enabled": true,
        "timeZone": zone,
        "weekly": {
            "mon": intervals, "tue": intervals, "wed": intervals, "thu": intervals,
            "fri": intervals, "sat": intervals, "sun": intervals,
        },
        "closedDates": [],
        "awayMessage": "Back soon.",
    })
}

/// The defaults as the API shows them.
fn defaults() -> Value {
    let workday = json!([{ "open": "09:00", "close": "17:00" }]);
    json!({
        "enabled": false,
        "timeZone": "UTC",
        "weekly": {
            "mon": workday, "tue": workday, "wed": workday, "thu": workday, "fri": workday,
            "sat": [], "sun": [],
        },
        "closedDates": [],
        "awayMessage": DEFAULT_AWAY,
    })
}

async fn super_admin(app: &TestApp) -> String {
    app.agent("root@example.com", "super_admin").await.1
}

async fn put_hours(app: &TestApp, token: &str, hours: Value) -> Value {
    app.put_ok(HOURS, token, hours).await["data"].clone()
}

/// The availability answer's data, checking the envelope (no token is sent).
async fn availability(app: &TestApp) -> Value {
    let (status, body) = app.request(Method::GET, AVAILABILITY, None, None).await;
    expect_ok("availability", (status, body))["data"].clone()
}

fn assert_open(a: &Value) {
    assert_eq!(
        a,
        &json!({ "online": true, "reason": "open", "nextOpenAt": null, "message": "" })
    );
}

#[tokio::test]
async fn availability_changes_at_a_schedule_boundary() {
    // 2026-12-04 is a Friday.
    let app = app_at("2026-12-04T16:58:00Z", false).await;
    let root = super_admin(&app).await;
    assert_open(&availability(&app).await);
    let mut hours = defaults();
    hours["enabled"] = json!(true);
    put_hours(&app, &root, hours).await;

    assert_open(&availability(&app).await);
    advance_to(&app, "2026-12-04T16:59:59.999Z");
    assert_open(&availability(&app).await);
    advance_to(&app, "2026-12-04T17:00:00Z");
    assert_eq!(
        availability(&app).await,
        json!({
            "online": false,
            "reason": "closed",
            "nextOpenAt": "2026-12-07T09:00:00.000Z",
            "message": DEFAULT_AWAY,
        }),
        "Friday at five waits for Monday at nine"
    );
    advance_to(&app, "2026-12-07T09:00:00Z");
    assert_open(&availability(&app).await);
}

#[tokio::test]
async fn availability_follows_daylight_saving_changes_both_ways() {
    // Berlin: 2026-03-29 02:00 CET -> 03:00 CEST; 2026-10-25 03:00 CEST -> 02:00 CET.
    let app = app_at("2026-03-28T20:00:00Z", false).await;
    let root = super_admin(&app).await;
    put_hours(
        &app,
        &root,
        every_day(
            "Europe/Berlin",
            json!([{ "open": "09:00", "close": "17:00" }]),
        ),
    )
    .await;
    let a = availability(&app).await;
    assert_eq!(a["reason"], "closed");
    assert_eq!(
        a["nextOpenAt"], "2026-03-29T07:00:00.000Z",
        "09:00 summer time is 07:00 UTC"
    );
    advance_to(&app, "2026-03-29T07:00:00Z");
    assert_open(&availability(&app).await);
    advance_to(&app, "2026-03-29T15:00:00Z");
    assert_eq!(availability(&app).await["reason"], "closed", "17:00 CEST");

    advance_to(&app, "2026-10-24T20:00:00Z");
    let a = availability(&app).await;
    assert_eq!(a["reason"], "closed");
    assert_eq!(
        a["nextOpenAt"], "2026-10-25T08:00:00.000Z",
        "09:00 winter time is 08:00 UTC"
    );
    advance_to(&app, "2026-10-25T07:30:00Z");
    assert_eq!(availability(&app).await["reason"], "closed", "08:30 CET");
    advance_to(&app, "2026-10-25T08:00:00Z");
    assert_open(&availability(&app).await);

    // An opening inside the spring-forward gap opens when the clock jumps past it.
    let root = app.login("root@example.com").await;
    put_hours(
        &app,
        &root,
        every_day(
            "Europe/Berlin",
            json!([{ "open": "02:30", "close": "04:00" }]),
        ),
    )
    .await;
    advance_to(&app, "2027-03-28T00:30:00Z");
    assert_eq!(
        availability(&app).await["nextOpenAt"],
        "2027-03-28T01:00:00.000Z"
    );
}

#[tokio::test]
async fn closed_dates_close_the_whole_local_day() {
    // 2026-12-24 10:00 in New York (UTC-5), a Thursday.
    let app = app_at("2026-12-24T15:00:00Z", false).await;
    let root = super_admin(&app).await;
    let mut hours = every_day(
        "America/New_York",
        json!([{ "open": "09:00", "close": "17:00" }]),
    );
    hours["closedDates"] = json!(["2026-12-25", "2026-12-24"]);
    let saved = put_hours(&app, &root, hours).await;
    assert_eq!(saved["closedDates"], json!(["2026-12-24", "2026-12-25"]));
    let a = availability(&app).await;
    assert_eq!(a["reason"], "closed");
    assert_eq!(a["message"], "Back soon.");
    assert_eq!(a["nextOpenAt"], "2026-12-26T14:00:00.000Z");
    // Just after midnight UTC it is still the evening of the 25th in New York.
    advance_to(&app, "2026-12-26T02:00:00Z");
    assert_eq!(
        availability(&app).await["nextOpenAt"],
        "2026-12-26T14:00:00.000Z"
    );
    advance_to(&app, "2026-12-26T14:00:00Z");
    assert_open(&availability(&app).await);
}

#[tokio::test]
async fn a_schedule_with_no_open_interval_never_reopens() {
    let app = app_at("2026-06-10T12:00:00Z", false).await;
    let root = super_admin(&app).await;
    put_hours(&app, &root, every_day("Asia/Tokyo", json!([]))).await;
    assert_eq!(
        availability(&app).await,
        json!({ "online": false, "reason": "closed", "nextOpenAt": null, "message": "Back soon." })
    );
}

#[tokio::test]
async fn no_agents_online_is_offline_only_when_the_setting_says_so() {
    let app = app_at("2026-06-10T12:00:00Z", true).await;
    app.create_agent("ann@example.com", "Ann", "chat_admin")
        .await;
    let away = json!({
        "online": false, "reason": "no_agents", "nextOpenAt": null, "message": DEFAULT_AWAY,
    });
    assert_eq!(availability(&app).await, away, "nobody has signed in");

    let ann = app.login("ann@example.com").await;
    assert_open(&availability(&app).await);
    expect_ok(
        "going offline",
        app.put("/api/admin/me/status", &ann, json!({ "status": "offline" }))
            .await,
    );
    assert_eq!(availability(&app).await, away, "Ann said she is offline");
    expect_ok(
        "coming back",
        app.put("/api/admin/me/status", &ann, json!({ "status": "online" }))
            .await,
    );
    assert_open(&availability(&app).await);
    app.clock.advance(Duration::from_secs(121));
    assert_eq!(
        availability(&app).await,
        away,
        "not seen for over two minutes"
    );

    // Outside hours the answer is "closed", agents or not.
    let root = super_admin(&app).await;
    put_hours(&app, &root, every_day("UTC", json!([]))).await;
    assert_eq!(availability(&app).await["reason"], "closed");

    // With the setting off, nobody online is still open.
    let relaxed = app_at("2026-06-10T12:00:00Z", false).await;
    assert_open(&availability(&relaxed).await);
}

#[tokio::test]
async fn every_agent_reads_the_hours_and_only_super_admins_change_them() {
    let app = TestApp::spawn().await;
    let root = super_admin(&app).await;
    let (_, chat) = app.agent("chat@example.com", "chat_admin").await;
    let (_, support) = app.agent("support@example.com", "support_admin").await;
    for token in [&root, &chat, &support] {
        assert_eq!(app.get_ok(HOURS, token).await["data"], defaults());
    }
    let (status, body) = app.request(Method::GET, HOURS, None, None).await;
    assert_error(status, &body, 401, "AUTHENTICATION_FAILED");

    let audits = "SELECT COUNT(*) FROM audit_events WHERE action = 'hours_update'";
    let wanted = every_day(
        "Europe/Berlin",
        json!([{ "open": "08:00", "close": "12:00" }]),
    );
    for token in [&chat, &support] {
        let (status, body) = app.put(HOURS, token, wanted.clone()).await;
        assert_error(status, &body, 403, "FORBIDDEN");
    }
    let (status, body) = app
        .request(Method::PUT, HOURS, None, Some(wanted.clone()))
        .await;
    assert_error(status, &body, 401, "AUTHENTICATION_FAILED");
    let (status, body) = app.put(HOURS, "not-a-token", wanted.clone()).await;
    assert_error(status, &body, 401, "AUTHENTICATION_FAILED");
    assert_eq!(app.count_rows(audits), 0);
    assert_eq!(app.get_ok(HOURS, &root).await["data"], defaults());

    // Up to four intervals a day, sorted; touching intervals are fine.
    let mut wanted = wanted;
    wanted["weekly"]["sat"] = json!([
        { "open": "18:00", "close": "24:00" },
        { "open": "08:00", "close": "12:00" },
        { "open": "12:00", "close": "13:00" },
        { "open": "14:00", "close": "15:00" },
    ]);
    let saved = put_hours(&app, &root, wanted.clone()).await;
    assert_eq!(
        saved["weekly"]["sat"],
        json!([
            { "open": "08:00", "close": "12:00" },
            { "open": "12:00", "close": "13:00" },
            { "open": "14:00", "close": "15:00" },
            { "open": "18:00", "close": "24:00" },
        ])
    );
    assert_eq!(app.get_ok(HOURS, &chat).await["data"], saved);
    assert_eq!(app.count_rows(audits), 1, "the change is audited");
    let log = app
        .get_ok("/api/admin/audit?action=hours_update", &root)
        .await;
    assert_eq!(log["data"]["events"][0]["action"], "hours_update", "{log}");
}

/// Sends `body` as-is with a JSON content type.
async fn put_raw(app: &TestApp, token: &str, body: String) -> (StatusCode, Value) {
    let response = app
        .client
        .put(app.url(HOURS))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("request sent");
    decode(response).await
}

#[tokio::test]
async fn bad_hours_are_refused_with_a_reason_and_change_nothing() {
    let app = TestApp::spawn().await;
    let root = super_admin(&app).await;
    let good = every_day("UTC", json!([{ "open": "09:00", "close": "17:00" }]));
    let with = |path: &[&str], value: Value| {
        let mut body = good.clone();
        let mut slot = &mut body;
        for key in path {
            slot = &mut slot[*key];
        }
        *slot = value;
        body
    };
    let without = |key: &str| {
        let mut body = good.clone();
        body.as_object_mut().unwrap().remove(key);
        body
    };
    let cases: Vec<(&str, Value)> = vec![
        ("enabled as text", with(&["enabled"], json!("yes"))),
        (
            "the document as a list of its fields",
            json!([
                good["enabled"],
                good["timeZone"],
                good["weekly"],
                good["closedDates"],
                good["awayMessage"]
            ]),
        ),
        ("weekly as a list", with(&["weekly"], json!([]))),
        (
            "a day as an object",
            with(&["weekly", "mon"], json!({ "open": "09:00" })),
        ),
        (
            "a time as a number",
            with(
                &["weekly", "mon"],
                json!([{ "open": 900, "close": "17:00" }]),
            ),
        ),
        (
            "closedDates as text",
            with(&["closedDates"], json!("2026-12-25")),
        ),
        ("awayMessage as a number", with(&["awayMessage"], json!(42))),
        ("no awayMessage", without("awayMessage")),
        ("no timeZone", without("timeZone")),
        ("no weekly", without("weekly")),
        ("a missing day", {
            let mut body = good.clone();
            body["weekly"].as_object_mut().unwrap().remove("sun");
            body
        }),
        ("an unknown key", with(&["timezone"], json!("UTC"))),
        ("an unknown day", with(&["weekly", "holiday"], json!([]))),
        (
            "an unknown interval key",
            with(
                &["weekly", "mon"],
                json!([{ "open": "09:00", "close": "17:00", "note": "x" }]),
            ),
        ),
        (
            "an unknown time zone",
            with(&["timeZone"], json!("Mars/Olympus_Mons")),
        ),
        (
            "a 10 KB time zone",
            with(&["timeZone"], json!("x".repeat(10_240))),
        ),
        (
            "25:00",
            with(
                &["weekly", "tue"],
                json!([{ "open": "09:00", "close": "25:00" }]),
            ),
        ),
        (
            "24:00 as an opening",
            with(
                &["weekly", "tue"],
                json!([{ "open": "24:00", "close": "24:00" }]),
            ),
        ),
        (
            "9:00",
            with(
                &["weekly", "tue"],
                json!([{ "open": "9:00", "close": "17:00" }]),
            ),
        ),
        (
            "opening after closing",
            with(
                &["weekly", "wed"],
                json!([{ "open": "17:00", "close": "09:00" }]),
            ),
        ),
        (
            "opening at closing",
            with(
                &["weekly", "wed"],
                json!([{ "open": "09:00", "close": "09:00" }]),
            ),
        ),
        (
            "overlapping intervals",
            with(
                &["weekly", "thu"],
                json!([
                    { "open": "09:00", "close": "13:00" }, { "open": "12:00", "close": "17:00" },
                ]),
            ),
        ),
        (
            "five intervals",
            with(
                &["weekly", "fri"],
                json!([
                    { "open": "01:00", "close": "02:00" }, { "open": "03:00", "close": "04:00" },
                    { "open": "05:00", "close": "06:00" }, { "open": "07:00", "close": "08:00" },
                    { "open": "09:00", "close": "10:00" },
                ]),
            ),
        ),
        (
            "a 10 KB away message",
            with(&["awayMessage"], json!("x".repeat(10_240))),
        ),
        (
            "an empty away message",
            with(&["awayMessage"], json!("   ")),
        ),
        (
            "1000 closed dates",
            with(&["closedDates"], json!(vec!["2026-12-25"; 1000])),
        ),
        (
            "a closed date that is not a date",
            with(&["closedDates"], json!(["2026-02-30"])),
        ),
        (
            "a closed date in another format",
            with(&["closedDates"], json!(["25/12/2026"])),
        ),
        ("a body that is not an object", json!(["enabled"])),
    ];
    for (what, body) in cases {
        let (status, answer) = app.put(HOURS, &root, body).await;
        assert_error(status, &answer, 400, "VALIDATION_ERROR");
        let message = answer["message"].as_str().unwrap();
        assert!(
            message.len() < 400,
            "{what}: the reason is short: {message}"
        );
        println!("{what}: {message}");
    }
    for (what, raw) in [
        ("malformed JSON", "{\"enabled\": true,".to_string()),
        ("trailing garbage", format!("{good} x")),
        ("empty body", String::new()),
    ] {
        let (status, answer) = put_raw(&app, &root, raw).await;
        assert_error(status, &answer, 400, "VALIDATION_ERROR");
        println!("{what}: {}", answer["message"]);
    }
    let (status, answer) = app
        .put(
            HOURS,
            &root,
            with(&["timeZone"], json!("Mars/Olympus_Mons")),
        )
        .await;
    assert_error(status, &answer, 400, "VALIDATION_ERROR");
    assert_eq!(answer["error"]["details"]["field"], "timeZone");

    assert_eq!(
        app.get_ok(HOURS, &root).await["data"],
        defaults(),
        "nothing changed"
    );
    assert_eq!(
        app.count_rows("SELECT COUNT(*) FROM audit_events WHERE action = 'hours_update'"),
        0
    );
    // The limits themselves are accepted.
    let mut dates = Vec::new();
    let mut day = chrono::NaiveDate::from_ymd_opt(2027, 1, 1).unwrap();
    for _ in 0..366 {
        dates.push(day.format("%Y-%m-%d").to_string());
        day = day.succ_opt().unwrap();
    }
    let mut body = with(&["awayMessage"], json!("é".repeat(1000)));
    body["closedDates"] = json!(dates);
    let saved = put_hours(&app, &root, body).await;
    assert_eq!(saved["closedDates"].as_array().unwrap().len(), 366);
}

#[tokio::test]
async fn markup_in_the_away_message_is_kept_as_text() {
    let app = app_at("2026-06-10T12:00:00Z", false).await;
    let root = super_admin(&app).await;
    let hostile = "<script>alert(1)</script> <img src=x onerror=alert(1)> & \"quotes\"";
    let mut hours = every_day("UTC", json!([]));
    hours["awayMessage"] = json!(hostile);
    let saved = put_hours(&app, &root, hours).await;
    assert_eq!(saved["awayMessage"], hostile);
    assert_eq!(
        app.get_ok(HOURS, &root).await["data"]["awayMessage"],
        hostile
    );
    let response = app
        .client
        .get(app.url(AVAILABILITY))
        .send()
        .await
        .expect("request sent");
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let (status, body) = decode(response).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["message"], hostile);
}
