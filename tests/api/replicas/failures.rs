//! What failures do to replicas on one PostgreSQL database: one replica killed with SIGKILL
//! while busy, and the database itself restarted under load. Nothing acknowledged is lost,
//! retries of the same message never store it twice, and the survivors keep serving.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;
use crate::postgres::{Cluster, PrivateCluster};
use crate::process::{Server, call, call_ok};

/// Senders per replica, each with a session of its own.
const SENDERS: usize = 4;

fn token_of(sender: usize) -> String {
    user_token_with(json!({ "sub": format!("replica_user_{sender}"), "exp": now_secs() + 3600 }))
}

fn session_of(sender: usize) -> String {
    format!("chat_replica_{sender}")
}

/// Every message id of `sender`'s own messages in its session, in order, read through `base`.
async fn stored_ids(client: &reqwest::Client, base: &str, sender: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for page in 1.. {
        let url = format!(
            "{base}/api/chat/messages/{}?page={page}&limit=100",
            session_of(sender)
        );
        let body = call_ok(client, reqwest::Method::GET, url, &token_of(sender), None).await;
        ids.extend(
            body["data"]["messages"]
                .as_array()
                .expect("messages")
                .iter()
                .map(|m| m["messageId"].as_str().expect("id").to_string())
                .filter(|id| id.starts_with(&format!("msg_{sender}_"))),
        );
        if body["data"]["pagination"]["hasNext"] != true {
            return ids;
        }
    }
    unreachable!()
}

#[tokio::test]
async fn killing_one_replica_loses_nothing_acknowledged_and_the_other_keeps_serving() {
    let url = Cluster::get().fresh_database().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let (db_a, db_b) = (dir.path().join("a.db"), dir.path().join("b.db"));
    use_postgres_for(&db_a, &url);
    use_postgres_for(&db_b, &url);
    let env = [
        ("RATE_LIMIT_MAX_REQUESTS", "1000000"),
        ("RATE_LIMIT_MAX_REQUESTS_PER_USER", "1000000"),
    ];
    let mut a = Server::start_with(&db_a, &env);
    let b = Server::start_with(&db_b, &env);
    let client = reqwest::Client::new();
    // Senders 0.. go through A, the next ones through B.
    let base_of = |sender: usize| {
        if sender < SENDERS {
            a.base.clone()
        } else {
            b.base.clone()
        }
    };
    for sender in 0..2 * SENDERS {
        let body = json!({ "sessionId": session_of(sender) });
        let url = format!("{}/api/chat/session", base_of(sender));
        call_ok(
            &client,
            reqwest::Method::POST,
            url,
            &token_of(sender),
            Some(body),
        )
        .await;
    }

    let acked: Arc<Vec<std::sync::Mutex<Vec<String>>>> =
        Arc::new((0..2 * SENDERS).map(|_| Default::default()).collect());
    let (acks_a, acks_b) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let stop = Arc::new(AtomicBool::new(false));
    let mut senders = Vec::new();
    for sender in 0..2 * SENDERS {
        let (client, base, acked, stop) =
            (client.clone(), base_of(sender), acked.clone(), stop.clone());
        let acks = if sender < SENDERS {
            acks_a.clone()
        } else {
            acks_b.clone()
        };
        senders.push(tokio::spawn(async move {
            for n in 0.. {
                if stop.load(Ordering::SeqCst) {
                    return Ok(());
                }
                let id = format!("msg_{sender}_{n}");
                let body = json!({ "sessionId": session_of(sender), "messageId": id, "message": format!("message {n}") });
                let url = format!("{base}/api/chat/message");
                match call(&client, reqwest::Method::POST, url, &token_of(sender), Some(body)).await {
                    Ok((StatusCode::OK, _)) => {
                        acked[sender].lock().unwrap().push(id);
                        acks.fetch_add(1, Ordering::SeqCst);
                    }
                    Ok((status, body)) => return Err(format!("{id} refused with {status}: {body}")),
                    // The replica this sender uses was killed.
                    Err(_) => return Ok(()),
                }
            }
            unreachable!()
        }));
    }
    let (acks_a_wait, acks_b_wait) = (acks_a.clone(), acks_b.clone());
    wait_until("both replicas acknowledge sends", || {
        let done =
            acks_a_wait.load(Ordering::SeqCst) >= 200 && acks_b_wait.load(Ordering::SeqCst) >= 50;
        async move { done }
    })
    .await;
    a.child.kill().expect("SIGKILL");
    a.child.wait().expect("A is gone");
    let after_kill = acks_b.load(Ordering::SeqCst);
    let acks_b_wait = acks_b.clone();
    wait_until("B keeps acknowledging after A died", || {
        let done = acks_b_wait.load(Ordering::SeqCst) >= after_kill + 200;
        async move { done }
    })
    .await;
    stop.store(true, Ordering::SeqCst);
    for sender in senders {
        if let Err(refused) = within("a sender stops", sender).await.expect("sender task") {
            let errors: Vec<String> = b
                .log_lines()
                .into_iter()
                .filter(|l| l.contains("ERROR") || l.contains("WARN"))
                .collect();
            panic!("{refused}\nreplica B's log:\n{}", errors.join("\n"));
        }
    }

    for sender in 0..2 * SENDERS {
        let stored = stored_ids(&client, &b.base, sender).await;
        let mut counts: HashMap<&String, usize> = HashMap::new();
        for id in &stored {
            *counts.entry(id).or_default() += 1;
        }
        assert!(
            counts.values().all(|c| *c == 1),
            "sender {sender}: stored twice"
        );
        let acked = acked[sender].lock().unwrap();
        for id in acked.iter() {
            assert!(
                counts.contains_key(id),
                "sender {sender}: acknowledged {id} was lost"
            );
        }
        // At most the one send outstanding at the kill is stored without an acknowledgement.
        assert!(
            stored.len() <= acked.len() + 1,
            "sender {sender}: {stored:?}"
        );
    }
}

#[tokio::test]
async fn a_database_restart_under_load_loses_nothing_and_the_replicas_reconnect() {
    let mut cluster = PrivateCluster::start().await;
    let (a, b) = TestApp::spawn_replicas_on(&cluster.url("frontdesk"), |settings| {
        settings.rate_limit_max_requests = 1_000_000;
        settings.rate_limit_max_requests_per_user = Some(1_000_000);
    })
    .await;
    let app_of = |sender: usize| if sender < SENDERS { &a } else { &b };
    for sender in 0..2 * SENDERS {
        app_of(sender)
            .start_session(&token_of(sender), Some(&session_of(sender)))
            .await;
    }
    let acks = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut senders = Vec::new();
    for sender in 0..2 * SENDERS {
        let (client, base, acks, stop) = (
            app_of(sender).client.clone(),
            app_of(sender).base.clone(),
            acks.clone(),
            stop.clone(),
        );
        senders.push(tokio::spawn(async move {
            let mut acked = Vec::new();
            let mut failed_attempts = 0;
            for n in 0.. {
                if stop.load(Ordering::SeqCst) {
                    return (acked, failed_attempts);
                }
                let id = format!("msg_{sender}_{n}");
                let body = json!({ "sessionId": session_of(sender), "messageId": id, "message": format!("message {n}") });
                // The same message is sent again until it is acknowledged: while the database
                // is down answers fail, and a retry of a send that did commit must not store
                // it twice.
                loop {
                    let url = format!("{base}/api/chat/message");
                    match call(&client, reqwest::Method::POST, url, &token_of(sender), Some(body.clone())).await {
                        Ok((StatusCode::OK, _)) => break,
                        Ok((status, answer)) => {
                            assert!(status.is_server_error(), "{id}: {status} {answer}");
                            assert!(answer["success"] == false, "{id}: {answer}");
                            failed_attempts += 1;
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                        Err(e) => panic!("{id}: no answer from a replica that is up: {e}"),
                    }
                }
                acked.push(id);
                acks.fetch_add(1, Ordering::SeqCst);
            }
            unreachable!()
        }));
    }
    let waiting = acks.clone();
    wait_until("sends go through before the restart", || {
        let done = waiting.load(Ordering::SeqCst) >= 100;
        async move { done }
    })
    .await;
    cluster.restart().await;
    let at_restart = acks.load(Ordering::SeqCst);
    let waiting = acks.clone();
    wait_until("sends go through again after the restart", || {
        let done = waiting.load(Ordering::SeqCst) >= at_restart + 200;
        async move { done }
    })
    .await;
    stop.store(true, Ordering::SeqCst);
    let mut acked_by_sender = Vec::new();
    for sender in senders {
        acked_by_sender.push(within("a sender stops", sender).await.expect("sender").0);
    }
    for (sender, acked) in acked_by_sender.iter().enumerate() {
        let stored = stored_ids(&a.client, &a.base, sender).await;
        assert_eq!(
            &stored, acked,
            "sender {sender}: every message once, in order"
        );
    }

    // Both replicas' change feeds came back, so a reply through B wakes a poll held on A.
    for app in [&a, &b] {
        let relay_up = || async { app.services.relay.times_resumed() >= 1 };
        wait_until("the replica's change feed reconnects", relay_up).await;
    }
    let user = token_of(0);
    let (_, agent) = b.agent("ann@example.com", "super_admin").await;
    let last = stored_ids(&a.client, &a.base, 0)
        .await
        .pop()
        .expect("a message");
    let request = a
        .client
        .get(a.url(&format!(
            "/api/chat/poll/{}?after={last}&wait=30",
            session_of(0)
        )))
        .bearer_auth(&user);
    let poll = tokio::spawn(async move { decode(request.send().await.expect("answered")).await });
    a.wait_until_held("replica_user_0", 1).await;
    b.agent_reply(&agent, &session_of(0), "back again").await;
    let (status, body) = within("the poll wakes", poll).await.expect("poll task");
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["data"]["messages"][0]["message"], "back again",
        "{body}"
    );
}
