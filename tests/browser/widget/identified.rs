//! An identified user (`identify` with a JWT): their open chat and history, shutdown; and the
//! fallback to long-poll when the stream is refused.

use reqwest::StatusCode;
use serde_json::json;

use super::*;

#[tokio::test]
async fn an_identified_user_continues_their_chat_and_sees_their_history() {
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
    // Carol chatted in the app before: one chat over, one still open.
    let carol = app.user_token("carol");
    app.start_session(&carol, Some("chat_carol_old")).await;
    app.send_ok(&carol, "chat_carol_old", "msg_carol_1", "My kettle leaks")
        .await;
    app.agent_reply(&agent, "chat_carol_old", "A new kettle is on its way")
        .await;
    let _ = app
        .post_ok(
            "/api/chat/session/end",
            &carol,
            json!({ "sessionId": "chat_carol_old" }),
        )
        .await;
    app.start_session(&carol, Some("chat_carol_now")).await;
    app.send_ok(
        &carol,
        "chat_carol_now",
        "msg_carol_2",
        "Where is my parcel?",
    )
    .await;

    open_shop(&c, &host, &format!("?token={carol}")).await;
    open_panel(&c).await;
    wait_for_text(&c, "#transcript", "Where is my parcel?").await;
    wait_for_text(&c, "#history", "A new kettle is on its way").await;
    assert!(
        js(&c, "return document.getElementById('prechat').hidden").await == json!(true),
        "no pre-chat form for a signed-in user"
    );
    fill(&c, "#message", &format!("It was due Monday{ENTER}")).await;
    wait_until("the message reaches carol's open chat", || async {
        app.poll(&carol, "chat_carol_now", None)
            .await
            .to_string()
            .contains("It was due Monday")
    })
    .await;

    // Signed out: the panel forgets, and the next visitor is a guest with nothing of Carol's.
    c.enter_parent_frame().await.unwrap();
    js(&c, "frontdesk('shutdown'); return true").await;
    wait_for_js(
        &c,
        &format!("{IN_SHADOW} return !root.querySelector('iframe')"),
        "the panel is gone",
    )
    .await;
    open_shop(&c, &host, "").await;
    open_panel(&c).await;
    wait_shown(&c, "prechat", "a guest's start").await;
    assert!(!text_of(&c, "#panel").await.contains("parcel"));

    c.close().await.unwrap();
}

#[tokio::test]
async fn a_refused_stream_falls_back_to_polling() {
    // One held connection per user, and the test holds it: the panel's stream is refused.
    let Some(Visit {
        host,
        app,
        c,
        _keep,
    }) = visit(|s| s.max_held_polls_per_user = 1).await
    else {
        return;
    };
    let (_, agent) = app.agent("ada@example.com", "chat_admin").await;
    let dan = app.user_token("dan");
    app.start_session(&dan, Some("chat_dan")).await;
    app.send_ok(&dan, "chat_dan", "msg_dan_1", "Is the shop open on Sunday?")
        .await;
    let held = app
        .client
        .get(app.url("/api/chat/stream/chat_dan"))
        .bearer_auth(&dan)
        .send()
        .await
        .expect("the test's own stream");
    assert_eq!(held.status(), StatusCode::OK);
    app.wait_until_held("dan", 1).await;

    open_shop(&c, &host, &format!("?token={dan}")).await;
    open_panel(&c).await;
    wait_for_text(&c, "#transcript", "Is the shop open on Sunday?").await;
    app.agent_reply(&agent, "chat_dan", "Yes, from ten to four")
        .await;
    wait_for_text(&c, "#transcript", "Yes, from ten to four").await;
    let polled = js(
        &c,
        "return performance.getEntriesByType('resource').some(e => e.name.includes('/api/chat/poll/chat_dan'))",
    )
    .await;
    assert_eq!(polled, json!(true), "the reply came by long-poll");
    drop(held);
    c.close().await.unwrap();
}

#[tokio::test]
async fn the_panel_says_reconnecting_while_the_server_is_away_and_then_resumes() {
    let Some(Visit {
        host,
        app,
        c,
        _keep,
    }) = visit(|_| {}).await
    else {
        return;
    };
    let dan = app.user_token("dan");
    app.start_session(&dan, Some("chat_dan")).await;
    app.send_ok(&dan, "chat_dan", "msg_dan_1", "Are you there?")
        .await;
    open_shop(&c, &host, &format!("?token={dan}")).await;
    open_panel(&c).await;
    wait_for_text(&c, "#transcript", "Are you there?").await;
    app.wait_until_held("dan", 1).await;

    // The server goes away (a restart): every try fails until it is back.
    let origins = app.services.settings.widget.allowed_origins.clone();
    let addr: std::net::SocketAddr = app.base.trim_start_matches("http://").parse().unwrap();
    let dir = app.stop().await;
    wait_shown(&c, "reconnecting", "a visible reconnecting state").await;

    let app = TestApp::spawn_at(addr, dir, |s| {
        s.allow_guests = true;
        s.widget.allowed_origins = origins;
    })
    .await;
    let (_, agent) = app.agent("ada@example.com", "chat_admin").await;
    app.agent_reply(&agent, "chat_dan", "Back again, how can I help?")
        .await;
    wait_for_text(&c, "#transcript", "Back again, how can I help?").await;
    wait_for_js(
        &c,
        "return document.getElementById('reconnecting').hidden",
        "connected again: no longer reconnecting",
    )
    .await;
    c.close().await.unwrap();
}
