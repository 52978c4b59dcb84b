//! User tokens: HS256, RS256 (PEM, JWKS file, JWKS URL), pinned algorithms, expiry,
//! issuer/audience; and agent tokens never passing as user tokens (and back).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::routing::get;
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

fn rs256(kid: Option<&str>, key_file: &str, claims: Value) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = kid.map(str::to_string);
    let pem = std::fs::read(fixture(key_file)).unwrap();
    jsonwebtoken::encode(&header, &claims, &EncodingKey::from_rsa_pem(&pem).unwrap()).unwrap()
}

fn claims(sub: &str) -> Value {
    json!({ "sub": sub, "exp": now_secs() + 600 })
}

async fn history_status(app: &TestApp, token: &str) -> StatusCode {
    app.get("/api/chat/history", token).await.0
}

fn b64(value: &Value) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string())
}

#[tokio::test]
async fn hs256_tokens_are_checked_for_signature_and_expiry() {
    let app = TestApp::spawn().await;
    assert_eq!(
        history_status(&app, &app.user_token("u1")).await,
        StatusCode::OK
    );
    let expired = user_token_with(json!({ "sub": "u1", "exp": now_secs() - 3600 }));
    let wrong_key = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims("u1"),
        &EncodingKey::from_secret(b"not-the-secret-not-the-secret"),
    )
    .unwrap();
    let no_exp = user_token_with(json!({ "sub": "u1" }));
    let no_sub = user_token_with(json!({ "exp": now_secs() + 600 }));
    let alg_none = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "typ": "JWT"})),
        b64(&claims("u1"))
    );
    let tampered = {
        let good = app.user_token("u1");
        let parts: Vec<&str> = good.split('.').collect();
        format!("{}.{}.{}", parts[0], b64(&claims("admin")), parts[2])
    };
    for bad in [
        expired,
        wrong_key,
        no_exp,
        no_sub,
        alg_none,
        tampered,
        "garbage".into(),
        "a.b.c".into(),
    ] {
        let (status, body) = app.get("/api/chat/history", &bad).await;
        assert_error(status, &body, 401, "AUTHENTICATION_FAILED");
    }
    let (status, body) = app
        .request(reqwest::Method::GET, "/api/chat/history", None, None)
        .await;
    assert_error(status, &body, 401, "AUTHENTICATION_FAILED");
    let response = app
        .client
        .get(app.url("/api/chat/history"))
        .header("authorization", "Basic dTE6cGFzcw==")
        .send()
        .await
        .unwrap();
    let (status, body) = decode(response).await;
    assert_error(status, &body, 401, "AUTHENTICATION_FAILED");
}

#[tokio::test]
async fn the_user_id_comes_from_sub_or_user_id() {
    let app = TestApp::spawn().await;
    let by_user_id =
        user_token_with(json!({ "user_id": "firebase_uid_1", "exp": now_secs() + 600 }));
    let data = app.start_session(&by_user_id, Some("chat_fb")).await;
    assert_eq!(data["sessionId"], "chat_fb");
    let same_user = user_token_with(json!({ "sub": "firebase_uid_1", "exp": now_secs() + 900 }));
    assert_eq!(
        app.poll(&same_user, "chat_fb", None).await["sessionStatus"],
        "active"
    );
}

#[tokio::test]
async fn rs256_from_a_pem_key_and_the_algorithm_is_pinned() {
    let app = TestApp::spawn_with(|s| {
        s.user_tokens.jwt_secret = None;
        s.user_tokens.public_key_file = Some(fixture("rsa_a_public.pem"));
    })
    .await;
    let good = rs256(None, "rsa_a.pem", claims("u1"));
    assert_eq!(history_status(&app, &good).await, StatusCode::OK);
    let other_key = rs256(None, "rsa_b.pem", claims("u1"));
    assert_eq!(
        history_status(&app, &other_key).await,
        StatusCode::UNAUTHORIZED
    );
    // The classic confusion attack: HS256 "signed" with the RSA public key as the secret.
    let public_pem = std::fs::read(fixture("rsa_a_public.pem")).unwrap();
    let confused = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims("u1"),
        &EncodingKey::from_secret(&public_pem),
    )
    .unwrap();
    assert_eq!(
        history_status(&app, &confused).await,
        StatusCode::UNAUTHORIZED
    );
    let expired = rs256(
        None,
        "rsa_a.pem",
        json!({ "sub": "u1", "exp": now_secs() - 3600 }),
    );
    assert_eq!(
        history_status(&app, &expired).await,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn rs256_from_a_jwks_file_by_kid() {
    let app = TestApp::spawn_with(|s| {
        s.user_tokens.jwt_secret = None;
        s.user_tokens.jwks_file = Some(fixture("jwks_a.json"));
    })
    .await;
    assert_eq!(
        history_status(&app, &rs256(Some("key-a"), "rsa_a.pem", claims("u1"))).await,
        StatusCode::OK
    );
    assert_eq!(
        history_status(&app, &rs256(None, "rsa_a.pem", claims("u1"))).await,
        StatusCode::OK,
        "one key, no kid"
    );
    assert_eq!(
        history_status(&app, &rs256(Some("key-b"), "rsa_b.pem", claims("u1"))).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        history_status(&app, &rs256(Some("key-a"), "rsa_b.pem", claims("u1"))).await,
        StatusCode::UNAUTHORIZED,
        "right kid, wrong signature"
    );
    assert_eq!(
        history_status(&app, &app.user_token("u1")).await,
        StatusCode::UNAUTHORIZED,
        "no HS256 configured"
    );
}

#[tokio::test]
async fn a_jwks_url_is_fetched_and_refreshed_in_the_background() {
    let jwks = Arc::new(Mutex::new(
        std::fs::read_to_string(fixture("jwks_a.json")).unwrap(),
    ));
    let served = jwks.clone();
    let router = axum::Router::new().route(
        "/jwks.json",
        get(move || {
            let body = served.lock().unwrap().clone();
            async move { ([("content-type", "application/json")], body) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let jwks_addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });

    let app = TestApp::spawn_with(|s| {
        s.user_tokens.jwt_secret = None;
        s.user_tokens.jwks_url = Some(format!("http://{jwks_addr}/jwks.json"));
        s.user_tokens.jwks_refresh = Duration::from_secs(1);
    })
    .await;
    let token_a = rs256(Some("key-a"), "rsa_a.pem", claims("u1"));
    let token_b = rs256(Some("key-b"), "rsa_b.pem", claims("u1"));
    wait_until("key A is fetched at start", || async {
        history_status(&app, &token_a).await == StatusCode::OK
    })
    .await;
    assert_eq!(
        history_status(&app, &token_b).await,
        StatusCode::UNAUTHORIZED
    );

    *jwks.lock().unwrap() = std::fs::read_to_string(fixture("jwks_b.json")).unwrap();
    wait_until("the rotated key is picked up", || async {
        history_status(&app, &token_b).await == StatusCode::OK
    })
    .await;
    assert_eq!(
        history_status(&app, &token_a).await,
        StatusCode::UNAUTHORIZED,
        "the retired key no longer verifies, cached or not"
    );
}

#[tokio::test]
async fn issuer_and_audience_are_enforced_when_configured() {
    let app = TestApp::spawn_with(|s| {
        s.user_tokens.issuer = Some("https://securetoken.google.com/shop".into());
        s.user_tokens.audience = Some("shop".into());
    })
    .await;
    let now = now_secs() + 600;
    let good = user_token_with(
        json!({ "sub": "u1", "exp": now, "iss": "https://securetoken.google.com/shop", "aud": "shop" }),
    );
    assert_eq!(history_status(&app, &good).await, StatusCode::OK);
    for bad in [
        json!({ "sub": "u1", "exp": now }),
        json!({ "sub": "u1", "exp": now, "iss": "https://securetoken.google.com/shop" }),
        json!({ "sub": "u1", "exp": now, "iss": "https://evil.example", "aud": "shop" }),
        json!({ "sub": "u1", "exp": now, "iss": "https://securetoken.google.com/shop", "aud": "other" }),
    ] {
        assert_eq!(
            history_status(&app, &user_token_with(bad.clone())).await,
            StatusCode::UNAUTHORIZED,
            "{bad}"
        );
    }
}

#[tokio::test]
async fn agent_and_user_tokens_never_cross() {
    let app = TestApp::spawn().await;
    let (_, agent) = app.agent("sarah@example.com", "super_admin").await;
    let user = app.user_token("u1");
    for path in [
        "/api/chat/history",
        "/api/chat/personas",
        "/api/chat/poll/chat_x",
    ] {
        let (status, body) = app.get(path, &agent).await;
        assert_error(status, &body, 401, "AUTHENTICATION_FAILED");
    }
    for path in [
        "/api/admin/chat/active-sessions",
        "/api/admin/stats",
        "/api/admin/agents",
    ] {
        let (status, body) = app.get(path, &user).await;
        assert_error(status, &body, 401, "AUTHENTICATION_FAILED");
    }
    // A user token that claims to be an agent token is still refused by the admin API.
    let forged = user_token_with(
        json!({ "sub": "agt_x", "ver": 0, "fdk": "agent", "aud": "frontdesk-agent", "iss": "frontdesk", "exp": now_secs() + 600 }),
    );
    let (status, _) = app.get("/api/admin/stats", &forged).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = app.get("/api/chat/history", &forged).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn wrong_password_and_unknown_email_get_the_same_answer() {
    let app = TestApp::spawn().await;
    app.create_agent("sarah@example.com", "Sarah", "chat_admin")
        .await;
    // One request id for every attempt, so that the answers (which carry it) compare whole.
    let app = &app;
    let attempt = |email: &'static str, password: &'static str| async move {
        let response = app
            .client
            .post(app.url("/api/admin/login"))
            .header("x-request-id", "login-attempt")
            .json(&json!({ "email": email, "password": password }))
            .send()
            .await
            .expect("request sent");
        decode(response).await
    };
    let (s1, wrong) = attempt("sarah@example.com", "wrong password").await;
    let (s2, unknown) = attempt("nobody@example.com", "wrong password").await;
    assert_error(s1, &wrong, 401, "AUTHENTICATION_FAILED");
    assert_error(s2, &unknown, 401, "AUTHENTICATION_FAILED");
    assert_eq!(wrong["message"], unknown["message"]);
    assert_eq!(wrong["error"], unknown["error"]);
    let (status, ok) = attempt("SARAH@example.com", AGENT_PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "emails are case-insensitive: {ok}");
    let admin = &ok["data"]["admin"];
    for field in [
        "id",
        "email",
        "name",
        "role",
        "department",
        "isOnline",
        "activeChatSessions",
        "maxConcurrentChats",
    ] {
        assert!(admin.get(field).is_some(), "admin.{field} in {admin}");
    }
    assert_eq!(admin["isOnline"], true);
}
