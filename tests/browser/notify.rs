//! Agents never miss a chat: with notifications turned on, a new chat and a customer message in
//! the agent's own chat raise a browser notification and a sound and count in the tab title;
//! switched off, they raise none; a customer's name is shown as text. The permission is granted
//! through Chromium's preferences, and the page's `Notification` and `AudioContext` are replaced
//! by recorders, so the page's own code runs and what it raised can be read back. Refused, the
//! permission is never asked for again.

use fantoccini::{Client, Locator};
use serde_json::json;

use super::*;

const CHAT: &str = "chat_notify";
/// Markup in a customer's name must come out as these very characters.
const HOSTILE: &str = "<b>Eve</b> & \"co\"";

/// A browser like `browser`'s, with notifications allowed for every site (or not).
async fn browser_allowing_notifications(
    driver: &Driver,
    profile: &std::path::Path,
    allow: bool,
) -> Client {
    // 1 allows; unset, headless Chromium refuses every request.
    let prefs = if allow {
        json!({ "profile.default_content_setting_values.notifications": 1 })
    } else {
        json!({})
    };
    browser_with_prefs(driver, profile, prefs).await
}

/// Replaces the page's `Notification` and `AudioContext` with recorders (what the page raised
/// lands in `window.__shown`, tones in `window.__tones`); permission stays what the browser says.
const RECORDERS: &str = r#"
    const real = window.Notification;
    window.__shown = [];
    window.__asks = 0;
    function Recorder(title, options) {
        this.title = title;
        this.options = options;
        this.close = function () {};
        window.__shown.push(this);
    }
    Object.defineProperty(Recorder, "permission", { get: () => real.permission });
    Recorder.requestPermission = function () {
        window.__asks += 1;
        return real.requestPermission();
    };
    window.Notification = Recorder;
    window.__tones = 0;
    function FakeAudio() {
        this.state = "running";
        this.currentTime = 0;
        this.destination = {};
    }
    FakeAudio.prototype.resume = function () { return Promise.resolve(); };
    FakeAudio.prototype.createOscillator = function () {
        window.__tones += 1;
        return { frequency: {}, connect() {}, start() {}, stop() {} };
    };
    FakeAudio.prototype.createGain = function () {
        return { gain: { setValueAtTime() {}, exponentialRampToValueAtTime() {} }, connect() {} };
    };
    window.AudioContext = FakeAudio;
    return true;
"#;

async fn shown_titles(c: &Client) -> Vec<String> {
    let v = js(c, "return window.__shown.map(n => n.title);").await;
    serde_json::from_value(v).unwrap()
}

async fn tones(c: &Client) -> i64 {
    js(c, "return window.__tones;").await.as_i64().unwrap()
}

/// Waits until the queue row of `CHAT` shows `text` as its newest message: the page has read
/// the rows that followed it, so a notification it would raise has been raised.
async fn wait_for_preview(c: &Client, text: &str) {
    wait_for_text(
        c,
        &format!("#queue-rows li[data-session={CHAT}] .q-preview"),
        text,
    )
    .await;
}

#[tokio::test]
async fn new_chats_and_messages_notify_until_switched_off() {
    let Some(driver) = start_driver().await else {
        return;
    };
    let app = TestApp::spawn().await;
    app.create_agent("ann@example.com", "Ann", "chat_admin")
        .await;
    let agent = app.login("ann@example.com").await;
    let profile = tempfile::tempdir().unwrap();
    let c = browser_allowing_notifications(&driver, profile.path(), true).await;
    sign_in(&c, &app, "ann@example.com").await;
    wait_for_js(
        &c,
        "return document.querySelector('[data-notify]').hidden === false",
        "the notification controls should show",
    )
    .await;
    assert_eq!(js(&c, RECORDERS).await, json!(true));

    // Turned on from the header: the browser already allows it, so nothing is asked.
    click(&c, "[data-notify-enable]").await;
    wait_for_js(
        &c,
        "return !document.querySelector('[data-notify-toggle]').hidden",
        "the switch should show notifications as on",
    )
    .await;
    assert_eq!(js(&c, "return window.__asks;").await, json!(0));
    assert_eq!(
        text_of(&c, "[data-notify-toggle]").await,
        "Notifications",
        "the switch"
    );

    // A new chat: a notification naming the customer, as text; a sound; (1) in the title.
    let alice = app.user_token("alice");
    let (status, body) = app
        .post(
            "/api/chat/session",
            &alice,
            json!({ "sessionId": CHAT, "userInfo": { "name": HOSTILE } }),
        )
        .await;
    assert_eq!(status.as_u16(), 200, "{body}");
    wait_for_js(
        &c,
        "return window.__shown.length === 1",
        "a notification for the new chat",
    )
    .await;
    assert_eq!(
        shown_titles(&c).await,
        vec![format!("New chat from {HOSTILE}")]
    );
    assert!(tones(&c).await > 0, "the new chat should sound");
    wait_for_js(
        &c,
        "return document.title === '(1) Live queue · frontdesk'",
        "the title should count the new chat",
    )
    .await;
    assert_eq!(
        js(
            &c,
            "return document.querySelectorAll('#main b, .topbar b').length"
        )
        .await,
        json!(0),
        "the name's markup must not become elements"
    );

    // Assigned to Ann, a customer message in it notifies too.
    app.post_ok(
        "/api/admin/chat/session/assign",
        &agent,
        json!({ "sessionId": CHAT }),
    )
    .await;
    user_says(&app, &alice, CHAT, "msg_notify_1", "Is anyone there?").await;
    wait_for_js(
        &c,
        "return window.__shown.length === 2",
        "a notification for the new message",
    )
    .await;
    assert_eq!(
        shown_titles(&c).await[1],
        format!("New message from {HOSTILE}")
    );
    wait_for_preview(&c, "Is anyone there?").await;
    assert_eq!(
        js(&c, "return document.title").await,
        json!("(1) Live queue · frontdesk"),
        "one chat with news"
    );

    // Switched off: a further message raises nothing, and it stays off after a reload.
    click(&c, "[data-notify-toggle]").await;
    wait_for_js(
        &c,
        "return !document.querySelector('[data-notify-enable]').hidden",
        "the switch should offer to turn notifications on again",
    )
    .await;
    let before = tones(&c).await;
    user_says(&app, &alice, CHAT, "msg_notify_2", "Hello again").await;
    wait_for_preview(&c, "Hello again").await;
    assert_eq!(shown_titles(&c).await.len(), 2, "nothing new while off");
    assert_eq!(tones(&c).await, before, "no sound while off");
    c.refresh().await.unwrap();
    c.wait()
        .at_most(WAIT)
        .for_element(Locator::Css("#queue-rows"))
        .await
        .unwrap();
    wait_for_js(
        &c,
        "return document.querySelector('[data-notify]').hidden === false \
             && !document.querySelector('[data-notify-enable]').hidden",
        "notifications stay off for Ann after a reload",
    )
    .await;

    // Clicking a notification opens its chat.
    assert_eq!(js(&c, RECORDERS).await, json!(true));
    click(&c, "[data-notify-enable]").await;
    user_says(&app, &alice, CHAT, "msg_notify_3", "Still here").await;
    wait_for_js(
        &c,
        "return window.__shown.length === 1",
        "a notification after turning them on again",
    )
    .await;
    js(&c, "window.__shown[0].onclick(); return true;").await;
    let opened = eventually(WAIT, || async {
        c.current_url()
            .await
            .is_ok_and(|u| u.path() == format!("/admin/chats/{CHAT}"))
    })
    .await;
    assert!(opened, "clicking the notification should open the chat");
    wait_for_js(
        &c,
        "return document.querySelector('[data-open-chat]') !== null \
             && !document.title.startsWith('(')",
        "the opened chat no longer counts in the title",
    )
    .await;
    save_screenshot(&c, "notify-chat").await;
    c.close().await.unwrap();
}

#[tokio::test]
async fn a_refused_permission_is_never_asked_again() {
    let Some(driver) = start_driver().await else {
        return;
    };
    let app = TestApp::spawn().await;
    app.create_agent("ann@example.com", "Ann", "chat_admin")
        .await;
    let profile = tempfile::tempdir().unwrap();
    // Without the preference headless Chromium refuses, as a person clicking "Block" would.
    let c = browser_allowing_notifications(&driver, profile.path(), false).await;
    sign_in(&c, &app, "ann@example.com").await;
    assert_eq!(js(&c, RECORDERS).await, json!(true));
    click(&c, "[data-notify-enable]").await;
    wait_for_text(&c, "[data-notify-note]", "blocked by the browser").await;
    assert_eq!(js(&c, "return window.__asks;").await, json!(1));

    // Off and on again: the refusal stands, nothing is asked, the sound still plays.
    click(&c, "[data-notify-toggle]").await;
    click(&c, "[data-notify-enable]").await;
    wait_for_text(&c, "[data-notify-note]", "blocked by the browser").await;
    assert_eq!(js(&c, "return window.__asks;").await, json!(1));
    user_chat(&app, "bob", CHAT, "Bob", "Hi").await;
    wait_for_js(
        &c,
        "return window.__tones > 0 && document.title.startsWith('(1) ')",
        "a refused permission still leaves the sound and the count",
    )
    .await;
    assert_eq!(shown_titles(&c).await.len(), 0, "no pop-up once refused");
    c.close().await.unwrap();
}
