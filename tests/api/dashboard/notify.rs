//! The markup dashboard notifications stand on: the switches in the top bar, the queue rows'
//! notification data (names escaped), a notification feed on pages without a queue, and chat
//! pages' streams announcing queue changes.

use reqwest::StatusCode;
use serde_json::json;

use super::client::Browser;
use crate::helpers::*;

const HOSTILE: &str = "<b onclick=\"x()\">Eve</b>";

/// The opening tag of the queue row of `session` in `html`.
fn row_of<'a>(html: &'a str, session: &str) -> &'a str {
    let marker = format!("data-session=\"{session}\"");
    let at = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no row for {session}:\n{html}"));
    let end = at + html[at..].find('>').unwrap();
    &html[at..end]
}

#[tokio::test]
async fn the_switches_render_and_rows_carry_escaped_notification_data() {
    let app = TestApp::spawn().await;
    let ann_id = app
        .create_agent("ann@example.com", "Ann", "chat_admin")
        .await;
    let (_, bob) = app.agent("bob@example.com", "chat_admin").await;
    let ann = app.login("ann@example.com").await;
    let user = app.user_token("u1");
    app.post_ok(
        "/api/chat/session",
        &user,
        json!({ "sessionId": "chat_mine", "userInfo": { "name": HOSTILE } }),
    )
    .await;
    app.send_ok(&user, "chat_mine", "msg_mine_1", "Hello").await;
    app.post_ok(
        "/api/admin/chat/session/assign",
        &ann,
        json!({ "sessionId": "chat_mine" }),
    )
    .await;
    app.start_session(&app.user_token("u2"), Some("chat_bobs"))
        .await;
    app.post_ok(
        "/api/admin/chat/session/assign",
        &bob,
        json!({ "sessionId": "chat_bobs" }),
    )
    .await;
    app.start_session(&app.user_token("u3"), Some("chat_free"))
        .await;

    let mut b = Browser::sign_in(&app, "ann@example.com").await;
    let queue = b.get_ok("/admin/queue").await;
    assert!(queue.contains("Turn on notifications"), "{queue}");
    assert!(
        queue.contains(&format!("data-notify data-agent=\"{ann_id}\"")),
        "the switches are keyed by the agent: {queue}"
    );
    // The list itself is the queue page's feed: no second stream on it.
    assert_eq!(queue.matches("data-notify-feed").count(), 1, "{queue}");
    assert_eq!(queue.matches("sse-connect").count(), 1, "{queue}");

    let rows = b.get_ok("/admin/queue/rows").await;
    assert!(!rows.contains("<b"), "markup in a name got through: {rows}");
    let mine = row_of(&rows, "chat_mine");
    assert!(mine.contains("data-owner=\"me\""), "{mine}");
    assert!(
        mine.contains("data-name=\"&#60;b onclick=&#34;x()&#34;&#62;Eve&#60;/b&#62;\"")
            || mine.contains("data-name=\"&lt;b onclick=&quot;x()&quot;&gt;Eve&lt;/b&gt;\""),
        "the name is escaped in its attribute: {mine}"
    );
    assert!(!mine.contains("data-last-user=\"0\""), "{mine}");
    let bobs = row_of(&rows, "chat_bobs");
    assert!(bobs.contains("data-owner=\"other\""), "{bobs}");
    let free = row_of(&rows, "chat_free");
    assert!(free.contains("data-owner=\"none\""), "{free}");
    assert!(
        free.contains("data-last-user=\"0\""),
        "no message yet: {free}"
    );

    // Pages without a queue keep a hidden feed on the queue's stream.
    for path in ["/admin/analytics", "/admin/canned"] {
        let page = b.get_ok(path).await;
        assert_eq!(page.matches("data-notify-feed").count(), 1, "{path}");
        assert!(page.contains("sse-connect=\"/admin/events\""), "{path}");
        assert!(page.contains("hx-get=\"/admin/queue/rows\""), "{path}");
    }
    // A chat page reads the rows on its own stream and says which chat is open.
    let chat = b.get_ok("/admin/chats/chat_mine").await;
    assert!(chat.contains("data-open-chat=\"chat_mine\""), "{chat}");
    assert_eq!(chat.matches("sse-connect").count(), 1, "{chat}");
    assert!(!chat.contains("<b onclick"), "{chat}");
}

#[tokio::test]
async fn a_chat_pages_stream_announces_queue_changes() {
    let app = TestApp::spawn().await;
    app.create_agent("ann@example.com", "Ann", "chat_admin")
        .await;
    app.start_session(&app.user_token("u1"), Some("chat_open"))
        .await;
    let b = Browser::sign_in(&app, "ann@example.com").await;
    let mut response = b
        .open(b.request(reqwest::Method::GET, "/admin/chats/chat_open/events"))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    // Another chat starts: the open chat's page hears of it.
    app.start_session(&app.user_token("u2"), Some("chat_other"))
        .await;
    let got = within("a queue event on a chat page", async {
        let mut seen = String::new();
        while let Some(chunk) = response.chunk().await.unwrap() {
            seen.push_str(&String::from_utf8_lossy(&chunk));
            if seen.contains("event: queue") {
                return seen;
            }
        }
        seen
    })
    .await;
    assert!(got.contains("event: queue"), "{got}");
    assert!(!got.contains("chat_other"), "names only, no content: {got}");
}
