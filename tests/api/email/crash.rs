//! A queued email survives kill -9 of the server and is sent after the restart.

use reqwest::StatusCode;
use serde_json::json;

use super::{Sink, TEAM};
use crate::helpers::{TestDb, on_postgres, wait_until};
use crate::process::Server;

#[tokio::test]
async fn a_queued_email_survives_kill_9_and_is_sent_after_the_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("mail.db");
    let sink = Sink::start();
    let smtp = format!("smtp://127.0.0.1:{}", sink.smtp_port);
    let env = [
        ("SMTP_URL", smtp.as_str()),
        ("EMAIL_FROM", "support@shop.example"),
        ("NOTIFY_EMAIL", TEAM),
    ];
    sink.refuse("451 4.3.0 Try again later").await;
    let mut server = Server::start_with(&db, &env);
    let client = reqwest::Client::new();
    let left = client
        .post(format!("{}/api/chat/offline", server.base))
        .json(&json!({ "name": "Gus", "email": "gus@example.com", "message": "Are you open on Sunday?" }))
        .send()
        .await
        .unwrap();
    assert_eq!(left.status(), StatusCode::OK);
    wait_until("a refused attempt", || async {
        sink.state().await["refused"].as_i64().unwrap() >= 1
    })
    .await;

    server.child.kill().expect("SIGKILL");
    server.child.wait().unwrap();
    sink.refuse("").await;
    if on_postgres() {
        // Replicas lease an email while sending it; one killed mid-attempt leaves it leased
        // for minutes. The email is still queued; the lease's end is time passing.
        let queued = TestDb::of(&db);
        assert_eq!(
            queued.number("SELECT COUNT(*) FROM email_outbox WHERE status = 'pending'"),
            1,
            "the email is still queued"
        );
        queued.execute("UPDATE email_outbox SET next_attempt_at = 0 WHERE status = 'pending'");
    }
    let _server = Server::start_with(&db, &env);
    // Due 5 s after the refusal, sent by the restarted server.
    let mail = sink.wait_for(1).await;
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0]["to"], json!([TEAM]));
    assert!(
        mail[0]["text"]
            .as_str()
            .unwrap()
            .contains("Are you open on Sunday?")
    );
}
