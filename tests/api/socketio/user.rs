//! Namespace `/` for users and guests: connect, every client event and its aliases, the
//! server events, ownership refusals, idempotent retries, `sync` and bad payloads.

use serde_json::{Value, json};

use super::client::{SioClient, TRANSPORTS, run_node_script};
use crate::helpers::*;

#[tokio::test]
async fn connect_is_refused_without_or_with_a_bad_token() {
    let app = TestApp::spawn_with(|s| s.allow_guests = true).await;
    let (_, agent) = app.agent("ann@example.com", "chat_admin").await;
    let expired = user_token_with(json!({"sub": "u1", "exp": app.clock_secs() - 3600}));
    for transport in TRANSPORTS {
        for (case, token) in [
            ("no token", None),
            ("garbage", Some("not-a-token")),
            ("an expired token", Some(expired.as_str())),
            ("an agent token", Some(agent.as_str())),
        ] {
            let (_, outcome) = SioClient::connect(&app.base, "/", token, transport).await;
            assert_eq!(
                outcome,
                Err("AUTHENTICATION_FAILED".to_string()),
                "{case} over {transport}"
            );
        }
        // A user token and a guest's session token both connect.
        let user = SioClient::user(&app.base, &app.user_token("u1"), transport).await;
        user.close().await;
        let guest = app.start_guest().await;
        let mut guest_socket = SioClient::user(&app.base, &guest.token, transport).await;
        let joined = guest_socket
            .emit_ok("join_chat", json!({"sessionId": guest.session}))
            .await;
        assert_eq!(joined["sessionStatus"], "active");
        guest_socket.close().await;
    }
}

#[tokio::test]
async fn join_send_and_leave_with_every_alias() {
    let app = TestApp::spawn().await;
    for transport in TRANSPORTS {
        let ann = app.user_token(&format!("ann_{transport}"));
        let bob = app.user_token(&format!("bob_{transport}"));
        let session = format!("chat_sio_{transport}");
        app.start_session(&ann, Some(&session)).await;
        let mut socket = SioClient::user(&app.base, &ann, transport).await;

        // Join: the status and the newest messages (the welcome message).
        let joined = socket
            .emit_ok("join_chat", json!({"sessionId": session}))
            .await;
        assert_eq!(joined["sessionId"], json!(session));
        assert_eq!(joined["sessionStatus"], "active");
        assert_eq!(joined["messages"][0]["sender"], "system");
        let again = socket
            .emit_ok("join_conversation", json!({"sessionId": session}))
            .await;
        assert_eq!(again["messages"], joined["messages"]);

        // Send: acked after commit, echoed as message_sent and new_message.
        let sent = socket
            .emit_ok(
                "send_message",
                json!({"sessionId": session, "message": "hello", "messageId": "m1"}),
            )
            .await;
        assert_eq!(sent["messageId"], "m1");
        assert!(sent["timestamp"].is_string(), "{sent}");
        let echo = socket.event("message_sent").await;
        assert_eq!(
            (&echo["messageId"], &echo["sessionId"]),
            (&json!("m1"), &json!(session))
        );
        let new = socket
            .event_where("new_message", |m| m["messageId"] == "m1")
            .await;
        assert_eq!(
            (&new["message"], &new["sender"], &new["sessionId"]),
            (&json!("hello"), &json!("user"), &json!(session))
        );
        let polled = app.poll(&ann, &session, None).await;
        let stored = polled["messages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["messageId"] == "m1")
            .expect("the message is stored");
        let mut without_session = new.clone();
        without_session.as_object_mut().unwrap().remove("sessionId");
        assert_eq!(
            &without_session, stored,
            "new_message is the poll's message object"
        );

        // `content` is an alias of `message`; a retry stores nothing new.
        let second = socket
            .emit_ok(
                "send_message",
                json!({"sessionId": session, "content": "again", "messageId": "m2", "messageType": "text"}),
            )
            .await;
        assert_eq!(second["messageId"], "m2");
        let retry = socket
            .emit_ok(
                "send_message",
                json!({"sessionId": session, "content": "again", "messageId": "m2"}),
            )
            .await;
        assert_eq!(
            (&retry["messageId"], &retry["duplicate"]),
            (&json!("m2"), &json!(true))
        );
        assert_eq!(retry["timestamp"], second["timestamp"]);
        socket
            .emit_err(
                "send_message",
                json!({"sessionId": session, "content": "different", "messageId": "m2"}),
                "DUPLICATE_MESSAGE_ID",
            )
            .await;
        assert_eq!(
            app.count_rows(&format!(
                "SELECT COUNT(*) FROM messages WHERE session_id = '{session}' AND sender = 'user'"
            )),
            2
        );

        // Another user's chat does not exist for this socket.
        let mut stranger = SioClient::user(&app.base, &bob, transport).await;
        for event in ["join_chat", "join_conversation", "sync"] {
            stranger
                .emit_err(event, json!({"sessionId": session}), "SESSION_NOT_FOUND")
                .await;
        }
        stranger
            .emit_err(
                "send_message",
                json!({"sessionId": session, "message": "mine now"}),
                "SESSION_NOT_FOUND",
            )
            .await;
        stranger
            .emit_err(
                "typing",
                json!({"sessionId": session, "isTyping": true}),
                "SESSION_NOT_FOUND",
            )
            .await;
        stranger.close().await;

        // Leave: no more events from that chat.
        let left = socket
            .emit_ok("leave_chat", json!({"sessionId": session}))
            .await;
        assert_eq!(left["left"], true);
        let left = socket
            .emit_ok("leave_conversation", json!({"sessionId": session}))
            .await;
        assert_eq!(left["left"], false);
        socket.close().await;
    }
}

#[tokio::test]
async fn agent_replies_typing_reads_and_the_end_reach_the_user() {
    let app = TestApp::spawn().await;
    let (_, agent) = app.agent("ann@example.com", "chat_admin").await;
    for transport in TRANSPORTS {
        let user = app.user_token(&format!("u_{transport}"));
        let session = format!("chat_round_{transport}");
        app.start_session(&user, Some(&session)).await;
        let mut socket = SioClient::user(&app.base, &user, transport).await;
        socket
            .emit_ok("join_chat", json!({"sessionId": session}))
            .await;
        socket
            .emit_ok(
                "send_message",
                json!({"sessionId": session, "message": "help", "messageId": "q1"}),
            )
            .await;

        // User typing, every spelling, is what the dashboard sees.
        for (event, body, typing) in [
            (
                "typing",
                json!({"sessionId": session, "isTyping": true}),
                true,
            ),
            ("typing_stop", json!({"sessionId": session}), false),
            ("typing_start", json!({"sessionId": session}), true),
            ("stop_typing", json!({"sessionId": session}), false),
        ] {
            let ack = socket.emit_ok(event, body).await;
            assert_eq!(ack["isTyping"], typing, "{event}");
        }
        socket
            .emit_err("typing", json!({"sessionId": session}), "VALIDATION_ERROR")
            .await;

        // The agent answers: the user hears it.
        let reply = app.agent_reply(&agent, &session, "on it").await;
        let heard = socket
            .event_where("new_message", |m| m["messageId"] == reply["messageId"])
            .await;
        assert_eq!(
            (&heard["sender"], &heard["message"]),
            (&json!("admin"), &json!("on it"))
        );
        assert_eq!(heard["sessionId"], json!(session));

        app.post_ok(
            "/api/admin/chat/typing",
            &agent,
            json!({"sessionId": session, "isTyping": true}),
        )
        .await;
        let typing = socket
            .event_where("user_typing", |t| t["isTyping"] == true)
            .await;
        assert_eq!(typing["sessionId"], json!(session));
        assert!(typing["name"].is_string());

        // The agent opens the chat: the user's message is read, under both names.
        app.get_ok(&format!("/api/admin/chat/session/{session}"), &agent)
            .await;
        for name in ["messages_read", "message_read"] {
            let read = socket.event(name).await;
            assert_eq!(read, json!({"sessionId": session, "upTo": "q1"}), "{name}");
        }

        // The user reads the reply, under both names.
        let read = socket
            .emit_ok(
                "mark_as_read",
                json!({"sessionId": session, "upTo": reply["messageId"]}),
            )
            .await;
        assert_eq!(read["readCount"], 1);
        let read = socket
            .emit_ok(
                "mark_message_read",
                json!({"sessionId": session, "messageId": reply["messageId"]}),
            )
            .await;
        assert_eq!(read["readCount"], 0);

        // The agent ends the chat.
        app.post_ok(
            "/api/admin/chat/session/end",
            &agent,
            json!({"sessionId": session, "endReason": "resolved"}),
        )
        .await;
        let ended = socket.event("session_ended").await;
        assert_eq!(ended["sessionId"], json!(session));
        assert_eq!(ended["sessionStatus"], "ended_by_admin");
        socket
            .emit_err(
                "send_message",
                json!({"sessionId": session, "message": "late"}),
                "SESSION_ENDED",
            )
            .await;
        socket.close().await;
    }
}

#[tokio::test]
async fn sync_after_a_disconnect_returns_exactly_what_was_missed() {
    let app = TestApp::spawn().await;
    let (_, agent) = app.agent("ann@example.com", "chat_admin").await;
    for transport in TRANSPORTS {
        let user = app.user_token(&format!("s_{transport}"));
        let session = format!("chat_sync_{transport}");
        app.start_session(&user, Some(&session)).await;
        let mut socket = SioClient::user(&app.base, &user, transport).await;
        socket
            .emit_ok("join_chat", json!({"sessionId": session}))
            .await;
        let seen = socket
            .emit_ok(
                "send_message",
                json!({"sessionId": session, "message": "first", "messageId": "seen"}),
            )
            .await;
        socket.close().await;

        let missed_1 = app.agent_reply(&agent, &session, "while away 1").await;
        app.send_ok(&user, &session, "from_phone", "sent from the phone")
            .await;
        let missed_2 = app.agent_reply(&agent, &session, "while away 2").await;

        let mut socket = SioClient::user(&app.base, &user, transport).await;
        let synced = socket
            .emit_ok(
                "sync",
                json!({"sessionId": session, "after": seen["messageId"]}),
            )
            .await;
        let ids: Vec<&Value> = synced["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| &m["messageId"])
            .collect();
        assert_eq!(
            ids,
            [
                &missed_1["messageId"],
                &json!("from_phone"),
                &missed_2["messageId"]
            ]
        );
        assert_eq!(synced["hasMoreMessages"], false);
        let nothing = socket
            .emit_ok(
                "sync",
                json!({"sessionId": session, "after": missed_2["messageId"]}),
            )
            .await;
        assert_eq!(nothing["messages"], json!([]));
        socket
            .emit_err(
                "sync",
                json!({"sessionId": session, "after": "never_sent"}),
                "INVALID_CURSOR",
            )
            .await;
        socket.close().await;
    }
}

#[tokio::test]
async fn bad_payloads_get_error_acks_and_the_server_stays_up() {
    let app = TestApp::spawn().await;
    for transport in TRANSPORTS {
        let user = app.user_token(&format!("b_{transport}"));
        let session = format!("chat_bad_{transport}");
        app.start_session(&user, Some(&session)).await;
        let mut socket = SioClient::user(&app.base, &user, transport).await;
        for (case, event, args) in [
            ("a string", "send_message", vec![json!("hello")]),
            ("a number", "join_chat", vec![json!(42)]),
            ("an array", "mark_as_read", vec![json!([1, 2])]),
            ("null", "typing", vec![json!(null)]),
            ("nothing", "sync", vec![]),
            (
                "no sessionId",
                "send_message",
                vec![json!({"message": "hi"})],
            ),
            (
                "a bad sessionId",
                "join_chat",
                vec![json!({"sessionId": "../etc"})],
            ),
            (
                "no text",
                "send_message",
                vec![json!({"sessionId": session})],
            ),
            (
                "10,000 characters",
                "send_message",
                vec![json!({"sessionId": session, "message": "x".repeat(10_000)})],
            ),
            (
                "another type",
                "send_message",
                vec![json!({"sessionId": session, "message": "hi", "messageType": "image"})],
            ),
            (
                "no upTo",
                "mark_as_read",
                vec![json!({"sessionId": session})],
            ),
        ] {
            let ack = socket.emit_args(event, args).await;
            assert_eq!(ack["success"], false, "{case}: {ack}");
            assert_eq!(ack["error"]["code"], "VALIDATION_ERROR", "{case}: {ack}");
            assert_eq!(ack["message"], ack["error"]["message"], "{case}");
        }
        socket
            .emit_err(
                "no_such_event",
                json!({"sessionId": session}),
                "UNKNOWN_EVENT",
            )
            .await;
        // Still connected and serving.
        socket
            .emit_ok(
                "send_message",
                json!({"sessionId": session, "message": "still here"}),
            )
            .await;
        socket.close().await;
        let (status, _) = app.get("/healthz", "").await;
        assert_eq!(status, reqwest::StatusCode::OK);
    }
}

#[tokio::test]
async fn the_message_rate_limit_and_the_socket_cap_apply_as_on_http() {
    let app = TestApp::spawn_with(|s| {
        s.rate_limit_max_requests = 2;
        s.max_held_polls_per_user = 1;
    })
    .await;
    for transport in TRANSPORTS {
        let user = app.user_token(&format!("r_{transport}"));
        let session = format!("chat_rate_{transport}");
        app.start_session(&user, Some(&session)).await;
        let mut socket = SioClient::user(&app.base, &user, transport).await;
        let (_, second) = SioClient::connect(&app.base, "/", Some(&user), transport).await;
        assert_eq!(
            second,
            Err("RATE_LIMITED".to_string()),
            "one socket per user here"
        );
        for n in 0..2 {
            socket
                .emit_ok(
                    "send_message",
                    json!({"sessionId": session, "message": format!("m{n}")}),
                )
                .await;
        }
        let limited = socket
            .emit_err(
                "send_message",
                json!({"sessionId": session, "message": "one too many"}),
                "RATE_LIMITED",
            )
            .await;
        assert!(
            limited["error"]["details"]["retryAfterSeconds"].is_number(),
            "{limited}"
        );
        socket.close().await;
        // The socket's place is free again once it closed.
        wait_until("the closed socket's place is free", || async {
            let (next, outcome) = SioClient::connect(&app.base, "/", Some(&user), transport).await;
            let ok = outcome.is_ok();
            if ok {
                next.close().await;
            }
            ok
        })
        .await;
    }
}

#[tokio::test]
async fn a_socket_closes_when_its_token_expires() {
    let app = TestApp::spawn().await;
    for transport in TRANSPORTS {
        // Accepted for about two more seconds (tokens get a minute of leeway, as on HTTP).
        let token = user_token_with(json!({"sub": "brief", "exp": app.clock_secs() - 58}));
        let (mut socket, outcome) =
            SioClient::connect(&app.base, "/", Some(&token), transport).await;
        assert_eq!(outcome, Ok(transport.to_string()));
        assert_eq!(socket.disconnected().await, "io server disconnect");
    }
}

#[tokio::test]
async fn a_payload_over_the_body_limit_drops_only_that_socket() {
    let app = TestApp::spawn_with(|s| s.max_body_bytes = 64 * 1024).await;
    for transport in TRANSPORTS {
        let user = app.user_token(&format!("big_{transport}"));
        let session = format!("chat_big_{transport}");
        app.start_session(&user, Some(&session)).await;
        let mut socket = SioClient::user(&app.base, &user, transport).await;
        socket
            .send_only(
                "send_message",
                json!({"sessionId": session, "message": "x".repeat(100 * 1024)}),
            )
            .await;
        let reason = socket.disconnected().await;
        assert!(
            reason.starts_with("transport"),
            "closed by the transport: {reason}"
        );
        // Nothing was stored, and the server serves the next socket.
        let mut next = SioClient::user(&app.base, &user, transport).await;
        let synced = next.emit_ok("sync", json!({"sessionId": session})).await;
        assert_eq!(
            synced["messages"].as_array().unwrap().len(),
            1,
            "only the welcome"
        );
        next.close().await;
    }
}

/// A burst of users whose first event goes out right behind the connect all get answers. (The
/// race this guards against, an event read before its handler was registered, showed up only
/// under the realtime benchmark's load, 7 in 10,000; this burst does not reproduce it on an idle
/// machine, so it checks the behaviour, not the fix.)
#[tokio::test]
async fn an_event_sent_right_on_connect_is_always_answered() {
    const USERS: usize = 200;
    let app = TestApp::spawn_with(|s| s.connections.max_per_address = 1000).await;
    let mut users = Vec::new();
    for n in 0..USERS {
        let token = app.user_token(&format!("burst_{n}"));
        let session = format!("chat_burst_{n}");
        app.start_session(&token, Some(&session)).await;
        users.push(json!({ "token": token, "sessionId": session }));
    }
    for transport in TRANSPORTS {
        let job = json!({ "url": app.base, "transport": transport, "users": users });
        let report = run_node_script("sio_burst.js", &job.to_string()).await;
        assert_eq!(report["users"], USERS, "{report}");
        assert_eq!(
            report["acked"], USERS,
            "{transport}: every join answered: {report}"
        );
        assert_eq!(report["succeeded"], USERS, "{transport}: {report}");
    }
}

/// The join ack carries the newest 50 messages in order and says older ones exist; a chat with
/// few messages says none are older. Agent messages in the ack count as delivered.
#[tokio::test]
async fn join_answers_the_newest_fifty_messages() {
    let app = TestApp::spawn_with(|s| s.rate_limit_max_requests = 1000).await;
    let (_, agent) = app.agent("ann@example.com", "chat_admin").await;
    let user = app.user_token("long_chat");
    app.start_session(&user, Some("chat_long")).await;
    for n in 1..=54 {
        let text = format!("m{n}");
        app.send_ok(&user, "chat_long", &text, &text).await;
    }
    let reply = app.agent_reply(&agent, "chat_long", "the answer").await;
    let mut socket = SioClient::user(&app.base, &user, "websocket").await;
    let joined = socket
        .emit_ok("join_chat", json!({"sessionId": "chat_long"}))
        .await;
    let messages = joined["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 50, "{joined}");
    // The welcome and m1..m54, then the reply: 56 in all, the newest 50 from m6 on.
    assert_eq!(messages[0]["message"], "m6", "{joined}");
    assert_eq!(messages[48]["message"], "m54");
    assert_eq!(messages[49]["messageId"], reply["messageId"]);
    assert_eq!(joined["hasOlderMessages"], true);
    wait_until("the reply is marked delivered", || async {
        app.count_rows(
            "SELECT COUNT(*) FROM messages WHERE session_id = 'chat_long' AND sender = 'admin' AND delivered_at IS NOT NULL",
        ) == 1
    })
    .await;

    let short = app.user_token("short_chat");
    app.start_session(&short, Some("chat_short")).await;
    let mut other = SioClient::user(&app.base, &short, "websocket").await;
    let joined = other
        .emit_ok("join_chat", json!({"sessionId": "chat_short"}))
        .await;
    assert_eq!(
        joined["messages"].as_array().unwrap().len(),
        1,
        "the welcome: {joined}"
    );
    assert_eq!(joined["hasOlderMessages"], false);
    // Another user's chat is refused like a missing one.
    other
        .emit_err(
            "join_chat",
            json!({"sessionId": "chat_long"}),
            "SESSION_NOT_FOUND",
        )
        .await;
    socket.close().await;
    other.close().await;
}
