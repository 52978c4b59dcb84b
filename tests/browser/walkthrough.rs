//! The walkthrough: first run, the live queue, working a chat with the keyboard, ending it,
//! analytics, and the pages at phone width.

use std::time::Duration;

use fantoccini::Locator;
use fantoccini::key::Key;
use serde_json::{Value, json};

use super::*;

const HOSTILE: &str = "<img src=x onerror=alert(1)> where is my order?";

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
            let (status, body) = app
                .post(
                    "/api/chat/session",
                    &user,
                    json!({ "sessionId": id, "userInfo": { "name": format!("Customer {d}{i}") } }),
                )
                .await;
            assert_eq!(status.as_u16(), 200, "{body}");
            user_says(
                app,
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
                let (status, body) = app
                    .post(
                        "/api/admin/chat/session/end",
                        agents[0],
                        json!({ "sessionId": id, "endReason": "Answered" }),
                    )
                    .await;
                assert_eq!(status.as_u16(), 200, "{body}");
            } else {
                let rating = [5, 4, 5, 3, 4, 5, 2][(d + i) % 7];
                let (status, body) = app
                    .post(
                        "/api/chat/session/end",
                        &user,
                        json!({ "sessionId": id, "rating": rating }),
                    )
                    .await;
                assert_eq!(status.as_u16(), 200, "{body}");
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
        // The seeding agents' tokens must outlive the week it moves the server clock through.
        s.agent_token_ttl = Duration::from_secs(8 * 24 * 3600);
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
    click(&c, "button[type=submit]").await;
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
    sign_in(&c, &app, "dana@example.com").await;

    // Some context for the screenshots: a canned reply, a persona chat, an urgent one.
    let agent = app.login("dana@example.com").await;
    let (status, body) = app
        .post(
            "/api/admin/canned-responses",
            &agent,
            json!({ "title": "Thanks", "shortcut": "/thanks", "text": "Thanks for your patience!" }),
        )
        .await;
    assert_eq!(status.as_u16(), 200, "{body}");
    let (status, persona) = app
        .post("/api/admin/personas", &agent, json!({ "name": "Emma" }))
        .await;
    assert_eq!(status.as_u16(), 200, "{persona}");
    let persona_id = persona["data"]["persona"]["personaId"]
        .as_str()
        .unwrap()
        .to_string();
    let emma_user = app.user_token("maria");
    let (status, body) = app
        .post(
            "/api/chat/session",
            &emma_user,
            json!({ "sessionId": "chat_browser_persona", "personaId": persona_id, "userInfo": { "name": "Maria Gomez" } }),
        )
        .await;
    assert_eq!(status.as_u16(), 200, "{body}");
    user_says(
        &app,
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
    let (status, body) = app
        .put(
            "/api/admin/chat/session/chat_browser_urgent/priority",
            &agent,
            json!({ "priority": "urgent" }),
        )
        .await;
    assert_eq!(status.as_u16(), 200, "{body}");

    // A chat created over the client API appears in the open queue without a reload (a mark
    // left on the page's window survives: the page was not loaded again).
    js(&c, "window.fdNoReload = true; return true").await;
    let mine = user_chat(&app, "alice", "chat_browser_1", "<b>Alice</b>", HOSTILE).await;
    c.wait()
        .at_most(WAIT)
        .for_element(Locator::Css("li[data-session='chat_browser_1']"))
        .await
        .expect("the new chat shows up by itself");
    assert_eq!(
        js(&c, "return window.fdNoReload === true").await,
        json!(true),
        "the queue updated without a reload"
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
    click(&c, "li[data-session='chat_browser_1'] a").await;
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

    // The user types; the agent sees it live. A typing signal lasts 5 s on the server clock, so
    // like a real app the user keeps sending it while typing (a slow machine may take longer
    // than one signal's life to show it).
    let alice = app.user_token("alice");
    let seen = eventually(WAIT, || async {
        let (status, body) = app
            .post(
                "/api/chat/typing",
                &alice,
                json!({ "sessionId": "chat_browser_1", "isTyping": true }),
            )
            .await;
        assert_eq!(status.as_u16(), 200, "{body}");
        match c.find(Locator::Css("#typing")).await {
            Ok(el) => el.text().await.is_ok_and(|t| t.contains("is typing")),
            Err(_) => false,
        }
    })
    .await;
    assert!(
        seen,
        "the agent should see the user typing; page:\n{}",
        c.source().await.unwrap_or_default()
    );

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
    user_says(
        &app,
        &alice,
        "chat_browser_1",
        "msg_alice_2",
        "Great, thank you!",
    )
    .await;
    wait_for_text(&c, "#transcript", "Great, thank you!").await;
    save_screenshot(&c, "chat").await;

    // End it with a reason; the user's poll says so.
    let reason = c.find(Locator::Css("#end-reason")).await.unwrap();
    reason.send_keys("Resolved in the browser").await.unwrap();
    click(&c, "button.danger").await;
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
