//! A randomized test: after any interleaving of concurrent sends, replies, ends and restarts,
//! every poll answers exactly what SQLite holds, and no cursor a poll ever handed out is lost by
//! a restart. Seeds are fixed so a failure replays.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use crate::helpers::*;

const SESSIONS: usize = 4;

/// Messages after `after` (all when `None`), as the database holds them, and the session
/// status.
fn truth(app: &TestApp, session: &str, after: Option<&str>) -> (Vec<String>, String) {
    let db = app.db();
    let after_seq = match after {
        Some(id) => {
            let found = db.number(&format!(
                "SELECT COUNT(*) FROM messages WHERE session_id = '{session}' AND id = '{id}'"
            ));
            assert_eq!(found, 1, "every cursor a poll handed out still exists");
            db.number(&format!(
                "SELECT seq FROM messages WHERE session_id = '{session}' AND id = '{id}'"
            ))
        }
        None => 0,
    };
    let ids = db
        .texts(&format!(
            "SELECT id FROM messages WHERE session_id = '{session}' AND seq > {after_seq} \
             ORDER BY seq LIMIT 100"
        ))
        .into_iter()
        .map(|id| id.expect("a message id"))
        .collect();
    let status = db
        .text(&format!(
            "SELECT status FROM sessions WHERE id = '{session}'"
        ))
        .expect("the session exists");
    (ids, status)
}

fn ids_of(poll: &Value) -> Vec<String> {
    poll["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["messageId"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn polls_agree_with_sqlite_after_random_interleavings() {
    for seed in [7u64, 1234, 99_991] {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut app = TestApp::spawn_with(|s| s.rate_limit_max_requests = 100_000).await;
        let agent_email = "sarah@example.com";
        app.create_agent(agent_email, "Sarah", "super_admin").await;
        let mut agent = app.login(agent_email).await;
        let users: Vec<String> = (0..SESSIONS)
            .map(|i| app.user_token(&format!("rnd_{seed}_{i}")))
            .collect();
        let sessions: Vec<String> = (0..SESSIONS)
            .map(|i| format!("chat_rnd_{seed}_{i}"))
            .collect();
        for (u, s) in users.iter().zip(&sessions) {
            app.start_session(u, Some(s)).await;
        }
        // Cursors clients have been given, per session.
        let mut seen: Vec<Vec<String>> = vec![Vec::new(); SESSIONS];
        let mut counter = 0u32;

        for step in 0..60 {
            match rng.random_range(0..10) {
                // A burst of concurrent writes: user messages (some retried), agent replies, ends.
                0..=6 => {
                    let mut batch = Vec::new();
                    for _ in 0..rng.random_range(1..6) {
                        let i = rng.random_range(0..SESSIONS);
                        counter += 1;
                        let kind = rng.random_range(0..10);
                        batch.push((i, kind, counter));
                    }
                    let writes = batch.iter().map(|(i, kind, n)| {
                        let (app, users, sessions, agent) = (&app, &users, &sessions, &agent);
                        async move {
                            let s = &sessions[*i];
                            match kind {
                                0..=5 => {
                                    let id = format!("msg_{seed}_{n}");
                                    let mut statuses =
                                        vec![app.send(&users[*i], s, &id, "hi").await.0];
                                    if *kind == 0 {
                                        statuses.push(app.send(&users[*i], s, &id, "hi").await.0);
                                    }
                                    statuses
                                }
                                6..=8 => {
                                    vec![app.post(
                                        "/api/admin/chat/message",
                                        agent,
                                        json!({ "sessionId": s, "message": format!("reply {n}") }),
                                    )
                                    .await
                                    .0]
                                }
                                _ => {
                                    vec![
                                        app.post(
                                            "/api/admin/chat/session/end",
                                            agent,
                                            json!({ "sessionId": s, "endReason": "random" }),
                                        )
                                        .await
                                        .0,
                                    ]
                                }
                            }
                        }
                    });
                    for status in futures_util::future::join_all(writes).await.concat() {
                        // Sending to an ended chat is refused; anything else must succeed.
                        assert!(
                            status.is_success() || status.as_u16() == 409,
                            "seed {seed} step {step}: {status}"
                        );
                    }
                }
                // A restart: the hub starts empty and reloads lazily.
                7 => {
                    let dir = app.stop().await;
                    app = TestApp::spawn_in(dir, |s| s.rate_limit_max_requests = 100_000).await;
                    agent = app.login(agent_email).await;
                }
                // Polls from every cursor any client was given, and from the start.
                _ => {}
            }
            for i in 0..SESSIONS {
                let cursors: Vec<Option<String>> = std::iter::once(None)
                    .chain(seen[i].iter().cloned().map(Some))
                    .collect();
                let pick = cursors[rng.random_range(0..cursors.len())].clone();
                let (expected, status) = truth(&app, &sessions[i], pick.as_deref());
                let poll = app.poll(&users[i], &sessions[i], pick.as_deref()).await;
                let expected_page: Vec<String> = expected.iter().take(50).cloned().collect();
                assert_eq!(
                    ids_of(&poll),
                    expected_page,
                    "seed {seed} step {step} session {i} after {pick:?}"
                );
                assert_eq!(
                    poll["sessionStatus"],
                    status.as_str(),
                    "seed {seed} step {step} session {i}"
                );
                assert_eq!(poll["hasMoreMessages"], expected.len() > 50);
                seen[i].extend(ids_of(&poll));
                // Up to date from the newest cursor: nothing new, answered from memory.
                if let Some(last) = expected.last() {
                    let current = app.poll(&users[i], &sessions[i], Some(last)).await;
                    assert_eq!(current["messages"], json!([]), "seed {seed} step {step}");
                }
            }
        }
        app.services
            .store
            .integrity_check()
            .await
            .expect("the database is intact");
        app.stop().await;
    }
}
