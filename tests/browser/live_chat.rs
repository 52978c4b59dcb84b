//! A chat open while things happen: live updates keep what the agent is typing in the details
//! panel, keep the transcript where the agent scrolled to (following only from the bottom), and
//! add new messages to the transcript's aria-live log without redrawing the ones shown. Ending
//! the chat (an htmx form) asks first, and cancelling sends no request.

use fantoccini::{Client, Locator};
use serde_json::json;

use super::*;

const CHAT: &str = "chat_live";
const NOTE: &str = "Half a note about the refund";
const TRANSFER_NOTE: &str = "Half a handover for Bob";
const END_REASON: &str = "Half a reason";

async fn value_of(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default()
}

/// The transcript's scroll state: (scrollTop, scrollHeight - clientHeight).
async fn scroll_of(c: &Client) -> (i64, i64) {
    let v = js(
        c,
        "const t = document.getElementById('transcript'); \
         return [Math.round(t.scrollTop), t.scrollHeight - t.clientHeight];",
    )
    .await;
    (v[0].as_i64().unwrap(), v[1].as_i64().unwrap())
}

#[tokio::test]
async fn live_updates_keep_typing_scroll_and_announce_new_messages() {
    let Some(driver) = start_driver().await else {
        return;
    };
    let app = TestApp::spawn_with(|s| s.rate_limit_max_requests = 1000).await;
    app.create_agent("root@example.com", "Root Admin", "super_admin")
        .await;
    let (_, bob) = app.agent("bob@example.com", "chat_admin").await;
    // Enough history that the transcript scrolls.
    user_chat(&app, "alice", CHAT, "Alice", "Hello, my order is late").await;
    let alice = app.user_token("alice");
    let long = "I ordered a blue kettle three weeks ago and it still has not arrived. ".repeat(6);
    for i in 2..=12 {
        user_says(
            &app,
            &alice,
            CHAT,
            &format!("msg_live_{i}"),
            &format!("{i}: {long}"),
        )
        .await;
    }

    let profile = tempfile::tempdir().unwrap();
    let c = browser(&driver, profile.path()).await;
    sign_in(&c, &app, "root@example.com").await;
    c.goto(&app.url(&format!("/admin/chats/{CHAT}")))
        .await
        .unwrap();
    c.wait()
        .at_most(WAIT)
        .for_element(Locator::Css("#end-reason"))
        .await
        .expect("the chat page with its actions");
    wait_for_js(
        &c,
        "return document.getElementById('transcript').scrollHeight > \
                document.getElementById('transcript').clientHeight + 200",
        "the transcript should be long enough to scroll",
    )
    .await;

    // The agent is halfway through three boxes when the panel is redrawn live.
    fill(&c, "#note-text", NOTE).await;
    fill(&c, "#transfer-note", TRANSFER_NOTE).await;
    fill(&c, "#end-reason", END_REASON).await;
    js(
        &c,
        "document.getElementById('details').fdOld = true; return true",
    )
    .await;
    // Live events: another agent adds a note, the user types and writes.
    let (status, body) = app
        .post(
            &format!("/api/admin/chat/session/{CHAT}/notes"),
            &bob,
            json!({ "note": "Bob: customer called too" }),
        )
        .await;
    assert_eq!(status.as_u16(), 200, "{body}");
    let (status, body) = app
        .post(
            "/api/chat/typing",
            &alice,
            json!({ "sessionId": CHAT, "isTyping": true }),
        )
        .await;
    assert_eq!(status.as_u16(), 200, "{body}");
    user_says(&app, &alice, CHAT, "msg_live_13", "Any news?").await;
    wait_for_text(&c, "#transcript", "Any news?").await;
    wait_for_text(&c, "#details", "Bob: customer called too").await;
    assert_eq!(
        js(
            &c,
            "return document.getElementById('details').fdOld === undefined"
        )
        .await,
        json!(true),
        "the panel was redrawn"
    );
    assert_eq!(value_of(&c, "#note-text").await, NOTE);
    assert_eq!(value_of(&c, "#transfer-note").await, TRANSFER_NOTE);
    assert_eq!(value_of(&c, "#end-reason").await, END_REASON);
    assert_eq!(
        js(
            &c,
            "return document.activeElement && document.activeElement.id"
        )
        .await,
        json!("end-reason"),
        "the box being typed in keeps the focus"
    );

    // Saving the note empties that box only.
    let note = c.find(Locator::Css("#note-text")).await.unwrap();
    note.clear().await.unwrap();
    note.send_keys("Refund promised by Friday").await.unwrap();
    click(&c, "form[action$='/notes'] button[type=submit]").await;
    wait_for_text(&c, "#details", "Refund promised by Friday").await;
    wait_for_js(
        &c,
        "return document.getElementById('note-text').value === ''",
        "the saved note's box empties",
    )
    .await;
    assert_eq!(value_of(&c, "#transfer-note").await, TRANSFER_NOTE);
    assert_eq!(value_of(&c, "#end-reason").await, END_REASON);

    // Reading history: a new message does not pull the agent down; it lands in the live log
    // and the messages already shown stay as they are.
    js(
        &c,
        "const t = document.getElementById('transcript'); t.scrollTop = 0; \
         t.querySelector('article').fdOld = true; return true",
    )
    .await;
    assert_eq!(scroll_of(&c).await.0, 0);
    user_says(&app, &alice, CHAT, "msg_live_up", "Are you still there?").await;
    wait_for_text(&c, "#transcript", "Are you still there?").await;
    let (top, _) = scroll_of(&c).await;
    assert_eq!(top, 0, "the agent reading history stays where they were");
    assert_eq!(
        js(
            &c,
            "const t = document.getElementById('transcript'); \
             const last = t.querySelector('article:last-of-type'); \
             const region = last.closest('[aria-live]'); \
             return [last.textContent.includes('Are you still there?'), region === t, \
                     t.getAttribute('aria-live'), t.getAttribute('role'), \
                     t.querySelector('article').fdOld === true];",
        )
        .await,
        json!([true, true, "polite", "log", true]),
        "the new message is added inside the polite live log; the old ones are not redrawn"
    );

    // At the bottom, a new message scrolls into view.
    js(
        &c,
        "const t = document.getElementById('transcript'); t.scrollTop = t.scrollHeight; return true",
    )
    .await;
    let (top, max) = scroll_of(&c).await;
    assert!(max - top <= 1, "at the bottom: {top} of {max}");
    user_says(&app, &alice, CHAT, "msg_live_down", "Hello? Anyone?").await;
    wait_for_text(&c, "#transcript", "Hello? Anyone?").await;
    wait_for_js(
        &c,
        "const t = document.getElementById('transcript'); \
         const last = t.querySelector('article:last-of-type').getBoundingClientRect(); \
         return t.scrollHeight - t.scrollTop - t.clientHeight <= 1 && \
                last.bottom <= t.getBoundingClientRect().bottom + 1",
        "an agent at the bottom follows the new message",
    )
    .await;
    save_screenshot(&c, "chat-live").await;

    // Ending (an htmx form) asks too: cancelling sends no request; accepting ends the chat
    // with the reason that survived the live updates.
    js(
        &c,
        "window.fdEndRequests = 0; \
         document.body.addEventListener('htmx:beforeRequest', function (e) { \
           if (e.detail.elt.matches(\"form[action$='/end']\")) { window.fdEndRequests++; } \
         }); return true",
    )
    .await;
    click(&c, "form[action$='/end'] button[type=submit]").await;
    let asked = eventually(WAIT, || async {
        c.get_alert_text()
            .await
            .is_ok_and(|t| t.contains("End this chat?"))
    })
    .await;
    assert!(asked, "ending asks first");
    c.dismiss_alert().await.unwrap();
    assert_eq!(
        js(&c, "return window.fdEndRequests").await,
        json!(0),
        "cancelling sends nothing"
    );
    click(&c, "form[action$='/end'] button[type=submit]").await;
    let accepted = eventually(WAIT, || async { c.accept_alert().await.is_ok() }).await;
    assert!(accepted, "the question comes back");
    wait_for_text(&c, "#details", &format!("Ended by support — {END_REASON}")).await;
    c.close().await.unwrap();
}
