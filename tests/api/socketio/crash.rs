//! An acknowledged Socket.IO message survives `kill -9` of the built binary.

use serde_json::json;

use super::client::{SioClient, TRANSPORTS};
use crate::helpers::*;
use crate::process::{Server, call_ok};

#[tokio::test]
async fn an_acked_message_survives_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("frontdesk.db");
    let client = reqwest::Client::new();
    let token = user_token_with(json!({"sub": "crash_user", "exp": now_secs() + 3600}));
    for transport in TRANSPORTS {
        let session = format!("chat_kill_{transport}");
        let mut server = Server::start_with(&db, &[]);
        call_ok(
            &client,
            reqwest::Method::POST,
            format!("{}/api/chat/session", server.base),
            &token,
            Some(json!({"sessionId": session})),
        )
        .await;
        let mut socket = SioClient::user(&server.base, &token, transport).await;
        let sent = socket
            .emit_ok(
                "send_message",
                json!({"sessionId": session, "message": "keep me", "messageId": "acked"}),
            )
            .await;
        assert_eq!(sent["messageId"], "acked");
        server.child.kill().expect("kill -9");
        server.child.wait().unwrap();
        drop(server);
        drop(socket);

        let server = Server::start_with(&db, &[]);
        let polled = call_ok(
            &client,
            reqwest::Method::GET,
            format!("{}/api/chat/poll/{session}", server.base),
            &token,
            None,
        )
        .await;
        let kept = polled["data"]["messages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["messageId"] == "acked" && m["message"] == "keep me");
        assert!(kept, "the acked message is there after restart: {polled}");
    }
}
