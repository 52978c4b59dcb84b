//! The business hours page: super admins edit it with CSRF, other roles read it, and the away
//! message is escaped.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::client::Browser;
use crate::helpers::*;

const PAGE: &str = "/admin/settings/hours";
const HOSTILE: &str = "<script>alert(1)</script><img src=x onerror=alert(1)>";

/// A whole week's form: Monday split in two, Tuesday to Friday 09:00-17:00, weekend closed.
fn week_form() -> Vec<(&'static str, &'static str)> {
    let mut fields = vec![
        ("enabled", "on"),
        ("time_zone", "Europe/Berlin"),
        ("mon_open", "08:00"),
        ("mon_close", "12:00"),
        ("mon_open", "13:00"),
        ("mon_close", "18:00"),
    ];
    for day in ["tue", "wed", "thu", "fri"] {
        fields.push((leak(format!("{day}_open")), "09:00"));
        fields.push((leak(format!("{day}_close")), "17:00"));
    }
    for day in ["sat", "sun"] {
        fields.push((leak(format!("{day}_open")), ""));
        fields.push((leak(format!("{day}_close")), ""));
    }
    fields.push(("closed_dates", "2026-12-26\r\n\r\n2026-12-25\r\n"));
    fields.push(("away_message", HOSTILE));
    fields
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

async fn hours_over_api(app: &TestApp, token: &str) -> Value {
    app.get_ok("/api/admin/settings/hours", token).await["data"].clone()
}

#[tokio::test]
async fn super_admins_see_and_save_the_hours_form() {
    let app = TestApp::spawn().await;
    app.create_agent("root@example.com", "Root", "super_admin")
        .await;
    let mut b = Browser::sign_in(&app, "root@example.com").await;
    let html = b.get(PAGE).await.ok("hours page");
    assert!(html.contains("<h1>Business hours</h1>"));
    assert!(html.contains("aria-current=\"page\">Business hours</a>"));
    assert!(html.contains("name=\"mon_open\" value=\"09:00\""));
    assert!(html.contains("name=\"sat_open\" value=\"\""));
    assert!(html.contains("<option value=\"Europe/Berlin\">"));
    assert!(html.contains("Save business hours"));
    assert!(!html.contains(" disabled>"), "editable");

    let token = b.csrf();
    let answer = b.post(PAGE, &week_form(), Some(&token)).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    assert_eq!(answer.headers["location"], PAGE);

    let api = app.login("root@example.com").await;
    let saved = hours_over_api(&app, &api).await;
    assert_eq!(saved["enabled"], true);
    assert_eq!(saved["timeZone"], "Europe/Berlin");
    assert_eq!(
        saved["weekly"]["mon"],
        json!([{ "open": "08:00", "close": "12:00" }, { "open": "13:00", "close": "18:00" }])
    );
    assert_eq!(saved["weekly"]["sun"], json!([]));
    assert_eq!(saved["closedDates"], json!(["2026-12-25", "2026-12-26"]));
    assert_eq!(saved["awayMessage"], HOSTILE, "stored as typed");

    // The page shows the saved hours, both Monday intervals, and the message as text.
    let html = b.get(PAGE).await.ok("hours page after saving");
    assert!(html.contains("name=\"mon_open\" value=\"13:00\""));
    assert!(html.contains("2026-12-25\n2026-12-26"));
    assert!(!html.contains("<script>alert"), "no script tag");
    assert!(!html.contains("<img src=x"), "no markup");
    assert!(html.contains("&#60;script&#62;alert(1)") || html.contains("&lt;script&gt;alert(1)"));
}

#[tokio::test]
async fn a_refused_save_shows_why_keeps_what_was_typed_and_changes_nothing() {
    let app = TestApp::spawn().await;
    app.create_agent("root@example.com", "Root", "super_admin")
        .await;
    let mut b = Browser::sign_in(&app, "root@example.com").await;
    b.get(PAGE).await.ok("hours page");
    let token = b.csrf();
    for (what, field, value, reason) in [
        ("25:00", "tue_close", "25:00", "close time"),
        (
            "no closing time",
            "tue_close",
            "",
            "both an opening and a closing",
        ),
        ("unknown zone", "time_zone", "Mars/Base", "time zone name"),
        ("bad date", "closed_dates", "tomorrow", "YYYY-MM-DD"),
    ] {
        let mut fields = week_form();
        for f in fields.iter_mut().filter(|(k, _)| *k == field) {
            f.1 = value;
        }
        let answer = b.post(PAGE, &fields, Some(&token)).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{what}");
        assert!(answer.body.contains("role=\"alert\""), "{what}");
        assert!(answer.body.contains(reason), "{what}: {}", answer.body);
        assert!(
            answer.body.contains("&#60;script&#62;") || answer.body.contains("&lt;script&gt;"),
            "{what}: the typed away message is shown again, escaped"
        );
        assert!(!answer.body.contains("<script>alert"), "{what}");
    }
    let api = app.login("root@example.com").await;
    assert_eq!(hours_over_api(&app, &api).await["enabled"], false);
    assert_eq!(
        app.count_rows("SELECT COUNT(*) FROM audit_events WHERE action = 'hours_update'"),
        0
    );
}

#[tokio::test]
async fn saving_without_this_sessions_csrf_token_is_refused() {
    let app = TestApp::spawn().await;
    app.create_agent("root@example.com", "Root", "super_admin")
        .await;
    app.create_agent("boss@example.com", "Boss", "super_admin")
        .await;
    let mut root = Browser::sign_in(&app, "root@example.com").await;
    let boss = Browser::sign_in(&app, "boss@example.com").await;
    let other = boss.csrf();
    for token in [None, Some(""), Some("made-up"), Some(other.as_str())] {
        let answer = root.post(PAGE, &week_form(), token).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{token:?}");
    }
    assert_eq!(
        app.count_rows("SELECT COUNT(*) FROM audit_events WHERE action = 'hours_update'"),
        0
    );
    assert_eq!(app.count_rows("SELECT COUNT(*) FROM settings"), 0);
}

#[tokio::test]
async fn other_roles_read_the_hours_but_cannot_save_them() {
    let app = TestApp::spawn().await;
    app.create_agent("chat@example.com", "Chat", "chat_admin")
        .await;
    app.create_agent("support@example.com", "Support", "support_admin")
        .await;
    for email in ["chat@example.com", "support@example.com"] {
        let mut b = Browser::sign_in(&app, email).await;
        let html = b.get(PAGE).await.ok("hours page");
        assert!(html.contains("Only super admins can change business hours."));
        assert!(html.contains("<fieldset class=\"hours-fieldset\" disabled>"));
        assert!(!html.contains("Save business hours"));
        let token = b.csrf();
        let answer = b.post(PAGE, &week_form(), Some(&token)).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{email}");
    }
    assert_eq!(app.count_rows("SELECT COUNT(*) FROM settings"), 0);
    // Signed out, the page sends the browser to sign in.
    let mut stranger = Browser::new(&app);
    let answer = stranger.get(PAGE).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
}
