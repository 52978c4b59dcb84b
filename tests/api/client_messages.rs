//! POST /api/chat/message and GET /api/chat/messages/{id}.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn a_message_is_stored_trimmed_and_answered_with_its_id() {
    let app = TestApp::spawn().await;
    let token = app.user_token("u1");
    app.start_session(&token, Some("chat_m1")).await;
    let (status, body) = app
        .send(
            &token,
            "chat_m1",
            "msg_1733514660000_a8f2",
            "  Hello, I need help  \n",
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["success"], true);
    assert_eq!(body["message"], "Message sent successfully");
    assert_eq!(body["data"]["messageId"], "msg_1733514660000_a8f2");
    assert_eq!(body["data"]["status"], "sent");
    assert!(body["data"]["timestamp"].as_str().unwrap().ends_with('Z'));
    assert!(body["data"]["deliveredAt"].is_string());
    let poll = app.poll(&token, "chat_m1", None).await;
    assert_eq!(poll["messages"][1]["message"], "Hello, I need help");
    assert_eq!(poll["messages"][1]["sender"], "user");
}

#[tokio::test]
async fn without_a_message_id_the_server_makes_one() {
    let app = TestApp::spawn().await;
    let token = app.user_token("u1");
    app.start_session(&token, Some("chat_m2")).await;
    let (status, body) = app
        .post(
            "/api/chat/message",
            &token,
            json!({ "sessionId": "chat_m2", "message": "hi" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body["data"]["messageId"]
            .as_str()
            .unwrap()
            .starts_with("msg_")
    );
}

#[tokio::test]
async fn a_retry_returns_the_first_result_and_other_text_is_a_conflict() {
    let app = TestApp::spawn().await;
    let token = app.user_token("u1");
    app.start_session(&token, Some("chat_m3")).await;
    let first = app
        .send_ok(&token, "chat_m3", "msg_retry", "same text")
        .await;
    let (status, again) = app.send(&token, "chat_m3", "msg_retry", "same text").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(first["duplicate"], false, "{first}");
    assert_eq!(again["data"]["timestamp"], first["timestamp"]);
    assert_eq!(again["data"]["duplicate"], true);
    let (status, body) = app
        .send(&token, "chat_m3", "msg_retry", "different text")
        .await;
    assert_error(status, &body, 409, "DUPLICATE_MESSAGE_ID");
    assert_eq!(
        app.count_rows("SELECT COUNT(*) FROM messages WHERE id = 'msg_retry'"),
        1
    );
}

#[tokio::test]
async fn eight_parallel_sends_of_one_message_id_store_exactly_one() {
    let app = TestApp::spawn().await;
    let token = app.user_token("u1");
    app.start_session(&token, Some("chat_par")).await;
    let sends = (0..8).map(|_| app.send(&token, "chat_par", "msg_parallel", "only once please"));
    let answers = futures_util::future::join_all(sends).await;
    let timestamps: Vec<_> = answers
        .iter()
        .map(|(status, body)| {
            assert_eq!(*status, StatusCode::OK, "{body}");
            body["data"]["timestamp"].clone()
        })
        .collect();
    assert!(
        timestamps.windows(2).all(|w| w[0] == w[1]),
        "every retry answers the first result"
    );
    assert_eq!(
        app.count_rows("SELECT COUNT(*) FROM messages WHERE id = 'msg_parallel'"),
        1
    );
    assert_eq!(
        app.count_rows("SELECT message_count FROM sessions WHERE id = 'chat_par'"),
        1
    );
}

#[tokio::test]
async fn length_is_counted_in_characters() {
    let app = TestApp::spawn().await;
    let token = app.user_token("u1");
    app.start_session(&token, Some("chat_len")).await;
    let (status, body) = app
        .send(&token, "chat_len", "msg_1000", &"é".repeat(1000))
        .await;
    assert_eq!(status, StatusCode::OK, "1000 two-byte characters: {body}");
    let (status, body) = app
        .send(&token, "chat_len", "msg_emoji", &"😀".repeat(1000))
        .await;
    assert_eq!(status, StatusCode::OK, "1000 four-byte characters: {body}");
    let (status, body) = app
        .send(&token, "chat_len", "msg_1001", &"a".repeat(1001))
        .await;
    assert_error(status, &body, 400, "VALIDATION_ERROR");
    assert_eq!(body["error"]["details"]["field"], "message");
    for empty in ["", "   ", "\n\t"] {
        let (status, body) = app.send(&token, "chat_len", "msg_empty", empty).await;
        assert_error(status, &body, 400, "VALIDATION_ERROR");
        assert_eq!(body["error"]["details"]["field"], "message");
    }
    assert_eq!(
        app.count_rows("SELECT COUNT(*) FROM messages WHERE sender = 'user'"),
        2
    );
}

#[tokio::test]
async fn html_is_stored_and_returned_verbatim() {
    let app = TestApp::spawn().await;
    let token = app.user_token("u1");
    app.start_session(&token, Some("chat_html")).await;
    let hostile = "<script>alert('x')</script><img src=x onerror=alert(1)> & \"quotes\"";
    let (status, _) = app.send(&token, "chat_html", "msg_html", hostile).await;
    assert_eq!(status, StatusCode::OK);
    let poll = app.poll(&token, "chat_html", None).await;
    assert_eq!(poll["messages"][1]["message"], hostile);
    let page = app.get_ok("/api/chat/messages/chat_html", &token).await;
    assert_eq!(page["data"]["messages"][1]["message"], hostile);
}

#[tokio::test]
async fn bad_input_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let token = app.user_token("u1");
    app.start_session(&token, Some("chat_bad")).await;
    let cases = [
        (json!({ "message": "no session" }), "sessionId"),
        (json!({ "sessionId": "chat_bad" }), "message"),
        (json!({ "sessionId": 12, "message": "x" }), "sessionId"),
        (json!({ "sessionId": "chat_bad", "message": 12 }), "message"),
        (
            json!({ "sessionId": "chat_bad", "message": ["x"] }),
            "message",
        ),
        (
            json!({ "sessionId": "chat_bad", "message": "x", "messageId": 5 }),
            "messageId",
        ),
        (
            json!({ "sessionId": "chat_bad", "message": "x", "messageId": "has space" }),
            "messageId",
        ),
        (
            json!({ "sessionId": "chat_bad", "message": "x", "messageType": "system" }),
            "messageType",
        ),
        (
            json!({ "sessionId": "chat_bad", "message": "x", "sender": "system" }),
            "sender",
        ),
        (
            json!({ "sessionId": "chat_bad", "message": "x", "timestamp": "noon" }),
            "timestamp",
        ),
        (
            json!({ "sessionId": "chat_bad", "message": "x", "timestamp": 1e300 }),
            "timestamp",
        ),
    ];
    for (body, field) in cases {
        let (status, answer) = app.post("/api/chat/message", &token, body.clone()).await;
        assert_error(status, &answer, 400, "VALIDATION_ERROR");
        assert_eq!(
            answer["error"]["details"]["field"], field,
            "{body} -> {answer}"
        );
    }
    assert_eq!(
        app.count_rows("SELECT COUNT(*) FROM messages WHERE sender = 'user'"),
        0
    );
}

#[tokio::test]
async fn unknown_and_other_users_sessions_are_not_found() {
    let app = TestApp::spawn().await;
    let alice = app.user_token("alice");
    let bob = app.user_token("bob");
    app.start_session(&alice, Some("chat_alice")).await;
    let (status, body) = app.send(&bob, "chat_alice", "msg_b1", "let me in").await;
    assert_error(status, &body, 404, "SESSION_NOT_FOUND");
    let (status, body) = app.send(&bob, "chat_nobody", "msg_b2", "hello?").await;
    assert_error(status, &body, 404, "SESSION_NOT_FOUND");
    let (status, body) = app.get("/api/chat/messages/chat_alice", &bob).await;
    assert_error(status, &body, 404, "SESSION_NOT_FOUND");
    assert_eq!(
        app.count_rows("SELECT COUNT(*) FROM messages WHERE sender = 'user'"),
        0
    );
}

#[tokio::test]
async fn users_cannot_send_as_admin() {
    let app = TestApp::spawn().await;
    let token = app.user_token("u1");
    app.start_session(&token, Some("chat_imp")).await;
    let (status, body) = app
        .post(
            "/api/chat/message",
            &token,
            json!({ "sessionId": "chat_imp", "message": "I am support", "sender": "admin", "adminId": "x" }),
        )
        .await;
    assert_error(status, &body, 403, "FORBIDDEN");
    assert_eq!(
        app.count_rows("SELECT COUNT(*) FROM messages WHERE sender = 'admin'"),
        0
    );
}

#[tokio::test]
async fn agents_may_send_through_the_client_endpoint_as_admin() {
    let app = TestApp::spawn().await;
    let token = app.user_token("u1");
    app.start_session(&token, Some("chat_adm")).await;
    let (_, agent) = app.agent("sarah@example.com", "chat_admin").await;
    let (status, body) = app
        .post(
            "/api/chat/message",
            &agent,
            json!({ "sessionId": "chat_adm", "messageId": "msg_admin_1", "message": "Hello from support", "sender": "admin" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let poll = app.poll(&token, "chat_adm", Some("msg_admin_1")).await;
    assert_eq!(poll["messages"].as_array().unwrap().len(), 0);
    let all = app.poll(&token, "chat_adm", None).await;
    assert_eq!(all["messages"][1]["adminInfo"]["name"], "sarah");
    assert_eq!(
        all["messages"][1]["adminInfo"]["department"],
        "Customer Service"
    );
    // An agent token with the default sender is refused: agents say so explicitly.
    let (status, body) = app
        .post(
            "/api/chat/message",
            &agent,
            json!({ "sessionId": "chat_adm", "message": "oops" }),
        )
        .await;
    assert_error(status, &body, 403, "FORBIDDEN");
}

#[tokio::test]
async fn the_client_endpoint_refuses_tokens_neither_kind_of_caller_holds() {
    let app = TestApp::spawn().await;
    let user = app.user_token("u1");
    app.start_session(&user, Some("chat_who")).await;
    let (root_id, root) = app.agent("root@example.com", "super_admin").await;
    let (ann_id, ann) = app.agent("ann@example.com", "chat_admin").await;
    let send = |token: String, sender: &'static str| {
        let app = &app;
        async move {
            app.post(
                "/api/chat/message",
                &token,
                json!({ "sessionId": "chat_who", "message": "who am I", "sender": sender }),
            )
            .await
        }
    };
    // A user token that claims to be an agent's, signed with the users' secret.
    let claims_agent = user_token_with(json!({
        "sub": root_id, "fdk": "agent", "ver": 0,
        "iat": app.clock_secs(), "exp": app.clock_secs() + 3600,
    }));
    // A disabled agent's token.
    let (status, body) = app
        .delete(&format!("/api/admin/agents/{ann_id}"), &root)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    for (what, token) in [
        ("agent claim in a user token", claims_agent),
        ("disabled agent", ann),
        ("not a token", "abc.def.ghi".to_string()),
    ] {
        for sender in ["user", "admin"] {
            let (status, body) = send(token.clone(), sender).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}, {sender}: {body}");
            assert_error(status, &body, 401, "AUTHENTICATION_FAILED");
        }
    }
    assert_eq!(
        app.count_rows("SELECT COUNT(*) FROM messages WHERE body = 'who am I'"),
        0
    );
    // The user and a live agent still get through the same endpoint.
    let (status, body) = send(user, "user").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = send(root, "admin").await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn ended_sessions_refuse_messages_and_expired_ones_are_gone() {
    let app = TestApp::spawn().await;
    let token = app.user_token("u1");
    app.start_session(&token, Some("chat_end")).await;
    app.post_ok(
        "/api/chat/session/end",
        &token,
        json!({ "sessionId": "chat_end" }),
    )
    .await;
    let (status, body) = app
        .send(&token, "chat_end", "msg_late", "still there?")
        .await;
    assert_error(status, &body, 409, "SESSION_ENDED");

    app.start_session(&token, Some("chat_idle")).await;
    app.send_ok(&token, "chat_idle", "msg_before", "first")
        .await;
    app.clock.advance(Duration::from_secs(31 * 60));
    let poll = app.poll(&token, "chat_idle", Some("msg_before")).await;
    assert_eq!(poll["sessionEnded"], true);
    assert_eq!(poll["sessionStatus"], "expired");
    let (status, body) = app.send(&token, "chat_idle", "msg_after", "hello?").await;
    assert_error(status, &body, 410, "SESSION_EXPIRED");
    assert_eq!(
        app.count_rows(
            "SELECT COUNT(*) FROM sessions WHERE id = 'chat_idle' AND status = 'expired'"
        ),
        1,
        "the expiry is written down"
    );
    // A retry of a message stored before the expiry is still answered.
    let (status, _) = app.send(&token, "chat_idle", "msg_before", "first").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn the_sweeper_expires_silent_sessions() {
    let app = TestApp::spawn_with(|s| s.session_timeout = Duration::from_secs(5 * 60)).await;
    let token = app.user_token("u1");
    app.start_session(&token, Some("chat_sweep")).await;
    app.clock.advance(Duration::from_secs(4 * 60));
    app.maintenance().await;
    assert_eq!(
        app.count_rows("SELECT COUNT(*) FROM sessions WHERE status = 'active'"),
        1
    );
    app.clock.advance(Duration::from_secs(2 * 60));
    app.maintenance().await;
    assert_eq!(
        app.count_rows("SELECT COUNT(*) FROM sessions WHERE status = 'expired'"),
        1
    );
    let poll = app.poll(&token, "chat_sweep", None).await;
    assert_eq!(poll["sessionStatus"], "expired");
    assert_eq!(
        poll["endReason"], "Session expired after 5 minutes without messages",
        "the sweeper writes the reason polls report"
    );
}

#[tokio::test]
async fn too_many_messages_are_rate_limited_with_retry_after() {
    let app = TestApp::spawn_with(|s| {
        s.rate_limit_max_requests = 3;
        s.rate_limit_window = Duration::from_secs(60);
    })
    .await;
    let token = app.user_token("u1");
    app.start_session(&token, Some("chat_rl")).await;
    for i in 0..3 {
        let (status, _) = app
            .send(&token, "chat_rl", &format!("msg_rl_{i}"), "hi")
            .await;
        assert_eq!(status, StatusCode::OK);
    }
    let response = app
        .client
        .post(app.url("/api/chat/message"))
        .bearer_auth(&token)
        .json(
            &json!({ "sessionId": "chat_rl", "messageId": "msg_rl_3", "message": "one too many" }),
        )
        .send()
        .await
        .unwrap();
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after));
    let (status, body) = decode(response).await;
    assert_error(status, &body, 429, "RATE_LIMITED");
    // A retry of an acknowledged message is answered even while limited.
    let (status, _) = app.send(&token, "chat_rl", "msg_rl_1", "hi").await;
    assert_eq!(status, StatusCode::OK);
    // Another session is not affected; the window slides.
    app.start_session(&token, Some("chat_rl_other")).await;
    assert_eq!(
        app.send(&token, "chat_rl_other", "msg_o", "hi").await.0,
        StatusCode::OK
    );
    app.clock.advance(Duration::from_secs(61));
    assert_eq!(
        app.send(&token, "chat_rl", "msg_rl_4", "later").await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_transcript_pages_and_caps_its_limit() {
    let app = TestApp::spawn_with(|s| s.rate_limit_max_requests = 1000).await;
    let token = app.user_token("u1");
    app.start_session(&token, Some("chat_pages")).await;
    for i in 0..120 {
        app.send_ok(
            &token,
            "chat_pages",
            &format!("msg_p_{i:03}"),
            &format!("message {i}"),
        )
        .await;
    }
    let (status, body) = app
        .get("/api/chat/messages/chat_pages?page=2&limit=50", &token)
        .await;
    assert_eq!(status, StatusCode::OK);
    let p = &body["data"]["pagination"];
    assert_eq!(p["currentPage"], 2);
    assert_eq!(p["totalMessages"], 121);
    assert_eq!(p["totalPages"], 3);
    assert_eq!(p["hasNext"], true);
    assert_eq!(p["hasPrevious"], true);
    assert_eq!(body["data"]["messages"][0]["message"], "message 49");

    let capped = app
        .get_ok("/api/chat/messages/chat_pages?limit=1000", &token)
        .await;
    assert_eq!(capped["data"]["messages"].as_array().unwrap().len(), 100);
    let beyond = app
        .get_ok("/api/chat/messages/chat_pages?page=2000000", &token)
        .await;
    assert_eq!(beyond["data"]["messages"].as_array().unwrap().len(), 0);
    for bad in [
        "page=0",
        "page=-1",
        "limit=abc",
        "page=99999999999999999999999",
        "limit=1.5",
    ] {
        let (status, body) = app
            .get(&format!("/api/chat/messages/chat_pages?{bad}"), &token)
            .await;
        assert_error(status, &body, 400, "VALIDATION_ERROR");
    }
}
