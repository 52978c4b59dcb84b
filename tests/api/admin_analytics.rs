//! Analytics and reports checked against a scripted scenario whose right answers are worked
//! out by hand below, on a clock that moves only when the script moves it.

use std::time::Duration;

use frontdesk::clock::Clock;
use frontdesk::domain::Timestamp;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

const DAY_ONE: &str = "2030-03-04";
const DAY_TWO: &str = "2030-03-05";

fn at(date: &str, hms: &str) -> Timestamp {
    let t = chrono::DateTime::parse_from_rfc3339(&format!("{date}T{hms}Z")).unwrap();
    Timestamp(t.timestamp_millis())
}

/// The scenario (times UTC):
///
/// Day one, 01:00: users a, b and c start chats A, B, C; a and b each write.
///   01:02 Xavier answers A (first response 120 s)      01:05 Yvonne answers B (300 s)
///   01:06 a writes again, Xavier answers               01:10 Xavier ends A (600 s); a rates 5
///   01:15 b ends B with rating 3 (900 s)               C says nothing and expires at 01:30 (1800 s)
/// Day two, 01:00: users d and e start D and E and write.
///   01:01 Xavier answers D (60 s)                      01:02 d ends D with rating 4 (120 s)
///   E is still waiting (120 s) when the numbers are read at 01:02.
async fn scenario() -> (TestApp, String) {
    let clock = Clock::fixed(at(DAY_ONE, "00:55:00"));
    let app = TestApp::spawn_with(|s| {
        s.clock = clock.clone();
        // Token expiry follows this clock: the agents' tokens must outlive the scripted day.
        s.agent_token_ttl = Duration::from_secs(48 * 3600);
    })
    .await;
    let (_, root) = app.agent("root@example.com", "super_admin").await;
    let (_, xavier) = app.agent("xavier@example.com", "chat_admin").await;
    let (_, yvonne) = app.agent("yvonne@example.com", "chat_admin").await;
    app.create_agent("zed@example.com", "=HYPERLINK(\"x\"), Zed", "support_admin")
        .await;
    let step = |minutes: u64| app.clock.advance(Duration::from_secs(minutes * 60));
    let user = |name: &str| app.user_token(name);

    step(5); // 01:00
    for (u, id) in [("a", "chat_a"), ("b", "chat_b"), ("c", "chat_c")] {
        app.start_session(&user(u), Some(id)).await;
    }
    app.send_ok(&user("a"), "chat_a", "msg_a1", "where is my parcel?")
        .await;
    app.send_ok(&user("b"), "chat_b", "msg_b1", "refund please")
        .await;
    step(2); // 01:02
    app.agent_reply(&xavier, "chat_a", "checking").await;
    step(3); // 01:05
    app.agent_reply(&yvonne, "chat_b", "sure").await;
    step(1); // 01:06
    app.send_ok(&user("a"), "chat_a", "msg_a2", "thanks").await;
    app.agent_reply(&xavier, "chat_a", "it arrives today").await;
    step(4); // 01:10
    app.post_ok(
        "/api/admin/chat/session/end",
        &xavier,
        json!({ "sessionId": "chat_a", "endReason": "answered" }),
    )
    .await;
    let (status, _) = app
        .post(
            "/api/chat/rating",
            &user("a"),
            json!({ "sessionId": "chat_a", "rating": 5 }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    step(5); // 01:15
    let (status, _) = app
        .post(
            "/api/chat/session/end",
            &user("b"),
            json!({ "sessionId": "chat_b", "rating": 3, "feedback": "slow" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    step(16); // 01:31
    app.maintenance().await;

    app.clock.advance(Duration::from_millis(
        (at(DAY_TWO, "01:00:00").0 - app.clock.now().0) as u64,
    ));
    app.start_session(&user("d"), Some("chat_d")).await;
    app.start_session(&user("e"), Some("chat_e")).await;
    app.send_ok(&user("d"), "chat_d", "msg_d1", "hello").await;
    app.send_ok(&user("e"), "chat_e", "msg_e1", "anyone?").await;
    step(1); // 01:01
    app.agent_reply(&xavier, "chat_d", "hi d").await;
    step(1); // 01:02
    app.post_ok(
        "/api/chat/session/end",
        &user("d"),
        json!({ "sessionId": "chat_d", "rating": 4 }),
    )
    .await;
    (app, root)
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

fn with_date(date: &str, mut m: Value) -> Value {
    m["date"] = json!(date);
    m
}

#[tokio::test]
async fn analytics_match_the_hand_worked_scenario() {
    let (app, root) = scenario().await;
    let (status, body) = app
        .get(
            &format!("/api/admin/chat/analytics?from={DAY_ONE}&to={DAY_TWO}"),
            &root,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let d = &body["data"];
    // Durations: A 600, B 900, C 1800 (expired), D 120 -> 3420 / 4 = 855 s. First responses:
    // 120, 300, 60 -> 160 s. Resolved: A, B, D of the four ended (C expired) -> 75 %.
    // Ratings 5, 3, 4 -> 4.0, two of three are 4 or 5 -> 66.7 %. Messages: 6 + 3 (no system ones).
    assert_eq!(
        d["dailyStats"],
        metrics([5, 855, 9], [4.0, 66.7, 75.0], [160, 3])
    );
    assert_eq!(
        d["days"],
        json!([
            with_date(DAY_ONE, metrics([3, 1100, 6], [4.0, 50.0, 66.7], [210, 2])),
            with_date(DAY_TWO, metrics([2, 120, 3], [4.0, 100.0, 100.0], [60, 1])),
        ])
    );
    // Now (day two, 01:02): E is active and has waited 120 s; Xavier (seen at 01:01) and the
    // super admin (seen by this very request) can take chats; Yvonne was last seen yesterday.
    assert_eq!(
        d["realTimeStats"],
        json!({ "activeSessions": 1, "waitingCustomers": 1, "availableAdmins": 2, "averageWaitTime": 120 })
    );
    assert_eq!(d["ratingDistribution"], json!([0, 0, 1, 1, 1]));
    let mut hours = vec![0; 24];
    hours[1] = 5;
    assert_eq!(d["busiestHours"], json!(hours));
    assert_eq!(d["range"], json!({ "from": DAY_ONE, "to": DAY_TWO }));

    // A day with nothing in it is all zeros and nulls.
    let empty = app
        .get_ok(
            "/api/admin/chat/analytics?from=2030-01-01&to=2030-01-01",
            &root,
        )
        .await;
    assert_eq!(
        empty["data"]["dailyStats"],
        json!({
            "totalSessions": 0, "averageDuration": null, "messagesExchanged": 0, "satisfactionScore": null,
            "csatPercent": null, "resolutionRate": null, "averageFirstResponseTime": null, "ratingsCount": 0
        })
    );
    for bad in [
        "from=2030-03-05&to=2030-03-04",
        "from=yesterday",
        "to=2030-13-01",
        "from=2020-01-01&to=2030-01-01",
    ] {
        let (status, body) = app
            .get(&format!("/api/admin/chat/analytics?{bad}"), &root)
            .await;
        assert_error(status, &body, 400, "VALIDATION_ERROR");
    }
}

#[tokio::test]
async fn reports_as_json_and_csv_agree() {
    let (app, root) = scenario().await;
    let range = format!("from={DAY_ONE}&to={DAY_TWO}");
    let (status, body) = app
        .get(&format!("/api/admin/chat/reports?{range}"), &root)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let report = &body["data"];
    let agent = |email: &str| {
        report["agents"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["email"] == email)
            .unwrap()
            .clone()
    };
    let x = agent("xavier@example.com");
    assert_eq!(
        (
            x["chatsHandled"].as_i64(),
            x["messagesSent"].as_i64(),
            x["chatsEnded"].as_i64()
        ),
        (Some(2), Some(3), Some(1))
    );
    assert_eq!(x["averageFirstResponseTime"], 90, "(120 + 60) / 2");
    assert_eq!(
        (
            x["ratingsCount"].clone(),
            x["satisfactionScore"].clone(),
            x["csatPercent"].clone()
        ),
        (json!(2), json!(4.5), json!(100.0))
    );
    let y = agent("yvonne@example.com");
    assert_eq!(
        (
            y["chatsHandled"].clone(),
            y["averageFirstResponseTime"].clone(),
            y["satisfactionScore"].clone()
        ),
        (json!(1), json!(300), json!(3.0))
    );
    let r = agent("root@example.com");
    assert_eq!(
        (
            r["messagesSent"].clone(),
            r["averageFirstResponseTime"].clone()
        ),
        (json!(0), Value::Null)
    );

    let usage: Vec<(String, i64, i64, i64, i64)> = report["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["sessionId"].as_str().unwrap().to_string(),
                s["userMessages"].as_i64().unwrap(),
                s["agentMessages"].as_i64().unwrap(),
                s["messageCount"].as_i64().unwrap(),
                s["minutesUsed"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        usage,
        vec![
            ("chat_a".into(), 2, 2, 4, 10),
            ("chat_b".into(), 1, 1, 2, 15),
            ("chat_c".into(), 0, 0, 0, 30),
            ("chat_d".into(), 1, 1, 2, 2),
            ("chat_e".into(), 1, 0, 1, 2),
        ]
    );

    for (table, rows) in [
        ("days", &report["days"]),
        ("agents", &report["agents"]),
        ("sessions", &report["sessions"]),
    ] {
        let response = app
            .client
            .get(app.url(&format!(
                "/api/admin/chat/reports?{range}&format=csv&table={table}"
            )))
            .bearer_auth(&root)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/csv")
        );
        assert!(
            response.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .contains(".csv")
        );
        let text = response.text().await.unwrap();
        assert!(text.contains("\r\n"), "RFC 4180 line ends");
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let headers: Vec<String> = reader
            .headers()
            .unwrap()
            .iter()
            .map(str::to_string)
            .collect();
        let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        let rows = rows.as_array().unwrap();
        assert_eq!(records.len(), rows.len(), "{table}");
        for (record, row) in records.iter().zip(rows) {
            for (header, field) in headers.iter().zip(record.iter()) {
                let expected = match &row[header] {
                    Value::Null => String::new(),
                    Value::String(s) if s.starts_with(['=', '+', '-', '@']) => format!("'{s}"),
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                assert_eq!(field, expected, "{table}.{header}");
            }
        }
        if table == "agents" {
            assert!(
                text.contains(r#""'=HYPERLINK(""x""), Zed""#),
                "quoted and defused: {text}"
            );
        }
    }
    for bad in ["format=xml", "format=csv&table=everything"] {
        let (status, body) = app
            .get(&format!("/api/admin/chat/reports?{range}&{bad}"), &root)
            .await;
        assert_error(status, &body, 400, "VALIDATION_ERROR");
    }
}
