//! The dashboard in a real headless Chromium (Debian's `chromium` + `chromium-driver`, driven
//! over WebDriver): first-run setup, a chat created over the client API appearing in the queue
//! without a reload, replying with the keyboard, a canned reply by shortcut, ending the chat,
//! and what the user's phone sees. Screenshots go to target/screenshots/ (and to
//! docs/screenshots/ with FRONTDESK_UPDATE_SCREENSHOTS=1).
//!
//! Needs `chromedriver` and `chromium` on the PATH (`scripts/install-test-deps.sh`). Without
//! them the test fails, unless FRONTDESK_SKIP_BROWSER_TESTS=1 says to skip it.

#[allow(dead_code)]
#[path = "../api/helpers.rs"]
mod helpers;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use helpers::*;
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

const HOSTILE: &str = "<img src=x onerror=alert(1)> where is my order?";
const WAIT: Duration = Duration::from_secs(10);

struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn on_path(name: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {name}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

async fn start_driver() -> Option<Driver> {
    if !(on_path("chromedriver") && on_path("chromium")) {
        if std::env::var("FRONTDESK_SKIP_BROWSER_TESTS").as_deref() == Ok("1") {
            eprintln!(
                "SKIPPED: chromium/chromedriver not installed and FRONTDESK_SKIP_BROWSER_TESTS=1"
            );
            return None;
        }
        panic!(
            "chromium and chromedriver are needed: run scripts/install-test-deps.sh (or set FRONTDESK_SKIP_BROWSER_TESTS=1 to skip)"
        );
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let url = format!("http://127.0.0.1:{port}");
    let status = format!("{url}/status");
    let ready = eventually(Duration::from_secs(20), || async {
        reqwest::get(&status)
            .await
            .is_ok_and(|r| r.status().is_success())
    })
    .await;
    assert!(ready, "chromedriver did not come up");
    Some(Driver { child, url })
}

async fn browser(driver: &Driver, profile: &std::path::Path) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-extensions", "--no-first-run", "--disable-quic", "--window-size=1280,900",
                format!("--user-data-dir={}", profile.display()),
            ],
        }),
    );
    ClientBuilder::new(HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a browser session")
}

fn screenshot_dirs() -> Vec<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut dirs = vec![root.join("target/screenshots")];
    if std::env::var("FRONTDESK_UPDATE_SCREENSHOTS").as_deref() == Ok("1") {
        dirs.push(root.join("docs/screenshots"));
    }
    dirs
}

async fn save_screenshot(c: &Client, name: &str) {
    let png = c.screenshot().await.expect("screenshot");
    for dir in screenshot_dirs() {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), &png).unwrap();
    }
}

async fn text_of(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .unwrap()
}

async fn wait_for_text(c: &Client, css: &str, needle: &str) {
    let found = eventually(WAIT, || async {
        match c.find(Locator::Css(css)).await {
            Ok(el) => el.text().await.is_ok_and(|t| t.contains(needle)),
            Err(_) => false,
        }
    })
    .await;
    assert!(
        found,
        "{css} should come to contain {needle:?}; page:\n{}",
        c.source().await.unwrap_or_default()
    );
}

async fn user_chat(app: &TestApp, user: &str, id: &str, name: &str, text: &str) -> String {
    let token = app.user_token(user);
    let (status, body) = app
        .post(
            "/api/chat/session",
            &token,
            json!({ "sessionId": id, "userInfo": { "name": name } }),
        )
        .await;
    assert_eq!(status.as_u16(), 200, "{body}");
    let message_id = format!("msg_{id}_1");
    app.send_ok(&token, id, &message_id, text).await;
    message_id
}

/// A week of history for the analytics page: a few chats a day at different hours, answered
/// by two agents, most rated. Moves the server clock six days forward, back to the present.
async fn seed_week(app: &TestApp, agents: [&str; 2]) {
    let day = Duration::from_secs(24 * 3600);
    let per_day = [3, 5, 2, 6, 4, 7];
    for (d, chats) in per_day.iter().enumerate() {
        let mut spent = Duration::ZERO;
        for i in 0..*chats {
            let user = app.user_token(&format!("hist_{d}_{i}"));
            let id = format!("chat_hist_{d}_{i}");
            app.post_ok(
                "/api/chat/session",
                &user,
                json!({ "sessionId": id, "userInfo": { "name": format!("Customer {d}{i}") } }),
            )
            .await;
            app.send_ok(
                &user,
                &id,
                &format!("msg_hist_{d}_{i}"),
                "Hello, I have a question",
            )
            .await;
            let wait = Duration::from_secs(30 + 45 * ((d + i) % 5) as u64);
            app.clock.advance(wait);
            app.agent_reply(agents[(d + i) % 2], &id, "Happy to help!")
                .await;
            if i % 4 == 3 {
                app.post_ok(
                    "/api/admin/chat/session/end",
                    agents[0],
                    json!({ "sessionId": id, "endReason": "Answered" }),
                )
                .await;
            } else {
                let rating = [5, 4, 5, 3, 4, 5, 2][(d + i) % 7];
                app.post_ok(
                    "/api/chat/session/end",
                    &user,
                    json!({ "sessionId": id, "rating": rating }),
                )
                .await;
            }
            let gap = Duration::from_secs(50 * 60 + 17 * 60 * i as u64);
            app.clock.advance(gap);
            spent += wait + gap;
        }
        app.clock.advance(day.saturating_sub(spent));
    }
}

#[tokio::test]
async fn an_agent_works_a_chat_in_a_real_browser() {
    let Some(driver) = start_driver().await else {
        return;
    };
    let six_days_ago =
        frontdesk::domain::Timestamp(chrono::Utc::now().timestamp_millis() - 6 * 86_400_000);
    let app = TestApp::spawn_with(|s| {
        s.session_timeout = Duration::from_secs(6 * 3600);
        s.clock = frontdesk::clock::Clock::running_from(six_days_ago);
    })
    .await;
    let profile = tempfile::tempdir().unwrap();
    let c = browser(&driver, profile.path()).await;

    // First run: the one-time setup link creates the first super admin and signs them in.
    let setup = frontdesk::service::setup::pending_token(&app.services)
        .await
        .unwrap()
        .expect("a setup token");
    c.goto(&app.url(&format!("/admin/setup?token={setup}")))
        .await
        .unwrap();
    c.find(Locator::Css("#name"))
        .await
        .unwrap()
        .send_keys("Dana Lee")
        .await
        .unwrap();
    c.find(Locator::Css("#email"))
        .await
        .unwrap()
        .send_keys("dana@example.com")
        .await
        .unwrap();
    c.find(Locator::Css("#password"))
        .await
        .unwrap()
        .send_keys(AGENT_PASSWORD)
        .await
        .unwrap();
    c.find(Locator::Css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .at_most(WAIT)
        .for_element(Locator::Css("#queue-rows"))
        .await
        .expect("the queue after setup");
    assert_eq!(
        c.execute("return typeof htmx", vec![]).await.unwrap(),
        json!("object"),
        "htmx loaded under the CSP"
    );
    assert!(text_of(&c, "#queue-rows").await.contains("No active chats"));

    // A week passes (history for the analytics page); the idle browser session has expired.
    let agent = app.login("dana@example.com").await;
    let (status, _) = app
        .post(
            "/api/admin/agents",
            &agent,
            json!({ "email": "sam@example.com", "name": "Sam Rivera", "role": "chat_admin", "password": AGENT_PASSWORD }),
        )
        .await;
    assert_eq!(status.as_u16(), 200);
    let sam = app.login("sam@example.com").await;
    seed_week(&app, [&agent, &sam]).await;
    c.goto(&app.url("/admin/queue")).await.unwrap();
    c.wait()
        .at_most(WAIT)
        .for_element(Locator::Css("#password"))
        .await
        .expect("signed out after a week idle");
    c.find(Locator::Css("#email"))
        .await
        .unwrap()
        .send_keys("dana@example.com")
        .await
        .unwrap();
    c.find(Locator::Css("#password"))
        .await
        .unwrap()
        .send_keys(AGENT_PASSWORD)
        .await
        .unwrap();
    c.find(Locator::Css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .at_most(WAIT)
        .for_element(Locator::Css("#queue-rows"))
        .await
        .expect("the queue after signing in");

    // Some context for the screenshots: a canned reply, a persona chat, an urgent one.
    let agent = app.login("dana@example.com").await;
    app.post_ok(
        "/api/admin/canned-responses",
        &agent,
        json!({ "title": "Thanks", "shortcut": "/thanks", "text": "Thanks for your patience!" }),
    )
    .await;
    let persona = app
        .post_ok("/api/admin/personas", &agent, json!({ "name": "Emma" }))
        .await;
    let persona_id = persona["data"]["persona"]["personaId"]
        .as_str()
        .unwrap()
        .to_string();
    let emma_user = app.user_token("maria");
    app.post_ok(
        "/api/chat/session",
        &emma_user,
        json!({ "sessionId": "chat_browser_persona", "personaId": persona_id, "userInfo": { "name": "Maria Gomez" } }),
    )
    .await;
    app.send_ok(
        &emma_user,
        "chat_browser_persona",
        "msg_maria_1",
        "Hi Emma, can I change my delivery address?",
    )
    .await;
    user_chat(
        &app,
        "kenji",
        "chat_browser_urgent",
        "Kenji Sato",
        "My payment went through twice!",
    )
    .await;
    app.put_ok(
        "/api/admin/chat/session/chat_browser_urgent/priority",
        &agent,
        json!({ "priority": "urgent" }),
    )
    .await;

    // A chat created over the client API appears in the open queue without a reload.
    let started = Instant::now();
    let mine = user_chat(&app, "alice", "chat_browser_1", "<b>Alice</b>", HOSTILE).await;
    c.wait()
        .at_most(WAIT)
        .for_element(Locator::Css("li[data-session='chat_browser_1']"))
        .await
        .expect("the new chat shows up by itself");
    let appeared = started.elapsed();
    assert!(
        appeared < Duration::from_secs(3),
        "it appeared after {appeared:?}"
    );
    let row = text_of(&c, "li[data-session='chat_browser_1']").await;
    assert!(row.contains(HOSTILE), "user text shown as text: {row}");
    assert!(
        row.contains("<b>Alice</b>"),
        "user name shown as text: {row}"
    );
    assert!(
        c.find_all(Locator::Css("#queue-rows img, #queue-rows b"))
            .await
            .unwrap()
            .is_empty(),
        "no markup got through"
    );
    save_screenshot(&c, "queue").await;

    // If the event stream drops, the page says so and polls until it is back.
    c.execute("document.dispatchEvent(new Event('htmx:sseError'))", vec![])
        .await
        .unwrap();
    wait_for_text(&c, "[data-live-state]", "Reconnecting").await;
    c.execute("document.dispatchEvent(new Event('htmx:sseOpen'))", vec![])
        .await
        .unwrap();
    wait_for_text(&c, "[data-live-state]", "Live").await;

    // Open it: the hostile message is text in the transcript too.
    c.find(Locator::Css("li[data-session='chat_browser_1'] a"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .at_most(WAIT)
        .for_element(Locator::Css("#reply-text"))
        .await
        .unwrap();
    assert_eq!(text_of(&c, ".msg-user .body").await, HOSTILE);
    assert!(
        c.find_all(Locator::Css("#transcript img"))
            .await
            .unwrap()
            .is_empty()
    );

    // The user types; the agent sees it live.
    let alice = app.user_token("alice");
    app.post_ok(
        "/api/chat/typing",
        &alice,
        json!({ "sessionId": "chat_browser_1", "isTyping": true }),
    )
    .await;
    wait_for_text(&c, "#typing", "is typing").await;

    // Shift+Enter is a newline, Enter sends; /shortcut + Tab inserts a canned reply.
    let area = c.find(Locator::Css("#reply-text")).await.unwrap();
    area.send_keys("Hello Alice,").await.unwrap();
    area.send_keys(&format!(
        "{}{}",
        char::from(Key::Shift),
        char::from(Key::Enter)
    ))
    .await
    .unwrap();
    area.send_keys(&char::from(Key::Shift).to_string())
        .await
        .unwrap(); // release Shift
    area.send_keys("your parcel ships today.").await.unwrap();
    let value = area.prop("value").await.unwrap().unwrap_or_default();
    assert_eq!(
        value, "Hello Alice,\nyour parcel ships today.",
        "Shift+Enter made a newline and sent nothing"
    );
    area.send_keys(&char::from(Key::Enter).to_string())
        .await
        .unwrap();
    wait_for_text(&c, "#transcript", "your parcel ships today.").await;
    let emptied = eventually(WAIT, || async {
        area.prop("value").await.ok().flatten().as_deref() == Some("")
    })
    .await;
    assert!(emptied, "the reply box clears after sending");
    area.send_keys("/thanks").await.unwrap();
    area.send_keys(&char::from(Key::Tab).to_string())
        .await
        .unwrap();
    assert_eq!(
        area.prop("value").await.unwrap().as_deref(),
        Some("Thanks for your patience!")
    );
    area.send_keys(&char::from(Key::Enter).to_string())
        .await
        .unwrap();
    wait_for_text(&c, "#transcript", "Thanks for your patience!").await;

    // The reply reaches the user's poll, under the agent's name.
    let poll = app.poll(&alice, "chat_browser_1", Some(&mine)).await;
    let texts: Vec<&str> = poll["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        texts,
        vec![
            "Hello Alice,\nyour parcel ships today.",
            "Thanks for your patience!"
        ]
    );
    assert_eq!(poll["messages"][0]["adminInfo"]["name"], "Dana Lee");
    // The user answers; it appears live.
    app.send_ok(&alice, "chat_browser_1", "msg_alice_2", "Great, thank you!")
        .await;
    wait_for_text(&c, "#transcript", "Great, thank you!").await;
    save_screenshot(&c, "chat").await;

    // End it with a reason; the user's poll says so.
    let reason = c
        .find(Locator::Css("#end-reason-chat_browser_1"))
        .await
        .unwrap();
    reason.send_keys("Resolved in the browser").await.unwrap();
    c.find(Locator::Css("button.danger"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let confirmed = eventually(WAIT, || async { c.accept_alert().await.is_ok() }).await;
    assert!(confirmed, "ending asks for confirmation");
    wait_for_text(&c, "#details", "Ended by support").await;
    let poll = app
        .poll(&alice, "chat_browser_1", Some("msg_alice_2"))
        .await;
    assert_eq!(poll["sessionEnded"], true);
    assert_eq!(poll["sessionStatus"], "ended_by_admin");
    assert_eq!(poll["endReason"], "Resolved in the browser");

    // Analytics draws its charts on the server.
    c.set_window_size(1280, 1500).await.unwrap();
    c.goto(&app.url("/admin/analytics")).await.unwrap();
    c.wait()
        .at_most(WAIT)
        .for_element(Locator::Css("#chart-volume svg rect.bar"))
        .await
        .unwrap();
    save_screenshot(&c, "analytics").await;

    // On a phone: nothing wider than the screen.
    c.set_window_size(375, 812).await.unwrap();
    for (path, name) in [
        ("/admin/queue", "queue-mobile"),
        ("/admin/chats/chat_browser_persona", "chat-mobile"),
    ] {
        c.goto(&app.url(path)).await.unwrap();
        c.wait()
            .at_most(WAIT)
            .for_element(Locator::Css("main"))
            .await
            .unwrap();
        let width = c
            .execute("return document.documentElement.scrollWidth", vec![])
            .await
            .unwrap();
        assert!(
            width.as_u64().unwrap() <= 375,
            "{path} is {width} px wide at 375 px"
        );
        save_screenshot(&c, name).await;
    }
    let console: Value = c
        .execute("return document.querySelectorAll('[style]').length", vec![])
        .await
        .unwrap();
    assert_eq!(
        console,
        json!(0),
        "no inline styles (the CSP would block them)"
    );
    c.close().await.unwrap();
}
