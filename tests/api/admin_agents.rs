//! Agent accounts: CRUD, disabling, online status, and login throttling.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn super_admins_manage_agents() {
    let app = TestApp::spawn().await;
    let (root_id, root) = app.agent("root@example.com", "super_admin").await;
    let (status, body) = app
        .post(
            "/api/admin/agents",
            &root,
            json!({ "email": "ann@example.com", "name": "Ann", "role": "chat_admin", "password": "ann's password", "department": "Billing" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let ann = &body["data"]["agent"];
    assert_eq!(ann["maxConcurrentChats"], 5, "default capacity");
    assert_eq!(ann["department"], "Billing");
    assert!(ann.get("passwordHash").is_none() && !body.to_string().contains("argon2"));
    let ann_id = ann["id"].as_str().unwrap().to_string();

    let (status, body) = app
        .put(
            &format!("/api/admin/agents/{ann_id}"),
            &root,
            json!({ "maxConcurrentChats": 2, "department": null, "role": "support_admin" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["agent"]["maxConcurrentChats"], 2);
    assert_eq!(body["data"]["agent"]["department"], serde_json::Value::Null);
    assert_eq!(body["data"]["agent"]["role"], "support_admin");

    let list = app.get_ok("/api/admin/agents", &root).await;
    assert_eq!(list["data"]["agents"].as_array().unwrap().len(), 2);

    // Bad input names the field and changes nothing.
    for (body, field) in [
        (
            json!({ "email": "not-an-email", "name": "X", "role": "chat_admin", "password": "long enough" }),
            "email",
        ),
        (
            json!({ "email": "x@example.com", "name": "", "role": "chat_admin", "password": "long enough" }),
            "name",
        ),
        (
            json!({ "email": "x@example.com", "name": "X".repeat(101), "role": "chat_admin", "password": "long enough" }),
            "name",
        ),
        (
            json!({ "email": "x@example.com", "name": "X", "role": "god", "password": "long enough" }),
            "role",
        ),
        (
            json!({ "email": "x@example.com", "name": "X", "role": "chat_admin", "password": "short" }),
            "password",
        ),
        (
            json!({ "email": "x@example.com", "name": "X", "role": "chat_admin", "password": "long enough", "maxConcurrentChats": -1 }),
            "maxConcurrentChats",
        ),
        (
            json!({ "email": "x@example.com", "name": "X", "role": "chat_admin", "password": "long enough", "maxConcurrentChats": 99999999999i64 }),
            "maxConcurrentChats",
        ),
        (
            json!({ "email": "x@example.com", "name": "X", "role": "chat_admin", "password": "long enough", "maxConcurrentChats": "5" }),
            "maxConcurrentChats",
        ),
        (
            json!({ "name": "X", "role": "chat_admin", "password": "long enough" }),
            "email",
        ),
    ] {
        let (status, answer) = app.post("/api/admin/agents", &root, body.clone()).await;
        assert_error(status, &answer, 400, "VALIDATION_ERROR");
        assert_eq!(answer["error"]["details"]["field"], field, "{body}");
    }
    let (status, body) = app
        .post("/api/admin/agents", &root, json!({ "email": "ANN@example.com", "name": "Dup", "role": "chat_admin", "password": "long enough" }))
        .await;
    assert_error(status, &body, 409, "CONFLICT");
    assert_eq!(app.count_rows("SELECT COUNT(*) FROM agents"), 2);

    let (status, body) = app.get("/api/admin/agents/agt_missing", &root).await;
    assert_error(status, &body, 404, "NOT_FOUND");
    let (status, body) = app
        .put(
            "/api/admin/agents/agt_missing",
            &root,
            json!({ "name": "x" }),
        )
        .await;
    assert_error(status, &body, 404, "NOT_FOUND");

    // The last super admin cannot be demoted or disabled, nor can you disable yourself.
    let (status, body) = app
        .put(
            &format!("/api/admin/agents/{root_id}"),
            &root,
            json!({ "role": "chat_admin" }),
        )
        .await;
    assert_error(status, &body, 409, "CONFLICT");
    let (status, body) = app
        .delete(&format!("/api/admin/agents/{root_id}"), &root)
        .await;
    assert_error(status, &body, 409, "CONFLICT");
}

#[tokio::test]
async fn a_disabled_agents_tokens_stop_working_at_once_and_their_chats_return() {
    let app = TestApp::spawn().await;
    let (_, root) = app.agent("root@example.com", "super_admin").await;
    let (ann_id, ann) = app.agent("ann@example.com", "chat_admin").await;
    let user = app.user_token("u1");
    app.start_session(&user, Some("chat_d1")).await;
    app.post_ok(
        "/api/admin/chat/session/assign",
        &ann,
        json!({ "sessionId": "chat_d1" }),
    )
    .await;
    assert_eq!(app.get("/api/admin/me", &ann).await.0, StatusCode::OK);

    let (status, body) = app
        .delete(&format!("/api/admin/agents/{ann_id}"), &root)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["agent"]["disabled"], true);
    let (status, body) = app.get("/api/admin/me", &ann).await;
    assert_error(status, &body, 401, "AUTHENTICATION_FAILED");
    let (status, _) = app
        .request(
            reqwest::Method::POST,
            "/api/admin/login",
            None,
            Some(json!({ "email": "ann@example.com", "password": AGENT_PASSWORD })),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a disabled agent cannot sign in"
    );
    assert_eq!(
        app.count_rows("SELECT COUNT(*) FROM sessions WHERE assigned_agent_id IS NOT NULL"),
        0
    );
    // History stays attributed.
    assert_eq!(app.count_rows("SELECT COUNT(*) FROM agents"), 2);
}

#[tokio::test]
async fn a_password_change_signs_the_agent_out_everywhere() {
    let app = TestApp::spawn().await;
    let (_, root) = app.agent("root@example.com", "super_admin").await;
    let (ann_id, ann) = app.agent("ann@example.com", "chat_admin").await;
    let (status, _) = app
        .put(
            &format!("/api/admin/agents/{ann_id}"),
            &root,
            json!({ "password": "a brand new password" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        app.get("/api/admin/me", &ann).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn online_status_and_the_two_minute_rule() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.agent("ann@example.com", "chat_admin").await;
    let me = app.get_ok("/api/admin/me", &ann).await;
    assert_eq!(
        me["data"]["admin"]["isOnline"], true,
        "signing in puts an agent online"
    );
    let (status, body) = app
        .put("/api/admin/me/status", &ann, json!({ "status": "offline" }))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["admin"]["isOnline"], false);
    let body = app
        .put_ok("/api/admin/me/status", &ann, json!({ "isOnline": true }))
        .await;
    assert_eq!(body["data"]["admin"]["isOnline"], true);
    for bad in [
        json!({}),
        json!({ "status": "away" }),
        json!({ "isOnline": "yes" }),
    ] {
        let (status, body) = app.put("/api/admin/me/status", &ann, bad).await;
        assert_error(status, &body, 400, "VALIDATION_ERROR");
    }
    // Not seen for over two minutes: offline, whatever the flag says.
    let (_, root) = app.agent("root@example.com", "super_admin").await;
    app.clock.advance(Duration::from_secs(121));
    let stats = app.get_ok("/api/admin/stats", &root).await;
    assert_eq!(
        stats["data"]["onlineAdmins"], 1,
        "only the agent who just called counts: {stats}"
    );
    let agents = app.get_ok("/api/admin/agents", &root).await;
    let ann_row = agents["data"]["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["email"] == "ann@example.com")
        .unwrap()
        .clone();
    assert_eq!(ann_row["isOnline"], false);
}

#[tokio::test]
async fn failed_logins_back_off_then_refuse() {
    let app = TestApp::spawn().await;
    app.create_agent("ann@example.com", "Ann", "chat_admin")
        .await;
    let login = |password: &'static str| {
        app.client
            .post(app.url("/api/admin/login"))
            .json(&json!({ "email": "ann@example.com", "password": password }))
            .send()
    };
    // LOGIN_FAILURES_PER_ACCOUNT (5) failures, then a locked back-off.
    for _ in 0..5 {
        let (status, body) = decode(login("wrong").await.unwrap()).await;
        assert_error(status, &body, 401, "AUTHENTICATION_FAILED");
    }
    let response = login(AGENT_PASSWORD).await.unwrap();
    assert!(response.headers().contains_key("retry-after"));
    let (status, body) = decode(response).await;
    assert_error(status, &body, 429, "RATE_LIMITED");
    // Another email from the same address is not locked yet.
    app.create_agent("bob@example.com", "Bob", "chat_admin")
        .await;
    assert!(!app.login("bob@example.com").await.is_empty());
}

/// Unknown emails, wrong passwords and disabled accounts get the same answer, so an attacker
/// cannot tell which emails exist. (That they also cost the same argon2 work is checked where the
/// dummy hash lives, in `auth::password`, without timing anything.)
#[tokio::test]
async fn unknown_emails_are_answered_like_wrong_passwords() {
    let app = TestApp::spawn().await;
    let (_, root) = app.agent("root@example.com", "super_admin").await;
    app.create_agent("ann@example.com", "Ann", "chat_admin")
        .await;
    let gone = app
        .create_agent("gone@example.com", "Gone", "chat_admin")
        .await;
    app.delete_ok(&format!("/api/admin/agents/{gone}"), &root)
        .await;
    let mut answers = Vec::new();
    for (email, password) in [
        ("ann@example.com", "wrong password"),
        ("ghost@example.com", "wrong password"),
        ("gone@example.com", AGENT_PASSWORD),
    ] {
        let (status, mut body) = app
            .request(
                reqwest::Method::POST,
                "/api/admin/login",
                None,
                Some(json!({ "email": email, "password": password })),
            )
            .await;
        assert_error(status, &body, 401, "AUTHENTICATION_FAILED");
        body.as_object_mut().unwrap().remove("timestamp");
        // Each answer names its own request; everything else must be identical.
        let request_id = body["error"]["details"]
            .as_object_mut()
            .unwrap()
            .remove("requestId");
        assert!(request_id.is_some(), "the error names its request: {body}");
        answers.push(body);
    }
    assert_eq!(answers[0], answers[1], "unknown email");
    assert_eq!(answers[0], answers[2], "disabled account");
}
