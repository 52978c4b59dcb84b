//! Several replicas on one PostgreSQL database, as behind a plain load balancer: a reply sent
//! through one replica wakes a long-poll held by the other, racing agents on different
//! replicas have one winner, and concurrent sends through both keep one order that every
//! poll follows exactly once. These run on PostgreSQL whatever engine the rest of the suite
//! uses (SQLite serves one process).

use std::collections::HashSet;
use std::time::Instant;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

/// Ids of the messages a poll answer carries, in order.
fn ids_of(poll: &Value) -> Vec<String> {
    poll["messages"]
        .as_array()
        .expect("a poll answer lists messages")
        .iter()
        .map(|m| m["messageId"].as_str().expect("a message id").to_string())
        .collect()
}

/// A long-poll on `app` after `after`, answered when news arrives (or after 30 s).
fn long_poll(
    app: &TestApp,
    token: &str,
    session: &str,
    after: &str,
) -> tokio::task::JoinHandle<(StatusCode, Value)> {
    let request = app
        .client
        .get(app.url(&format!("/api/chat/poll/{session}?after={after}&wait=30")))
        .bearer_auth(token);
    tokio::spawn(async move { decode(request.send().await.expect("the poll is answered")).await })
}

#[tokio::test]
async fn a_reply_through_one_replica_wakes_a_long_poll_on_the_other() {
    let (a, b) = TestApp::spawn_replicas(|_| {}).await;
    let user = a.user_token("u_wake");
    a.start_session(&user, Some("chat_wake")).await;
    let (_, agent) = b.agent("ann@example.com", "super_admin").await;
    let mut after = ids_of(&a.poll(&user, "chat_wake", None).await)
        .pop()
        .expect("the welcome message");

    let mut waits = Vec::new();
    for round in 0..200 {
        let poll = long_poll(&a, &user, "chat_wake", &after);
        a.wait_until_held("u_wake", 1).await;
        let sent = Instant::now();
        let text = format!("reply {round}");
        b.agent_reply(&agent, "chat_wake", &text).await;
        let (status, body) = within("the held poll wakes", poll)
            .await
            .expect("poll task");
        waits.push(sent.elapsed());
        assert_eq!(status, StatusCode::OK, "{body}");
        let messages = body["data"]["messages"].as_array().expect("messages");
        assert_eq!(messages.len(), 1, "round {round}: {body}");
        assert_eq!(messages[0]["message"], text.as_str());
        after = messages[0]["messageId"].as_str().expect("id").to_string();
    }
    // The figure is reported, not asserted: scripts/bench replicas measures it.
    waits.sort();
    println!(
        "cross-replica wake-up over 200 replies: p50 {:?}, p99 {:?}",
        waits[100], waits[197]
    );
}

#[tokio::test]
async fn agents_racing_for_one_chat_on_two_replicas_have_one_winner() {
    let (a, b) = TestApp::spawn_replicas(|_| {}).await;
    let (_, ann) = a.agent("ann@example.com", "chat_admin").await;
    let bob = {
        b.create_agent("bob@example.com", "bob", "chat_admin").await;
        b.login("bob@example.com").await
    };
    for round in 0..100 {
        let id = format!("chat_race_{round}");
        // A user of its own each round: one user may have only so many chats open at once.
        let user = a.user_token(&format!("u_race_{round}"));
        a.start_session(&user, Some(&id)).await;
        let body = json!({ "sessionId": id });
        let (first, second) = tokio::join!(
            a.post("/api/admin/chat/session/assign", &ann, body.clone()),
            b.post("/api/admin/chat/session/assign", &bob, body.clone()),
        );
        let answers = [first, second];
        let winners: Vec<usize> = (0..2).filter(|i| answers[*i].0 == StatusCode::OK).collect();
        assert_eq!(winners.len(), 1, "round {round}: {answers:?}");
        let loser = &answers[1 - winners[0]];
        assert_error(loser.0, &loser.1, 409, "ALREADY_ASSIGNED");
        // The winner lets go, so capacity never decides a later round.
        let (app, token) = if winners[0] == 0 {
            (&a, &ann)
        } else {
            (&b, &bob)
        };
        app.post_ok(
            "/api/admin/chat/session/release",
            token,
            json!({ "sessionId": id }),
        )
        .await;
    }
    assert_eq!(
        a.count_rows("SELECT COUNT(*) FROM sessions WHERE assigned_agent_id IS NOT NULL"),
        0
    );
    assert_eq!(
        a.count_rows("SELECT COALESCE(SUM(active_chats), 0)::BIGINT FROM agents"),
        0,
        "every assignment and release was counted once"
    );
    assert_eq!(
        a.count_rows("SELECT COUNT(*) FROM outbox_events WHERE type = 'session.assigned'"),
        0,
        "nobody subscribed, so nothing was queued"
    );
}

#[tokio::test]
async fn concurrent_sends_through_both_replicas_keep_one_order_every_poll_follows() {
    const EACH: usize = 60;
    let (a, b) = TestApp::spawn_replicas(|settings| {
        settings.rate_limit_max_requests = 100_000;
        settings.rate_limit_max_requests_per_user = Some(100_000);
    })
    .await;
    let user = a.user_token("u_order");
    a.start_session(&user, Some("chat_order")).await;
    let (_, agent) = b.agent("ann@example.com", "super_admin").await;
    let welcome = ids_of(&a.poll(&user, "chat_order", None).await)
        .pop()
        .expect("the welcome message");

    // A follower on each replica walks the cursor with long-polls while the sends go on.
    let follow = |app: &TestApp| {
        let (client, base, token) = (app.client.clone(), app.base.clone(), user.clone());
        let mut after = welcome.clone();
        tokio::spawn(async move {
            let mut seen = Vec::new();
            while seen.len() < 2 * EACH {
                let url =
                    format!("{base}/api/chat/poll/chat_order?after={after}&wait=30&limit=100");
                let response = client.get(url).bearer_auth(&token).send().await;
                let (status, body) = decode(response.expect("poll answered")).await;
                assert_eq!(status, StatusCode::OK, "{body}");
                let ids = ids_of(&body["data"]);
                if let Some(last) = ids.last() {
                    after = last.clone();
                }
                seen.extend(ids);
            }
            seen
        })
    };
    let on_a = follow(&a);
    let on_b = follow(&b);

    let users_sends = async {
        for n in 0..EACH {
            a.send_ok(
                &user,
                "chat_order",
                &format!("msg_user_{n}"),
                &format!("user {n}"),
            )
            .await;
        }
    };
    let agents_sends = async {
        for n in 0..EACH {
            b.agent_reply(&agent, "chat_order", &format!("agent {n}"))
                .await;
        }
    };
    tokio::join!(users_sends, agents_sends);

    let seen_on_a = within("the follower on A sees every message", on_a)
        .await
        .expect("follower");
    let seen_on_b = within("the follower on B sees every message", on_b)
        .await
        .expect("follower");
    // The stored order, page by page from either replica, is the order both followers saw.
    let mut stored = Vec::new();
    for page in 1..=3 {
        let body = b
            .get_ok(
                &format!("/api/chat/messages/chat_order?page={page}&limit=100"),
                &user,
            )
            .await;
        stored.extend(ids_of(&body["data"]));
    }
    let stored: Vec<String> = stored.into_iter().filter(|id| *id != welcome).collect();
    assert_eq!(stored.len(), 2 * EACH, "{stored:?}");
    let distinct: HashSet<&String> = stored.iter().collect();
    assert_eq!(distinct.len(), 2 * EACH, "no message stored twice");
    assert_eq!(
        seen_on_a, stored,
        "the follower on A saw each message once, in order"
    );
    assert_eq!(
        seen_on_b, stored,
        "the follower on B saw each message once, in order"
    );
    // The user's own messages keep the order they were sent in.
    let users: Vec<&String> = stored
        .iter()
        .filter(|id| id.starts_with("msg_user_"))
        .collect();
    let expected: Vec<String> = (0..EACH).map(|n| format!("msg_user_{n}")).collect();
    assert_eq!(users, expected.iter().collect::<Vec<_>>());
}

mod failures;
mod tls;
