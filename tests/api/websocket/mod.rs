//! The plain WebSocket at `GET /chat/{sessionId}` (SPEC.md section 11), driven with the real
//! `ws` npm client.

mod client;

use reqwest::StatusCode;
use serde_json::{Value, json};

use frontdesk::realtime::HoldKind;

use crate::helpers::*;
use crate::process::{Server, call, call_ok};
use client::WsClient;

fn ids(frames: &[Value]) -> Vec<String> {
    frames
        .iter()
        .map(|f| {
            assert_eq!(f["type"], "new_message", "{f}");
            f["message"]["messageId"].as_str().unwrap().to_string()
        })
        .collect()
}

#[tokio::test]
async fn header_authentication_replays_the_chat_and_delivers_agent_replies() {
    let app = TestApp::spawn().await;
    let token = app.user_token("ws_user");
    app.start_session(&token, Some("chat_ws_h")).await;
    let (_, agent) = app.agent("sarah@example.com", "chat_admin").await;

    let mut ws = WsClient::with_header(&app.base, "/chat/chat_ws_h", &token).await;
    let welcome = ws.frame().await;
    assert_eq!(welcome["type"], "new_message", "{welcome}");
    assert_eq!(welcome["message"]["sender"], "system");

    let reply = app
        .agent_reply(&agent, "chat_ws_h", "Hello from support")
        .await;
    let (before, frame) = ws.frames_until("new_message").await;
    assert!(before.is_empty(), "{before:?}");
    assert_eq!(frame["message"]["messageId"], reply["messageId"]);
    assert_eq!(frame["message"]["message"], "Hello from support");
    // The same object a poll returns for that message.
    let poll = app.poll(&token, "chat_ws_h", None).await;
    let polled = poll["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["messageId"] == reply["messageId"])
        .cloned()
        .expect("the reply is in the poll");
    assert_eq!(frame["message"], polled);

    // A protocol ping is answered.
    ws.command(json!({ "op": "ping" })).await;
    assert_eq!(ws.event().await["event"], "pong");
    // So is the JSON one.
    ws.send(json!({ "type": "ping" })).await;
    assert_eq!(ws.frame().await["type"], "pong");
}

#[tokio::test]
async fn frame_authentication_with_typing_and_read_both_ways() {
    let app = TestApp::spawn().await;
    let token = app.user_token("ws_user");
    app.start_session(&token, Some("chat_ws_f")).await;
    let (_, agent) = app.agent("sarah@example.com", "chat_admin").await;
    let mut ws = WsClient::with_frame(&app.base, "chat_ws_f", "", &token).await;
    assert_eq!(ws.frame().await["type"], "new_message", "the welcome");

    // Agent typing reaches the socket.
    app.post_ok(
        "/api/admin/chat/typing",
        &agent,
        json!({ "sessionId": "chat_ws_f", "isTyping": true }),
    )
    .await;
    let typing = ws.frame().await;
    assert_eq!(typing, json!({ "type": "typing", "agentTyping": true }));

    // The user's typing frame reaches the agent.
    let ack = ws
        .request(json!({ "type": "typing", "isTyping": true, "requestId": "t1" }))
        .await;
    assert_eq!(ack["type"], "ack", "{ack}");
    assert_eq!(ack["requestType"], "typing");
    assert_eq!(ack["requestId"], "t1");
    assert_eq!(ack["success"], true);
    let detail = app
        .get_ok("/api/admin/chat/session/chat_ws_f", &agent)
        .await;
    assert_eq!(detail["data"]["userTyping"], true);

    // A user message by frame; the agent opening the chat marks it read: a read frame.
    let ack = ws
        .request(json!({ "type": "send_message", "messageId": "msg_ws_f1", "message": "hi" }))
        .await;
    assert_eq!(ack["type"], "ack", "{ack}");
    app.get_ok("/api/admin/chat/session/chat_ws_f", &agent)
        .await;
    let (_, read) = ws.frames_until("read").await;
    assert_eq!(read["upTo"], "msg_ws_f1");

    // The user reads the agent's reply by frame.
    let reply = app.agent_reply(&agent, "chat_ws_f", "answer").await;
    let (_, frame) = ws.frames_until("new_message").await;
    assert_eq!(frame["message"]["messageId"], reply["messageId"]);
    let ack = ws
        .request(json!({ "type": "read", "upTo": reply["messageId"] }))
        .await;
    assert_eq!(ack["type"], "ack", "{ack}");
    assert_eq!(ack["data"]["readCount"], 1);
}

#[tokio::test]
async fn refusals_match_the_http_api() {
    let app = TestApp::spawn().await;
    let owner = app.user_token("ws_owner");
    app.start_session(&owner, Some("chat_ws_mine")).await;
    let other = app.user_token("ws_other");
    let expired = user_token_with(json!({ "sub": "ws_owner", "exp": app.clock_secs() - 3600 }));

    // By header: HTTP answers in the envelope, no socket.
    for (what, token, status, code) in [
        ("bad token", "not-a-jwt", 401, "AUTHENTICATION_FAILED"),
        (
            "expired token",
            expired.as_str(),
            401,
            "AUTHENTICATION_FAILED",
        ),
        (
            "another user's chat",
            other.as_str(),
            404,
            "SESSION_NOT_FOUND",
        ),
    ] {
        let (_, first) = WsClient::start(&app.base, "/chat/chat_ws_mine", Some(token)).await;
        assert_eq!(first["event"], "refused", "{what}: {first}");
        assert_eq!(first["status"], status, "{what}: {first}");
        assert_eq!(first["body"]["error"]["code"], code, "{what}: {first}");
    }
    // An unknown chat looks exactly like another user's.
    let (_, first) = WsClient::start(&app.base, "/chat/chat_ws_nobody", Some(&other)).await;
    assert_eq!(first["status"], 404, "{first}");
    assert_eq!(first["body"]["error"]["code"], "SESSION_NOT_FOUND");
    // A cursor that is not a message of the chat, as on poll.
    let (_, first) =
        WsClient::start(&app.base, "/chat/chat_ws_mine?after=msg_nope", Some(&owner)).await;
    assert_eq!(first["body"]["error"]["code"], "INVALID_CURSOR", "{first}");

    // By frame: an error frame, then the socket closes.
    let cases = [
        (
            "no token",
            json!({ "type": "authenticate", "sessionId": "chat_ws_mine" }),
            "AUTHENTICATION_FAILED",
        ),
        (
            "bad token",
            json!({ "type": "authenticate", "sessionId": "chat_ws_mine", "token": "x.y.z" }),
            "AUTHENTICATION_FAILED",
        ),
        (
            "expired token",
            json!({ "type": "authenticate", "sessionId": "chat_ws_mine", "token": expired }),
            "AUTHENTICATION_FAILED",
        ),
        (
            "another user's chat",
            json!({ "type": "authenticate", "sessionId": "chat_ws_mine", "token": other }),
            "SESSION_NOT_FOUND",
        ),
        (
            "not an authenticate frame",
            json!({ "type": "send_message", "message": "hi" }),
            "AUTHENTICATION_FAILED",
        ),
    ];
    for (what, frame, code) in cases {
        let (mut ws, first) = WsClient::start(&app.base, "/chat/chat_ws_mine", None).await;
        assert_eq!(first["event"], "open", "{what}: {first}");
        ws.send(frame).await;
        let error = ws.frame().await;
        assert_eq!(error["type"], "error", "{what}: {error}");
        assert_eq!(error["success"], false, "{what}");
        assert_eq!(error["error"]["code"], code, "{what}: {error}");
        let (close, reason) = ws.closed().await;
        assert_eq!((close, reason.as_str()), (1008, code), "{what}");
    }
    // Nothing was stored for anyone.
    let poll = app.poll(&owner, "chat_ws_mine", None).await;
    assert_eq!(
        poll["messages"].as_array().unwrap().len(),
        1,
        "only the welcome"
    );

    // A plain GET is told to upgrade, in the envelope.
    let (status, body) = app.get("/chat/chat_ws_mine", &owner).await;
    assert_eq!(status, StatusCode::UPGRADE_REQUIRED, "{body}");
    assert_eq!(body["error"]["code"], "UPGRADE_REQUIRED");
}

#[tokio::test]
async fn after_replays_exactly_what_was_missed() {
    let app = TestApp::spawn().await;
    let token = app.user_token("ws_user");
    app.start_session(&token, Some("chat_ws_r")).await;
    let (_, agent) = app.agent("sarah@example.com", "chat_admin").await;
    let seen = app.send_ok(&token, "chat_ws_r", "msg_r1", "one").await;
    assert_eq!(seen["messageId"], "msg_r1");
    let missed_reply = app.agent_reply(&agent, "chat_ws_r", "missed reply").await;
    app.send_ok(&token, "chat_ws_r", "msg_r2", "missed mine")
        .await;

    let mut ws = WsClient::with_frame(&app.base, "chat_ws_r", "?after=msg_r1", &token).await;
    // A marker sent after connecting ends the list: the stream is in order.
    let marker = app.agent_reply(&agent, "chat_ws_r", "marker").await;
    let mut frames = Vec::new();
    loop {
        let frame = ws.frame().await;
        if frame["type"] != "new_message" {
            continue; // a read mark is not a message
        }
        let done = frame["message"]["messageId"] == marker["messageId"];
        frames.push(frame);
        if done {
            break;
        }
    }
    assert_eq!(
        ids(&frames),
        vec![
            missed_reply["messageId"].as_str().unwrap().to_string(),
            "msg_r2".to_string(),
            marker["messageId"].as_str().unwrap().to_string(),
        ]
    );
}

#[tokio::test]
async fn the_end_arrives_and_the_socket_closes() {
    let app = TestApp::spawn().await;
    let token = app.user_token("ws_user");
    app.start_session(&token, Some("chat_ws_end")).await;
    let (_, agent) = app.agent("sarah@example.com", "chat_admin").await;
    let mut ws = WsClient::with_header(&app.base, "/chat/chat_ws_end", &token).await;
    assert_eq!(ws.frame().await["type"], "new_message", "the welcome");
    app.wait_until_held("ws_user", 1).await;
    assert_eq!(
        app.services.hub.held(HoldKind::Socket),
        1,
        "counted as a socket"
    );

    app.post_ok(
        "/api/admin/chat/session/end",
        &agent,
        json!({ "sessionId": "chat_ws_end", "endReason": "resolved" }),
    )
    .await;
    let (_, ended) = ws.frames_until("session_ended").await;
    assert_eq!(ended["sessionStatus"], "ended_by_admin", "{ended}");
    assert_eq!(ended["endReason"], "resolved");
    let (code, _) = ws.closed().await;
    assert_eq!(code, 1000);
    app.wait_until_held("ws_user", 0).await;

    // A socket opened on the ended chat gets the end at once.
    let mut ws = WsClient::with_header(&app.base, "/chat/chat_ws_end", &token).await;
    let (_, ended) = ws.frames_until("session_ended").await;
    assert_eq!(ended["sessionStatus"], "ended_by_admin");
    assert_eq!(ws.closed().await.0, 1000);
}

#[tokio::test]
async fn send_message_is_acked_after_commit_and_retries_are_not_duplicated() {
    let app = TestApp::spawn().await;
    let token = app.user_token("ws_user");
    app.start_session(&token, Some("chat_ws_s")).await;
    let mut ws = WsClient::with_header(&app.base, "/chat/chat_ws_s", &token).await;
    assert_eq!(ws.frame().await["type"], "new_message", "the welcome");

    let frame = json!({ "type": "send_message", "requestId": 7, "messageId": "msg_ws_s1", "message": "  hello  " });
    let ack = ws.request(frame.clone()).await;
    assert_eq!(ack["type"], "ack", "{ack}");
    assert_eq!(ack["requestType"], "send_message");
    assert_eq!(ack["requestId"], 7);
    assert_eq!(ack["data"]["messageId"], "msg_ws_s1");
    assert_eq!(ack["data"]["status"], "sent");
    // Committed before the ack: straight from the database file.
    assert_eq!(
        app.count_rows("SELECT COUNT(*) FROM messages WHERE id = 'msg_ws_s1'"),
        1
    );

    let again = ws.request(frame).await;
    assert_eq!(again["type"], "ack", "{again}");
    assert_eq!(again["data"]["messageId"], "msg_ws_s1");
    assert_eq!(again["data"]["duplicate"], true, "{again}");
    let conflict = ws
        .request(json!({ "type": "send_message", "messageId": "msg_ws_s1", "message": "other" }))
        .await;
    assert_eq!(
        conflict["error"]["code"], "DUPLICATE_MESSAGE_ID",
        "{conflict}"
    );
    assert_eq!(
        app.count_rows("SELECT COUNT(*) FROM messages WHERE id = 'msg_ws_s1'"),
        1
    );
    let poll = app.poll(&token, "chat_ws_s", None).await;
    let texts: Vec<&str> = poll["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["sender"] == "user")
        .map(|m| m["message"].as_str().unwrap())
        .collect();
    assert_eq!(texts, vec!["hello"]);

    // Guests connect with their session token.
    let guests = TestApp::spawn_with(|s| s.allow_guests = true).await;
    let guest = guests.start_guest().await;
    let path = format!("/chat/{}", guest.session);
    let mut ws = WsClient::with_header(&guests.base, &path, &guest.token).await;
    let ack = ws
        .request(json!({ "type": "send_message", "message": "from a guest" }))
        .await;
    assert_eq!(ack["type"], "ack", "{ack}");
}

#[tokio::test]
async fn bad_frames_get_error_frames_and_change_nothing() {
    let app = TestApp::spawn().await;
    let token = app.user_token("ws_user");
    app.start_session(&token, Some("chat_ws_bad")).await;
    let other = app.user_token("ws_other");
    app.start_session(&other, Some("chat_ws_theirs")).await;
    let mut ws = WsClient::with_header(&app.base, "/chat/chat_ws_bad", &token).await;
    assert_eq!(ws.frame().await["type"], "new_message", "the welcome");

    let long = "x".repeat(10_000);
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "not JSON",
            json!({ "op": "send_text", "text": "{nope" }),
            "VALIDATION_ERROR",
        ),
        (
            "an array",
            json!({ "op": "send_text", "text": "[1,2]" }),
            "VALIDATION_ERROR",
        ),
        (
            "a number",
            json!({ "op": "send_text", "text": "42" }),
            "VALIDATION_ERROR",
        ),
        (
            "no type",
            json!({ "op": "send", "frame": { "message": "hi" } }),
            "VALIDATION_ERROR",
        ),
        (
            "unknown type",
            json!({ "op": "send", "frame": { "type": "join_chat" } }),
            "VALIDATION_ERROR",
        ),
        (
            "no message",
            json!({ "op": "send", "frame": { "type": "send_message" } }),
            "VALIDATION_ERROR",
        ),
        (
            "a number as message",
            json!({ "op": "send", "frame": { "type": "send_message", "message": 5 } }),
            "VALIDATION_ERROR",
        ),
        (
            "10,000 characters",
            json!({ "op": "send", "frame": { "type": "send_message", "message": long } }),
            "VALIDATION_ERROR",
        ),
        (
            "typing without isTyping",
            json!({ "op": "send", "frame": { "type": "typing" } }),
            "VALIDATION_ERROR",
        ),
        (
            "read without upTo",
            json!({ "op": "send", "frame": { "type": "read" } }),
            "VALIDATION_ERROR",
        ),
        (
            "read of no message",
            json!({ "op": "send", "frame": { "type": "read", "upTo": "msg_none" } }),
            "VALIDATION_ERROR",
        ),
        (
            "another user's chat",
            json!({ "op": "send", "frame": { "type": "send_message", "sessionId": "chat_ws_theirs", "message": "hi" } }),
            "VALIDATION_ERROR",
        ),
        (
            "another caller's token",
            json!({ "op": "send", "frame": { "type": "authenticate", "token": other } }),
            "FORBIDDEN",
        ),
        (
            "a binary frame",
            json!({ "op": "send_binary", "size": 10 }),
            "VALIDATION_ERROR",
        ),
        (
            "an oversized frame",
            json!({ "op": "send_text", "text": format!("{{\"type\":\"send_message\",\"message\":\"{}\"}}", "y".repeat(100_000)) }),
            "PAYLOAD_TOO_LARGE",
        ),
    ];
    for (what, command, code) in cases {
        ws.command(command).await;
        let (answer, live) = ws.answer().await;
        assert!(live.is_empty(), "{what}: {live:?}");
        assert_eq!(answer["type"], "error", "{what}: {answer}");
        assert_eq!(answer["success"], false, "{what}");
        assert_eq!(answer["error"]["code"], code, "{what}: {answer}");
        assert!(
            answer["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{what}"
        );
    }
    // Nothing was stored, in either chat, and the socket and server still work.
    assert_eq!(
        app.count_rows("SELECT COUNT(*) FROM messages WHERE sender = 'user'"),
        0
    );
    let ack = ws
        .request(json!({ "type": "send_message", "message": "still here" }))
        .await;
    assert_eq!(ack["type"], "ack", "{ack}");
    app.get_ok("/healthz", &token).await;

    // A frame beyond the protocol limit closes the socket (1009); the server stays up.
    ws.command(json!({ "op": "send_binary", "size": 1_000_000 }))
        .await;
    let (code, _) = ws.closed().await;
    assert_eq!(code, 1009);
    app.get_ok("/healthz", &token).await;
}

#[tokio::test]
async fn an_acked_message_survives_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ws_crash.db");
    let client = reqwest::Client::new();
    let token = user_token_with(json!({ "sub": "ws_crash", "exp": now_secs() + 3600 }));
    let mut server = Server::start_with(&db, &[]);
    call_ok(
        &client,
        reqwest::Method::POST,
        format!("{}/api/chat/session", server.base),
        &token,
        Some(json!({ "sessionId": "chat_ws_crash" })),
    )
    .await;
    let mut ws = WsClient::with_header(&server.base, "/chat/chat_ws_crash", &token).await;
    let ack = ws
        .request(json!({ "type": "send_message", "messageId": "msg_crash", "message": "keep me" }))
        .await;
    assert_eq!(ack["type"], "ack", "{ack}");
    server.child.kill().expect("SIGKILL");
    server.child.wait().unwrap();
    drop(ws);

    let server = Server::start_with(&db, &[]);
    let url = format!("{}/api/chat/poll/chat_ws_crash", server.base);
    let (status, body) = call(&client, reqwest::Method::GET, url, &token, None)
        .await
        .expect("an answer");
    assert_eq!(status, StatusCode::OK, "{body}");
    let kept: Vec<&Value> = body["data"]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["messageId"] == "msg_crash")
        .collect();
    assert_eq!(kept.len(), 1, "{body}");
    assert_eq!(kept[0]["message"], "keep me");
}

#[tokio::test]
async fn the_message_rate_limit_applies_to_frames() {
    let app = TestApp::spawn_with(|s| s.rate_limit_max_requests = 2).await;
    let token = app.user_token("ws_user");
    app.start_session(&token, Some("chat_ws_rate")).await;
    let mut ws = WsClient::with_header(&app.base, "/chat/chat_ws_rate", &token).await;
    for n in 1..=2 {
        let ack = ws
            .request(json!({ "type": "send_message", "messageId": format!("msg_rate_{n}"), "message": "hi" }))
            .await;
        assert_eq!(ack["type"], "ack", "message {n}: {ack}");
    }
    let refused = ws
        .request(json!({ "type": "send_message", "messageId": "msg_rate_3", "message": "hi" }))
        .await;
    assert_eq!(refused["error"]["code"], "RATE_LIMITED", "{refused}");
    assert!(
        refused["error"]["details"]["retryAfterSeconds"]
            .as_u64()
            .is_some_and(|s| s >= 1)
    );
    // A retry of a stored message is still answered, as on HTTP.
    let retry = ws
        .request(json!({ "type": "send_message", "messageId": "msg_rate_1", "message": "hi" }))
        .await;
    assert_eq!(retry["type"], "ack", "{retry}");
    assert_eq!(retry["data"]["duplicate"], true);
    assert_eq!(
        app.count_rows("SELECT COUNT(*) FROM messages WHERE sender = 'user'"),
        2
    );
}

#[tokio::test]
async fn a_socket_closes_when_its_token_expires() {
    let app = TestApp::spawn().await;
    // Accepted for about five more seconds (tokens get a minute of leeway, as on HTTP).
    let brief = || user_token_with(json!({ "sub": "ws_brief", "exp": app.clock_secs() - 55 }));
    let fresh = app.user_token("ws_brief");
    app.start_session(&fresh, Some("chat_ws_brief")).await;

    let mut by_header = WsClient::with_header(&app.base, "/chat/chat_ws_brief", &brief()).await;
    let mut by_frame = WsClient::with_frame(&app.base, "chat_ws_brief", "", &brief()).await;
    assert_eq!(
        by_header.frame().await["type"],
        "new_message",
        "the welcome"
    );
    let (code, reason) = by_header.closed().await;
    assert_eq!((code, reason.as_str()), (4401, "TOKEN_EXPIRED"));
    let (code, reason) = by_frame.closed().await;
    assert_eq!((code, reason.as_str()), (4401, "TOKEN_EXPIRED"));
    app.wait_until_held("ws_brief", 0).await;

    // A fresh token's socket stays open and works.
    let mut ws = WsClient::with_header(&app.base, "/chat/chat_ws_brief", &fresh).await;
    assert_eq!(ws.frame().await["type"], "new_message", "the welcome");
    let ack = ws
        .request(json!({ "type": "send_message", "message": "still here" }))
        .await;
    assert_eq!(ack["type"], "ack", "{ack}");
}
