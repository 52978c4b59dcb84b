//! Crash safety: the built binary killed with SIGKILL while it is busy writing loses no
//! acknowledged message and stores none twice.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::process::{Server, call, call_ok};

/// Every message id in a session, in transcript order, read page by page through the API.
async fn stored_ids(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    session: &str,
) -> Vec<String> {
    let mut ids = Vec::new();
    for page in 1.. {
        let url = format!("{base}/api/chat/messages/{session}?page={page}&limit=100");
        let body = call_ok(client, reqwest::Method::GET, url, token, None).await;
        let messages = body["data"]["messages"].as_array().unwrap();
        ids.extend(
            messages
                .iter()
                .map(|m| m["messageId"].as_str().unwrap().to_string()),
        );
        if body["data"]["pagination"]["hasNext"] != true {
            return ids;
        }
    }
    unreachable!()
}

/// Concurrent senders, each with its own user and session.
const SENDERS: usize = 32;
/// The kill comes once this many sends have been acknowledged, with every sender still going.
const ACKS_BEFORE_KILL: usize = 600;

/// One message a sender tried to send.
#[derive(Clone, Debug)]
struct Sent {
    sender: usize,
    n: u64,
    id: String,
}

impl Sent {
    fn text(&self) -> String {
        format!("message {} from sender {}", self.n, self.sender)
    }

    fn body(&self) -> Value {
        json!({ "sessionId": session_of(self.sender), "messageId": self.id, "message": self.text() })
    }
}

fn session_of(sender: usize) -> String {
    format!("chat_crash_{sender}")
}

fn token_of(sender: usize) -> String {
    user_token_with(json!({ "sub": format!("crash_user_{sender}"), "exp": now_secs() + 3600 }))
}

/// What the senders saw: acknowledged sends, and sends that were outstanding when the server
/// was killed (sent before the kill, no answer after it).
#[derive(Default)]
struct Ledger {
    acked: Vec<Sent>,
    in_flight_at_kill: Vec<Sent>,
}

#[tokio::test]
async fn every_acknowledged_message_survives_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crash.db");
    // The limit is raised so that senders are never refused: the server must be busy writing.
    let env = [("RATE_LIMIT_MAX_REQUESTS", "1000000")];
    let client = reqwest::Client::new();
    let mut server = Server::start_with(&db, &env);
    for sender in 0..SENDERS {
        let url = format!("{}/api/chat/session", server.base);
        let body = json!({ "sessionId": session_of(sender) });
        call_ok(
            &client,
            reqwest::Method::POST,
            url,
            &token_of(sender),
            Some(body),
        )
        .await;
    }

    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let killed = Arc::new(AtomicBool::new(false));
    let (acks, mut ack_count) = tokio::sync::watch::channel(0usize);
    let acks = Arc::new(acks);
    let mut senders = Vec::new();
    for sender in 0..SENDERS {
        let (client, url, ledger, killed, acks) = (
            client.clone(),
            format!("{}/api/chat/message", server.base),
            ledger.clone(),
            killed.clone(),
            acks.clone(),
        );
        senders.push(tokio::spawn(async move {
            let token = token_of(sender);
            for n in 0.. {
                let sent = Sent {
                    sender,
                    n,
                    id: format!("msg_crash_{sender}_{n}"),
                };
                let before_kill = !killed.load(Ordering::SeqCst);
                let answer = call(
                    &client,
                    reqwest::Method::POST,
                    url.clone(),
                    &token,
                    Some(sent.body()),
                )
                .await;
                match answer {
                    Ok((StatusCode::OK, body)) => {
                        assert_eq!(body["data"]["duplicate"], false, "{body}");
                        ledger.lock().unwrap().acked.push(sent);
                        acks.send_modify(|count| *count += 1);
                    }
                    Ok((status, body)) => panic!("{} refused with {status}: {body}", sent.id),
                    Err(_) if before_kill => {
                        ledger.lock().unwrap().in_flight_at_kill.push(sent);
                        return;
                    }
                    // Sent after the kill: connection refused, nothing was outstanding.
                    Err(_) => return,
                }
            }
        }));
    }

    within(
        "enough acknowledgements before the kill",
        ack_count.wait_for(|count| *count >= ACKS_BEFORE_KILL),
    )
    .await
    .unwrap();
    assert!(
        senders.iter().all(|s| !s.is_finished()),
        "every sender is still sending at the kill"
    );
    killed.store(true, Ordering::SeqCst);
    server.child.kill().expect("SIGKILL");
    server.child.wait().unwrap();
    for sender in senders {
        within("a sender notices the kill", sender).await.unwrap();
    }
    let Ledger {
        acked,
        in_flight_at_kill,
    } = std::mem::take(&mut *ledger.lock().unwrap());

    let server = Server::start_with(&db, &env);
    let mut stored: HashMap<String, usize> = HashMap::new();
    for sender in 0..SENDERS {
        let ids = stored_ids(
            &client,
            &server.base,
            &token_of(sender),
            &session_of(sender),
        )
        .await;
        // One sender sends in order, so its messages are stored in that order.
        let mine: Vec<u64> = ids
            .iter()
            .filter_map(|id| id.strip_prefix(&format!("msg_crash_{sender}_")))
            .map(|n| n.parse().unwrap())
            .collect();
        assert!(
            mine.windows(2).all(|w| w[0] < w[1]),
            "sender {sender}: {mine:?}"
        );
        for id in ids {
            *stored.entry(id).or_default() += 1;
        }
    }
    let lost: Vec<&str> = acked
        .iter()
        .filter(|m| !stored.contains_key(&m.id))
        .map(|m| m.id.as_str())
        .collect();
    let duplicated: Vec<&String> = stored
        .iter()
        .filter(|(_, count)| **count > 1)
        .map(|(id, _)| id)
        .collect();
    let committed_unacked = in_flight_at_kill
        .iter()
        .filter(|m| stored.contains_key(&m.id))
        .count();
    println!(
        "kill -9 with {SENDERS} senders: acknowledged {}, lost {}, duplicated {}; \
         in flight at the kill {} (stored anyway {})",
        acked.len(),
        lost.len(),
        duplicated.len(),
        in_flight_at_kill.len(),
        committed_unacked,
    );
    assert!(acked.len() >= ACKS_BEFORE_KILL);
    assert!(
        !in_flight_at_kill.is_empty(),
        "requests were outstanding when the server was killed"
    );
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
    assert!(duplicated.is_empty(), "stored twice: {duplicated:?}");

    // A phone retries what it got no answer for: each retry is accepted, a duplicate exactly
    // when the first attempt had been committed, and afterwards it is stored once.
    for sent in &in_flight_at_kill {
        let url = format!("{}/api/chat/message", server.base);
        let token = token_of(sent.sender);
        let body = call_ok(
            &client,
            reqwest::Method::POST,
            url,
            &token,
            Some(sent.body()),
        )
        .await;
        assert_eq!(
            body["data"]["duplicate"],
            stored.contains_key(&sent.id),
            "{}: {body}",
            sent.id
        );
    }
    // A retry of an acknowledged message after the restart stores nothing new.
    let count_messages = || TestDb::of(&db).number("SELECT COUNT(*) FROM messages");
    let before = count_messages();
    let last = acked.last().unwrap();
    let url = format!("{}/api/chat/message", server.base);
    let body = call_ok(
        &client,
        reqwest::Method::POST,
        url,
        &token_of(last.sender),
        Some(last.body()),
    )
    .await;
    assert_eq!(body["data"]["duplicate"], true, "{body}");
    for sender in 0..SENDERS {
        let ids = stored_ids(
            &client,
            &server.base,
            &token_of(sender),
            &session_of(sender),
        )
        .await;
        let unique: HashSet<&String> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len(), "sender {sender}: stored once each");
    }
    drop(server);
    assert_eq!(before, count_messages());
    let conn = rusqlite::Connection::open(&db).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
}
