//! The dashboard in a real headless Chromium (Debian's `chromium` + `chromium-driver`, driven
//! over WebDriver). `walkthrough`: first-run setup, a chat created over the client API appearing
//! in the queue without a reload, replying with the keyboard, a canned reply by shortcut, ending
//! the chat, and what the user's phone sees. `live_chat`: live updates keep what the agent is
//! typing, keep the scroll position, and add new messages to an aria-live log. `confirm`:
//! destructive actions ask first. `search`: the top bar's search box, highlighted and escaped
//! snippets, the filters, and a hit's link. `labels`: making a label, putting it on a chat and
//! taking it off from the details panel, the queue filtered by it, and what a support admin
//! sees. Screenshots go to target/screenshots/ (and to
//! docs/screenshots/ with FRONTDESK_UPDATE_SCREENSHOTS=1).
//!
//! Needs `chromedriver` and `chromium` on the PATH (`scripts/install-test-deps.sh`). Without
//! them each test says what to install and passes as skipped, except under `CI=true`, where a
//! missing browser fails the test.

#[allow(dead_code)]
#[path = "../api/helpers.rs"]
mod helpers;
#[allow(dead_code)]
#[path = "../shared/postgres.rs"]
mod postgres;

mod confirm;
mod labels;
mod live_chat;
mod notify;
mod search;
mod walkthrough;
mod widget;

use std::io::Write;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use helpers::*;
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

/// How long to wait for something the page should come to show (a bound, not a measurement).
const WAIT: Duration = Duration::from_secs(20);
const INSTALL_HINT: &str =
    "install chromium and chromium-driver: bash scripts/install-test-deps.sh";

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

/// True when the environment says this is a CI run (`CI=true`, as CI services set it).
fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// What a browser test does about the browser.
#[derive(Debug, PartialEq)]
enum Verdict {
    Run,
    /// Say what to install and pass as skipped.
    Skip(String),
    /// Fail: under CI the browser tests must run.
    Fail(String),
}

fn verdict(missing: &[&str], ci: bool) -> Verdict {
    if missing.is_empty() {
        return Verdict::Run;
    }
    let message = format!(
        "the browser tests need {} on the PATH; {INSTALL_HINT}",
        missing.join(" and ")
    );
    if ci {
        Verdict::Fail(format!(
            "{message} (CI=true: a missing browser fails the run)"
        ))
    } else {
        Verdict::Skip(message)
    }
}

#[test]
fn a_missing_browser_skips_with_a_hint_but_fails_under_ci() {
    assert_eq!(verdict(&[], true), Verdict::Run);
    assert_eq!(verdict(&[], false), Verdict::Run);
    let Verdict::Skip(hint) = verdict(&["chromedriver"], false) else {
        panic!("without CI a missing browser skips");
    };
    assert!(hint.contains(INSTALL_HINT), "{hint}");
    let Verdict::Fail(failure) = verdict(&["chromium", "chromedriver"], true) else {
        panic!("CI=true must fail without a browser");
    };
    assert!(failure.contains(INSTALL_HINT), "{failure}");
    assert!(failure.contains("chromium and chromedriver"), "{failure}");
}

/// Starts chromedriver, or returns None (the test is skipped) when the browser is missing.
async fn start_driver() -> Option<Driver> {
    let missing: Vec<&str> = ["chromium", "chromedriver"]
        .into_iter()
        .filter(|name| !on_path(name))
        .collect();
    match verdict(&missing, in_ci()) {
        Verdict::Run => {}
        Verdict::Fail(failure) => panic!("{failure}"),
        Verdict::Skip(hint) => {
            // libtest hides what a passing test prints; stderr written directly still shows.
            static SAID: std::sync::Once = std::sync::Once::new();
            SAID.call_once(|| {
                let _ = writeln!(std::io::stderr(), "SKIPPED the browser tests: {hint}");
            });
            return None;
        }
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
    let ready = eventually(WAIT, || async {
        reqwest::get(&status)
            .await
            .is_ok_and(|r| r.status().is_success())
    })
    .await;
    assert!(ready, "chromedriver did not come up");
    Some(Driver { child, url })
}

async fn browser(driver: &Driver, profile: &std::path::Path) -> Client {
    browser_with_prefs(driver, profile, json!({})).await
}

/// A headless Chromium session with these profile preferences (e.g. site permissions).
async fn browser_with_prefs(driver: &Driver, profile: &std::path::Path, prefs: Value) -> Client {
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
            "prefs": prefs,
        }),
    );
    // Prompts stay open until a test accepts or dismisses them.
    caps.insert("unhandledPromptBehavior".into(), json!("ignore"));
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

/// Runs `script` (a function body returning a value) in the page.
async fn js(c: &Client, script: &str) -> Value {
    c.execute(script, vec![])
        .await
        .unwrap_or_else(|e| panic!("script failed ({e}): {script}"))
}

/// Waits until `script` returns true in the page.
async fn wait_for_js(c: &Client, script: &str, what: &str) {
    let held = eventually(WAIT, || async {
        c.execute(script, vec![]).await.ok() == Some(json!(true))
    })
    .await;
    assert!(
        held,
        "{what}; page:\n{}",
        c.source().await.unwrap_or_default()
    );
}

async fn fill(c: &Client, css: &str, text: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .send_keys(text)
        .await
        .unwrap();
}

/// Clicks the element `css` names. A live page (the queue, a chat) may redraw it between
/// finding and clicking; then it is found again, a few times at most.
async fn click(c: &Client, css: &str) {
    for _ in 0..5 {
        let element = c
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"));
        match element.click().await {
            Ok(()) => return,
            Err(fantoccini::error::CmdError::Standard(e))
                if e.error == fantoccini::error::ErrorStatus::StaleElementReference => {}
            Err(e) => panic!("clicking {css}: {e}"),
        }
    }
    panic!("{css} was redrawn under every click");
}

/// Signs an existing agent in through the sign-in page and waits for the queue.
async fn sign_in(c: &Client, app: &TestApp, email: &str) {
    c.goto(&app.url("/admin/login")).await.unwrap();
    fill(c, "#email", email).await;
    fill(c, "#password", AGENT_PASSWORD).await;
    click(c, "button[type=submit]").await;
    if c.wait()
        .at_most(WAIT)
        .for_element(Locator::Css("#queue-rows"))
        .await
        .is_err()
    {
        panic!(
            "the queue after signing in; at {:?}:\n{}",
            c.current_url().await.map(|u| u.to_string()),
            c.source().await.unwrap_or_default()
        );
    }
}

/// A user starts chat `id` and sends `text` as its first message; returns that message's id.
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
    user_says(app, &token, id, &message_id, text).await;
    message_id
}

/// The user sends a message over the client API.
async fn user_says(app: &TestApp, token: &str, session: &str, message_id: &str, text: &str) {
    let (status, body) = app.send(token, session, message_id, text).await;
    assert_eq!(status.as_u16(), 200, "send {message_id}: {body}");
}

/// Leaves a mark on the page's window; the next page loaded has none.
async fn mark_page(c: &Client) {
    js(c, "window.fdSamePage = true; return true").await;
}

/// Waits until the browser has loaded a page after the one `mark_page` marked.
async fn wait_for_next_page(c: &Client, what: &str) {
    wait_for_js(
        c,
        "return window.fdSamePage !== true && document.readyState === 'complete'",
        what,
    )
    .await;
}

/// Picks the option with `value` in the select `css`.
async fn select(c: &Client, css: &str, value: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .select_by_value(value)
        .await
        .unwrap_or_else(|e| panic!("{css} = {value:?}: {e}"));
}

/// The `value` property of the field `css`.
async fn value_of(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default()
}

/// Where the browser is: the path and the query's pairs, decoded.
async fn path_of(c: &Client) -> (String, Vec<(String, String)>) {
    let url = c.current_url().await.unwrap();
    let pairs = url
        .query_pairs()
        .map(|(k, v)| (k.into(), v.into()))
        .collect();
    (url.path().to_string(), pairs)
}
