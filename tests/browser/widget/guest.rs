//! A guest on another site: launcher, lazy load, chat with an agent, unread badge, reload,
//! HTML as text, end and rating, shutdown.

use fantoccini::Locator;
use serde_json::{Value, json};

use super::*;

#[tokio::test]
async fn a_guest_on_another_site_chats_with_an_agent() {
    let Some(Visit {
        host,
        app,
        c,
        _keep,
    }) = visit(|_| {}).await
    else {
        return;
    };
    let (_, agent) = app.agent("ada@example.com", "chat_admin").await;

    // The launcher, and nothing of the panel before the first click.
    open_shop(&c, &host, "").await;
    assert_eq!(
        launcher(&c)
            .await
            .attr("aria-label")
            .await
            .unwrap()
            .as_deref(),
        Some("Open chat")
    );
    let loaded = js(
        &c,
        "return performance.getEntriesByType('resource').map(e => e.name)",
    )
    .await;
    let loaded: Vec<&str> = loaded
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        loaded.iter().any(|u| u.ends_with("/widget.js")),
        "{loaded:?}"
    );
    assert!(
        loaded
            .iter()
            .all(|u| !u.starts_with(&app.base) || u.ends_with("/widget.js")),
        "only widget.js from the server before the click: {loaded:?}"
    );
    assert!(shadow_find(&c, "iframe").await.is_none());

    // Open: the pre-chat form (optional by default), then the chat.
    open_panel(&c).await;
    c.wait()
        .at_most(WAIT)
        .for_element(Locator::Css("#prechat-name"))
        .await
        .unwrap();
    wait_shown(&c, "prechat", "the pre-chat form").await;
    fill(&c, "#prechat-name", "Grace").await;
    fill(&c, "#prechat-email", "grace@example.com").await;
    click(&c, "#prechat-form button[type=submit]").await;
    wait_shown(&c, "chat", "the chat view").await;
    fill(&c, "#message", &format!("Hello from the tea shop{ENTER}")).await;
    wait_for_text(&c, "#transcript", "Hello from the tea shop").await;

    let session = wait_for_session(&app, &agent).await;
    let detail = chat_detail(&app, &agent, &session).await;
    let data = &detail;
    assert!(data.to_string().contains("Grace"), "{detail}");
    assert_eq!(data["channel"], "web", "{detail}");
    let context = &data["context"];
    assert_eq!(context["pageUrl"], format!("{}/", host.origin), "{detail}");
    assert!(context["browser"].as_str().is_some(), "{detail}");

    // Shift+Enter starts a new line; the agent sees the visitor typing; Enter sends.
    fill(
        &c,
        "#message",
        &format!("Two lines:{SHIFT}{ENTER}{RELEASE}the second"),
    )
    .await;
    let value = js(&c, "return document.getElementById('message').value").await;
    assert_eq!(value, json!("Two lines:\nthe second"));
    wait_until("the agent sees the visitor typing", || async {
        chat_detail(&app, &agent, &session).await["userTyping"] == json!(true)
    })
    .await;
    click(&c, "#send").await;
    wait_for_text(&c, "#transcript", "the second").await;

    // An agent's HTML is text; nothing runs.
    app.agent_reply(&agent, &session, "<img src=x onerror=alert(1)>")
        .await;
    wait_for_text(&c, "#transcript", "<img src=x onerror=alert(1)>").await;
    assert_eq!(
        js(
            &c,
            "return document.querySelectorAll('#transcript img').length"
        )
        .await,
        json!(0)
    );
    assert!(c.get_alert_text().await.is_err(), "no alert ran");
    wait_for_text(&c, "#transcript .msg.agent .who", "ada").await;

    // The agent reads the chat: the visitor sees "Seen".
    let _ = chat_detail(&app, &agent, &session).await;
    wait_for_text(&c, "#transcript", "Seen").await;

    // Escape closes and gives focus back to the launcher.
    press(&c, ESCAPE).await;
    c.enter_parent_frame().await.unwrap();
    wait_for_js(
        &c,
        &format!("{IN_SHADOW} return root.querySelector('iframe').style.display === 'none' && root.activeElement === root.querySelector('button')"),
        "the panel closed and the launcher focused",
    )
    .await;

    // While closed, a reply shows on the badge and reaches the page's unread listener.
    app.agent_reply(&agent, &session, "Your tea ships today")
        .await;
    wait_for_js(
        &c,
        "return window.unreadSeen === 1",
        "the unread listener hears 1",
    )
    .await;
    assert_eq!(badge_text(&c).await, "1");
    save_screenshot(&c, "widget-closed-badge").await;

    // A reload keeps the conversation (and the unread count) in this browser.
    c.refresh().await.unwrap();
    wait_for_js(&c, "return window.widgetReady === true", "ready again").await;
    wait_for_js(
        &c,
        "return window.unreadSeen === 1",
        "the badge after a reload",
    )
    .await;
    open_panel(&c).await;
    wait_for_text(&c, "#transcript", "Hello from the tea shop").await;
    wait_for_text(&c, "#transcript", "Your tea ships today").await;
    c.enter_parent_frame().await.unwrap();
    wait_for_js(&c, "return window.unreadSeen === 0", "seen once open").await;
    assert_eq!(badge_text(&c).await, "");
    save_screenshot(&c, "widget-open").await;

    // End and rate; the rating is stored.
    enter_panel(&c).await;
    click(&c, "#end").await;
    wait_shown(&c, "ended", "the rating form").await;
    click(&c, "label[for=star-4]").await;
    fill(&c, "#feedback", "Quick and kind").await;
    click(&c, "#rating-form button[type=submit]").await;
    wait_for_text(&c, "#rated", "Thank you").await;
    let detail = chat_detail(&app, &agent, &session).await;
    let rating = detail["rating"].clone();
    assert_eq!(rating["rating"], 4, "{detail}");
    assert_eq!(rating["feedback"], "Quick and kind", "{detail}");

    // Shutdown forgets the conversation in this browser.
    c.enter_parent_frame().await.unwrap();
    js(&c, "frontdesk('shutdown'); return true").await;
    wait_for_js(
        &c,
        &format!("{IN_SHADOW} return !root.querySelector('iframe') && localStorage.getItem('frontdesk:state') === null"),
        "the panel is gone",
    )
    .await;
    c.refresh().await.unwrap();
    wait_for_js(&c, "return window.widgetReady === true", "ready again").await;
    assert!(
        shadow_find(&c, "iframe").await.is_none(),
        "nothing to preload"
    );
    open_panel(&c).await;
    wait_shown(&c, "prechat", "a fresh start").await;
    assert!(!text_of(&c, "#transcript").await.contains("tea shop"));

    c.close().await.unwrap();
}

#[tokio::test]
async fn a_required_pre_chat_form_asks_name_and_email_before_any_chat() {
    let Some(Visit {
        host,
        app,
        c,
        _keep,
    }) = visit(|s| {
        s.widget.prechat = frontdesk::config::Prechat::Required;
    })
    .await
    else {
        return;
    };
    let (_, agent) = app.agent("ada@example.com", "chat_admin").await;
    open_shop(&c, &host, "").await;
    open_panel(&c).await;
    wait_shown(&c, "prechat", "the pre-chat form").await;
    click(&c, "#prechat-form button[type=submit]").await;
    wait_for_text(&c, "#prechat-error", "your name").await;
    fill(&c, "#prechat-name", "Hal").await;
    fill(&c, "#prechat-email", "not-an-address").await;
    click(&c, "#prechat-form button[type=submit]").await;
    wait_for_text(&c, "#prechat-error", "valid email").await;
    assert!(queue(&app, &agent).await.is_empty(), "no chat yet");
    c.find(Locator::Css("#prechat-email"))
        .await
        .unwrap()
        .clear()
        .await
        .unwrap();
    fill(&c, "#prechat-email", "hal@example.com").await;
    click(&c, "#prechat-form button[type=submit]").await;
    wait_shown(&c, "chat", "the chat view").await;
    let session = wait_for_session(&app, &agent).await;
    let detail = chat_detail(&app, &agent, &session).await;
    let detail = detail.to_string();
    assert!(detail.contains("hal@example.com"), "{detail}");
    c.close().await.unwrap();
}

#[tokio::test]
async fn without_a_pre_chat_form_the_first_message_starts_the_chat() {
    let Some(Visit {
        host,
        app,
        c,
        _keep,
    }) = visit(|s| s.widget.prechat = frontdesk::config::Prechat::Off).await
    else {
        return;
    };
    let (_, agent) = app.agent("ada@example.com", "chat_admin").await;
    open_shop(&c, &host, "").await;
    open_panel(&c).await;
    wait_shown(&c, "chat", "the message box at once").await;
    // The welcome is shown, but opening the panel puts nothing in the queue.
    wait_for_text(&c, "#transcript", "Hi!").await;
    assert!(
        queue(&app, &agent).await.is_empty(),
        "no empty chat in the queue"
    );
    fill(&c, "#message", &format!("Straight to the point{ENTER}")).await;
    let session = wait_for_session(&app, &agent).await;
    wait_for_text(&c, "#transcript", "Straight to the point").await;
    let detail = chat_detail(&app, &agent, &session).await;
    assert_eq!(detail["totalMessages"], 1, "{detail}");
    c.close().await.unwrap();
}
