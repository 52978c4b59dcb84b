//! Namespace `/admin` for agents: the round trip with a user's socket, typing, the queue and
//! presence events, and a disabled agent's socket closing at once.

use serde_json::json;

use super::client::{SioClient, TRANSPORTS};
use crate::helpers::*;

#[tokio::test]
async fn agents_and_users_talk_over_sockets() {
    let app = TestApp::spawn().await;
    let (_, agent) = app.agent("ann@example.com", "chat_admin").await;
    let user = app.user_token("carol");
    for transport in TRANSPORTS {
        // Users' tokens and bad tokens do not open /admin.
        for (case, token) in [("no token", None), ("a user token", Some(user.as_str()))] {
            let (_, outcome) = SioClient::connect(&app.base, "/admin", token, transport).await;
            assert_eq!(outcome, Err("AUTHENTICATION_FAILED".to_string()), "{case}");
        }

        let session = format!("chat_admin_{transport}");
        app.start_session(&user, Some(&session)).await;
        let mut user_socket = SioClient::user(&app.base, &user, transport).await;
        user_socket
            .emit_ok("join_chat", json!({"sessionId": session}))
            .await;
        let (mut agent_socket, outcome) =
            SioClient::connect(&app.base, "/admin", Some(&agent), transport).await;
        assert_eq!(outcome, Ok(transport.to_string()));
        let joined = agent_socket
            .emit_ok("join_chat", json!({"sessionId": session}))
            .await;
        assert_eq!(joined["sessionStatus"], "active");
        agent_socket
            .emit_err(
                "join_chat",
                json!({"sessionId": "chat_nobody"}),
                "SESSION_NOT_FOUND",
            )
            .await;

        // User -> agent.
        user_socket
            .emit_ok(
                "send_message",
                json!({"sessionId": session, "message": "hi support", "messageId": "u1"}),
            )
            .await;
        let note = agent_socket
            .event_where("new_chat_message", |e| e["sessionId"] == json!(session))
            .await;
        assert_eq!(note["sessionId"], json!(session));
        let heard = agent_socket
            .event_where("new_message", |m| m["messageId"] == "u1")
            .await;
        assert_eq!(heard["message"], "hi support");
        agent_socket.event("queue_changed").await;

        // Agent -> user, acked after commit, idempotent.
        let sent = agent_socket
            .emit_ok(
                "send_message",
                json!({"sessionId": session, "message": "hello carol", "sendAs": "agent", "messageId": "a1"}),
            )
            .await;
        assert_eq!(sent["messageId"], "a1");
        let retry = agent_socket
            .emit_ok(
                "send_message",
                json!({"sessionId": session, "message": "hello carol", "messageId": "a1"}),
            )
            .await;
        assert_eq!(retry["duplicate"], true);
        let got = user_socket
            .event_where("new_message", |m| m["messageId"] == "a1")
            .await;
        assert_eq!(
            (&got["sender"], &got["message"]),
            (&json!("admin"), &json!("hello carol"))
        );
        agent_socket
            .emit_err(
                "send_message",
                json!({"sessionId": session, "message": "x", "sendAs": "robot"}),
                "VALIDATION_ERROR",
            )
            .await;

        // Typing both ways.
        agent_socket
            .emit_ok("typing_start", json!({"sessionId": session}))
            .await;
        let typing = user_socket
            .event_where("user_typing", |t| t["isTyping"] == true)
            .await;
        assert_eq!(typing["sessionId"], json!(session));
        user_socket
            .emit_ok("typing", json!({"sessionId": session, "isTyping": true}))
            .await;
        let typing = agent_socket
            .event_where("user_typing", |t| t["isTyping"] == true)
            .await;
        assert_eq!(typing["sessionId"], json!(session));
        agent_socket
            .emit_err("no_such_event", json!({}), "UNKNOWN_EVENT")
            .await;
        agent_socket.close().await;
        user_socket.close().await;
    }
}

#[tokio::test]
async fn a_disabled_agents_socket_closes_at_once() {
    let app = TestApp::spawn().await;
    let (_, root) = app.agent("root@example.com", "super_admin").await;
    for transport in TRANSPORTS {
        let email = format!("gone_{transport}@example.com");
        let (id, token) = app.agent(&email, "chat_admin").await;
        let (mut socket, outcome) =
            SioClient::connect(&app.base, "/admin", Some(&token), transport).await;
        assert_eq!(outcome, Ok(transport.to_string()));
        let (mut watcher, _) =
            SioClient::connect(&app.base, "/admin", Some(&root), transport).await;
        app.delete_ok(&format!("/api/admin/agents/{id}"), &root)
            .await;
        assert_eq!(socket.disconnected().await, "io server disconnect");
        // Others hear that agents changed and stay connected.
        watcher.event("user_status_update").await;
        watcher
            .emit_err(
                "join_chat",
                json!({"sessionId": "chat_none"}),
                "SESSION_NOT_FOUND",
            )
            .await;
        watcher.close().await;
    }
}

#[tokio::test]
async fn admin_broadcast_reaches_every_joined_user_and_needs_a_super_admin() {
    let app = TestApp::spawn().await;
    let (_, root) = app.agent("root@example.com", "super_admin").await;
    let (_, helper) = app.agent("helper@example.com", "chat_admin").await;
    for transport in TRANSPORTS {
        let user = app.user_token(&format!("bc_{transport}"));
        let session = format!("chat_bc_{transport}");
        app.start_session(&user, Some(&session)).await;
        let mut user_socket = SioClient::user(&app.base, &user, transport).await;
        user_socket
            .emit_ok("join_chat", json!({"sessionId": session}))
            .await;

        // A chat admin may not; nothing is stored.
        let (mut chat_admin, outcome) =
            SioClient::connect(&app.base, "/admin", Some(&helper), transport).await;
        assert_eq!(outcome, Ok(transport.to_string()));
        chat_admin
            .emit_err(
                "admin_broadcast",
                json!({"message": "Notice: not from me"}),
                "FORBIDDEN",
            )
            .await;
        chat_admin.close().await;

        let (mut admin, outcome) =
            SioClient::connect(&app.base, "/admin", Some(&root), transport).await;
        assert_eq!(outcome, Ok(transport.to_string()));
        for (what, bad) in [
            ("no message", json!({})),
            ("a number", json!({"message": 5})),
            ("10,000 characters", json!({"message": "x".repeat(10_000)})),
        ] {
            let answer = admin.emit("admin_broadcast", bad).await;
            assert_eq!(
                answer["error"]["code"], "VALIDATION_ERROR",
                "{what}: {answer}"
            );
        }
        let id = format!("bc_sock_{transport}");
        let text = format!("Notice: maintenance at 6 ({transport})");
        let ack = admin
            .emit_ok("admin_broadcast", json!({"message": text, "messageId": id}))
            .await;
        assert_eq!(ack["messageId"], json!(id));
        assert!(ack["chats"].as_u64().unwrap() >= 1, "{ack}");
        let got = user_socket
            .event_where("new_message", |m| m["messageId"] == json!(id))
            .await;
        assert_eq!(got["sender"], "system");
        assert_eq!(got["message"], json!(text));
        assert_eq!(got["sessionId"], json!(session));
        // A retry is acked and stores nothing twice.
        let retry = admin
            .emit_ok("admin_broadcast", json!({"message": text, "messageId": id}))
            .await;
        assert_eq!(retry["chats"], 0, "{retry}");
        assert_eq!(
            app.count_rows(&format!(
                "SELECT COUNT(*) FROM messages WHERE id = '{id}' AND session_id = '{session}'"
            )),
            1
        );
        admin.close().await;
        user_socket.close().await;
    }
    assert_eq!(
        app.count_rows("SELECT COUNT(*) FROM messages WHERE body = 'Notice: not from me'"),
        0
    );
}
