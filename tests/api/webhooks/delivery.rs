//! Every event reaches a subscribed receiver, signed so the reference library verifies it.

use reqwest::StatusCode;
use serde_json::json;

use super::{Receiver, app_allowing_private, create_endpoint, deliveries, of_type};
use crate::helpers::{TestApp, wait_until};

const ALL_EVENTS: [&str; 6] = [
    "session.created",
    "message.created",
    "session.assigned",
    "session.ended",
    "rating.created",
    "offline_message.created",
];

#[tokio::test]
async fn every_event_arrives_signed_and_verified_by_the_reference_library() {
    let app = app_allowing_private().await;
    let receiver = Receiver::start();
    let (_, admin) = app.agent("owner@example.com", "super_admin").await;
    let (agent_id, agent) = app.agent("ada@example.com", "chat_admin").await;
    let (_, secret) = create_endpoint(&app, &admin, &receiver.url(), &ALL_EVENTS).await;
    receiver.control(&secret, 204).await;

    let user = app.user_token("u_hooks");
    app.start_session(&user, Some("chat_hooks")).await;
    app.send_ok(
        &user,
        "chat_hooks",
        "msg_h1",
        "<script>alert(1)</script> my order",
    )
    .await;
    app.post_ok(
        "/api/admin/chat/session/assign",
        &agent,
        json!({ "sessionId": "chat_hooks", "agentId": agent_id }),
    )
    .await;
    app.agent_reply(&agent, "chat_hooks", "On its way").await;
    app.post_ok(
        "/api/chat/session/end",
        &user,
        json!({ "sessionId": "chat_hooks" }),
    )
    .await;
    app.post_ok(
        "/api/chat/rating",
        &user,
        json!({ "sessionId": "chat_hooks", "rating": 5, "feedback": "quick" }),
    )
    .await;
    let (status, body) = app
        .request(
            reqwest::Method::POST,
            "/api/chat/offline",
            None,
            Some(json!({ "name": "Bo", "email": "bo@example.com", "message": "Call me back" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let got = receiver
        .wait_for("all six kinds of event", |r| {
            ALL_EVENTS.iter().all(|t| !of_type(r, t).is_empty())
                && of_type(r, "message.created").len() == 2
        })
        .await;
    for delivery in &got {
        assert_eq!(delivery["verified"], true, "{delivery}");
        assert_eq!(delivery["path"], "/hook");
        assert!(
            delivery["id"].as_str().unwrap().starts_with("msg_"),
            "{delivery}"
        );
    }
    // Each payload names the chat and what happened.
    let created = of_type(&got, "session.created")[0];
    assert_eq!(
        created["body"]["data"]["session"]["sessionId"],
        "chat_hooks"
    );
    assert_eq!(created["body"]["data"]["session"]["userId"], "u_hooks");
    let messages = of_type(&got, "message.created");
    let texts: Vec<&str> = messages
        .iter()
        .map(|m| m["body"]["data"]["message"]["message"].as_str().unwrap())
        .collect();
    assert!(
        texts.contains(&"<script>alert(1)</script> my order") && texts.contains(&"On its way"),
        "text arrives exactly as sent: {texts:?}"
    );
    let assigned = of_type(&got, "session.assigned")[0];
    assert_eq!(
        assigned["body"]["data"]["agent"]["agentId"],
        agent_id.as_str()
    );
    let ended = of_type(&got, "session.ended")[0];
    assert_eq!(ended["body"]["data"]["session"]["status"], "ended_by_user");
    let rating = of_type(&got, "rating.created")[0];
    assert_eq!(rating["body"]["data"]["rating"]["rating"], 5);
    assert_eq!(rating["body"]["data"]["rating"]["feedback"], "quick");
    let offline = of_type(&got, "offline_message.created")[0];
    assert_eq!(
        offline["body"]["data"]["message"]["message"],
        "Call me back"
    );
    assert_eq!(
        offline["body"]["data"]["session"]["userEmail"],
        "bo@example.com"
    );
    // An offline-form chat is reported as the offline message alone.
    assert_eq!(of_type(&got, "session.created").len(), 1, "{got:?}");
    assert_eq!(of_type(&got, "offline_message.created").len(), 1);

    // The history lists them all as delivered, with the receiver's answer.
    let webhooks = app.get_ok("/api/admin/webhooks", &admin).await;
    let id = webhooks["data"]["webhooks"][0]["webhookId"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        webhooks["data"]["webhooks"][0].get("secret").is_none(),
        "the secret is never listed: {webhooks}"
    );
    wait_until("every delivery recorded as delivered", || async {
        let list = deliveries(&app, &admin, &id).await;
        list.len() == 7 && list.iter().all(|d| d["status"] == "delivered")
    })
    .await;
    let list = deliveries(&app, &admin, &id).await;
    assert!(list.iter().all(|d| d["responseStatus"] == 204), "{list:?}");
}

#[tokio::test]
async fn an_endpoint_gets_only_the_events_it_subscribes_to() {
    let app = app_allowing_private().await;
    let receiver = Receiver::start();
    let (_, admin) = app.agent("owner@example.com", "super_admin").await;
    let (_, secret) = create_endpoint(&app, &admin, &receiver.url(), &["session.ended"]).await;
    receiver.control(&secret, 200).await;
    let user = app.user_token("u_only");
    app.start_session(&user, Some("chat_only")).await;
    app.send_ok(&user, "chat_only", "msg_o1", "hello").await;
    app.post_ok(
        "/api/chat/session/end",
        &user,
        json!({ "sessionId": "chat_only" }),
    )
    .await;
    let got = receiver
        .wait_for("the end", |r| !of_type(r, "session.ended").is_empty())
        .await;
    assert_eq!(got.len(), 1, "only the subscribed event: {got:?}");
    assert_eq!(got[0]["verified"], true);
    // Nothing waits in the outbox for nobody.
    wait_until("the outbox drains", || async {
        app.count_rows("SELECT COUNT(*) FROM outbox_events") == 0
    })
    .await;
}

#[tokio::test]
async fn without_endpoints_no_event_is_written() {
    let app = TestApp::spawn().await;
    let user = app.user_token("u_none");
    app.start_session(&user, Some("chat_none")).await;
    app.send_ok(&user, "chat_none", "msg_n1", "hello").await;
    assert_eq!(app.count_rows("SELECT COUNT(*) FROM outbox_events"), 0);
    assert_eq!(app.count_rows("SELECT COUNT(*) FROM webhook_deliveries"), 0);
}
