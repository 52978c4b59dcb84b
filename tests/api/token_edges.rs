//! Token edge cases: time claims on the server's clock (with a minute of leeway), only the
//! canonical spelling of a token, pinned algorithms, revocation on agent logout, and guests and
//! business users never sharing an identity.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

const HISTORY: &str = "/api/chat/history";

/// Asserts that `token` is refused on `path` with 401 in the envelope; `why` names the case.
async fn assert_refused(app: &TestApp, path: &str, token: &str, why: &str) {
    let (status, body) = app.get(path, token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{why}: {body}");
    assert_error(status, &body, 401, "AUTHENTICATION_FAILED");
}

async fn assert_accepted(app: &TestApp, path: &str, token: &str, why: &str) {
    let (status, body) = app.get(path, token).await;
    assert_eq!(status, StatusCode::OK, "{why}: {body}");
}

fn signed(alg: Algorithm, claims: &Value, secret: &[u8]) -> String {
    jsonwebtoken::encode(&Header::new(alg), claims, &EncodingKey::from_secret(secret)).unwrap()
}

#[tokio::test]
async fn a_token_that_is_not_valid_yet_is_refused_until_it_is() {
    let app = TestApp::spawn().await;
    let now = app.clock_secs();
    let later = user_token_with(json!({ "sub": "u1", "nbf": now + 600, "exp": now + 3600 }));
    assert_refused(&app, HISTORY, &later, "nbf ten minutes ahead").await;
    let skewed = user_token_with(json!({ "sub": "u1", "nbf": now + 30, "exp": now + 3600 }));
    assert_accepted(&app, HISTORY, &skewed, "nbf within the leeway").await;

    app.clock.advance(Duration::from_secs(600));
    assert_accepted(&app, HISTORY, &later, "nbf reached on the server clock").await;
}

#[tokio::test]
async fn a_token_issued_in_the_future_is_refused() {
    let app = TestApp::spawn().await;
    let now = app.clock_secs();
    let ahead = user_token_with(json!({ "sub": "u1", "iat": now + 600, "exp": now + 3600 }));
    assert_refused(&app, HISTORY, &ahead, "iat ten minutes ahead").await;
    let fine = user_token_with(json!({ "sub": "u1", "iat": now - 5, "exp": now + 3600 }));
    assert_accepted(&app, HISTORY, &fine, "iat in the past").await;
}

#[tokio::test]
async fn expiry_follows_the_server_clock_for_user_and_agent_tokens() {
    let app = TestApp::spawn_with(|s| s.agent_token_ttl = Duration::from_secs(3600)).await;
    let (_, agent) = app.agent("ann@example.com", "super_admin").await;
    let now = app.clock_secs();
    let user = user_token_with(json!({ "sub": "u1", "exp": now + 120 }));
    assert_accepted(&app, HISTORY, &user, "fresh user token").await;
    assert_accepted(&app, "/api/admin/stats", &agent, "fresh agent token").await;
    let expired = user_token_with(json!({ "sub": "u1", "exp": now - 3600 }));
    assert_refused(&app, HISTORY, &expired, "expired an hour ago").await;

    app.clock.advance(Duration::from_secs(120 + 61));
    assert_refused(&app, HISTORY, &user, "expired past the leeway (cached)").await;
    app.clock.advance(Duration::from_secs(3600));
    assert_refused(&app, "/api/admin/stats", &agent, "agent token expired").await;
    let fresh = app.login("ann@example.com").await;
    assert_accepted(&app, "/api/admin/stats", &fresh, "a new sign-in").await;
}

/// The sextet a base64url character stands for.
fn sextet(c: u8) -> u8 {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    ALPHABET.iter().position(|&a| a == c).unwrap() as u8
}

/// Other spellings of `token` that a lenient decoder would read as the same bytes.
fn respellings(token: &str) -> Vec<(&'static str, String)> {
    let parts: Vec<&str> = token.split('.').collect();
    let sig = parts[2];
    // 32 signature bytes make 43 characters: the last one carries two unused bits.
    let last = *sig.as_bytes().last().unwrap();
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let loose_last = alphabet[usize::from(sextet(last) | 1)] as char;
    let loose_sig = format!("{}{loose_last}", &sig[..sig.len() - 1]);
    let standard_alphabet = token.replace('-', "+").replace('_', "/");
    let mut spellings = vec![
        ("padded signature", format!("{token}=")),
        (
            "padded payload",
            format!("{}.{}=.{}", parts[0], parts[1], parts[2]),
        ),
        (
            "non-zero trailing bits",
            format!("{}.{}.{loose_sig}", parts[0], parts[1]),
        ),
        (
            "inner whitespace",
            format!("{}. {}.{}", parts[0], parts[1], parts[2]),
        ),
    ];
    // Only a token that holds a `-` or `_` has a standard-alphabet spelling of its own.
    if standard_alphabet != token {
        spellings.push(("standard alphabet", standard_alphabet));
    }
    spellings
}

/// A user token whose spelling holds a `-` or `_`, so that `+`/`/` can stand in for it.
fn token_with_url_safe_characters(app: &TestApp) -> String {
    (0..200)
        .map(|i| user_token_with(json!({ "sub": format!("u{i}"), "exp": app.clock_secs() + 3600 })))
        .find(|t| t.contains(['-', '_']))
        .expect("some token has a - or _")
}

#[tokio::test]
async fn only_the_canonical_spelling_of_a_token_is_accepted() {
    let app = TestApp::spawn().await;
    let user = token_with_url_safe_characters(&app);
    let (_, agent) = app.agent("ann@example.com", "super_admin").await;
    for (path, token) in [(HISTORY, &user), ("/api/admin/stats", &agent)] {
        for (why, spelling) in respellings(token) {
            assert_ne!(&spelling, token, "{why}");
            assert_refused(&app, path, &spelling, why).await;
        }
        assert_accepted(&app, path, token, "the canonical spelling").await;
    }
    let standard = user.replace('-', "+").replace('_', "/");
    let bytes = |t: &str| -> Vec<Vec<u8>> {
        t.split('.')
            .map(|p| {
                base64::engine::general_purpose::STANDARD_NO_PAD
                    .decode(p.replace('-', "+").replace('_', "/"))
                    .unwrap()
            })
            .collect()
    };
    assert_eq!(
        bytes(&standard),
        bytes(&user),
        "the same token, spelt otherwise"
    );
}

#[tokio::test]
async fn alg_none_and_other_algorithms_are_refused() {
    let app = TestApp::spawn().await;
    let claims = json!({ "sub": "u1", "exp": app.clock_secs() + 600 });
    let b64 = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
    let none = format!("{}.{}.", b64(&json!({ "alg": "none" })), b64(&claims));
    let none_signed = format!(
        "{}.{}.{}",
        b64(&json!({ "alg": "none", "typ": "JWT" })),
        b64(&claims),
        URL_SAFE_NO_PAD.encode(b"sig")
    );
    let secret = JWT_SECRET.as_bytes();
    for (why, token) in [
        ("alg none", none),
        ("alg none with a signature", none_signed),
        ("HS384", signed(Algorithm::HS384, &claims, secret)),
        ("HS512", signed(Algorithm::HS512, &claims, secret)),
    ] {
        assert_refused(&app, HISTORY, &token, why).await;
    }
    assert_accepted(
        &app,
        HISTORY,
        &signed(Algorithm::HS256, &claims, secret),
        "HS256",
    )
    .await;

    // Agent tokens: the server's own key, any algorithm but HS256, is refused.
    let (agent_id, agent) = app.agent("ann@example.com", "super_admin").await;
    let server_secret = app
        .db()
        .text("SELECT value FROM server_settings WHERE key = 'agent_token_secret'")
        .expect("the server's secret is stored");
    let agent_claims: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(agent.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(agent_claims["sub"], agent_id.as_str());
    let same_claims_hs256 = signed(Algorithm::HS256, &agent_claims, server_secret.as_bytes());
    assert_accepted(
        &app,
        "/api/admin/stats",
        &same_claims_hs256,
        "re-signed HS256",
    )
    .await;
    for alg in [Algorithm::HS384, Algorithm::HS512] {
        let token = signed(alg, &agent_claims, server_secret.as_bytes());
        assert_refused(&app, "/api/admin/stats", &token, &format!("{alg:?}")).await;
    }
}

#[tokio::test]
async fn agent_logout_revokes_the_bearer_token_at_once() {
    let app = TestApp::spawn().await;
    let (_, phone) = app.agent("ann@example.com", "chat_admin").await;
    let laptop = app.login("ann@example.com").await;
    let (_, other) = app.agent("bob@example.com", "chat_admin").await;
    assert_accepted(&app, "/api/admin/me", &phone, "before logout").await;

    let answer = app.post_ok("/api/admin/logout", &phone, json!({})).await;
    assert_eq!(answer["data"]["admin"]["isOnline"], false, "{answer}");

    for path in ["/api/admin/me", "/api/admin/chat/active-sessions"] {
        assert_refused(&app, path, &phone, "the token logged out with").await;
        assert_refused(&app, path, &laptop, "a token issued before the logout").await;
    }
    let (status, body) = app.post("/api/admin/logout", &phone, json!({})).await;
    assert_error(status, &body, 401, "AUTHENTICATION_FAILED");
    assert_accepted(&app, "/api/admin/me", &other, "another agent's token").await;

    let fresh = app.login("ann@example.com").await;
    let me = app.get_ok("/api/admin/me", &fresh).await;
    assert_eq!(me["data"]["admin"]["email"], "ann@example.com");
    assert_refused(&app, "/api/admin/me", &phone, "still revoked").await;
}

/// Every way into `session` is refused to `token` with 404, as if it did not exist.
async fn assert_cannot_reach(app: &TestApp, token: &str, session: &str, who: &str) {
    let reads = [
        format!("/api/chat/poll/{session}"),
        format!("/api/chat/messages/{session}"),
        format!("/api/chat/stream/{session}"),
    ];
    for path in &reads {
        let (status, body) = app.get(path, token).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{who} GET {path}: {body}");
        assert_error(status, &body, 404, "SESSION_NOT_FOUND");
    }
    let writes = [
        (
            "/api/chat/message",
            json!({ "sessionId": session, "messageId": "msg_intruder", "message": "hi" }),
        ),
        (
            "/api/chat/typing",
            json!({ "sessionId": session, "isTyping": true }),
        ),
        (
            "/api/chat/read",
            json!({ "sessionId": session, "upTo": "msg_intruder" }),
        ),
        ("/api/chat/session/end", json!({ "sessionId": session })),
        (
            "/api/chat/rating",
            json!({ "sessionId": session, "rating": 5 }),
        ),
    ];
    for (path, body) in writes {
        let (status, answer) = app.post(path, token, body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{who} POST {path}: {answer}");
        assert_error(status, &answer, 404, "SESSION_NOT_FOUND");
    }
}

#[tokio::test]
async fn a_user_whose_subject_is_a_guests_id_is_not_that_guest() {
    let app = TestApp::spawn_with(|s| s.allow_guests = true).await;
    let Guest {
        token: guest,
        id: guest_id,
        session: guest_chat,
    } = app.start_guest().await;
    app.send_ok(&guest, &guest_chat, "msg_g1", "private to the guest")
        .await;
    let impostor = app.user_token(&guest_id);

    assert_cannot_reach(&app, &impostor, &guest_chat, "user with the guest's id").await;
    let history = app.get_ok("/api/chat/history", &impostor).await;
    assert_eq!(history["data"]["sessions"], json!([]), "{history}");
    // Asking for the guest's session id by name gives the user a session of their own.
    let own = app.start_session(&impostor, Some(&guest_chat)).await;
    assert_ne!(own["sessionId"], guest_chat.as_str(), "{own}");
    let resumed = app.start_session(&impostor, None).await;
    assert_eq!(resumed["sessionId"], own["sessionId"], "resumes their own");

    // And the other way round: the guest cannot reach the user's session.
    let user_chat = own["sessionId"].as_str().unwrap().to_string();
    assert_cannot_reach(&app, &guest, &user_chat, "guest").await;
    let history = app.get_ok("/api/chat/history", &guest).await;
    let ids: Vec<&Value> = history["data"]["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["sessionId"])
        .collect();
    assert_eq!(ids, [&json!(guest_chat)], "{history}");

    // Nothing an intruder sent was stored; each owner still reads their own chat.
    let data = app.poll(&guest, &guest_chat, None).await;
    let texts: Vec<&str> = data["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["sender"] == "user")
        .map(|m| m["message"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["private to the guest"]);
    assert_eq!(
        app.poll(&impostor, &user_chat, None).await["sessionStatus"],
        "active"
    );
    // Agents see them as two people: neither chat is the other's earlier chat.
    let (_, agent) = app.agent("ann@example.com", "chat_admin").await;
    for chat in [&guest_chat, &user_chat] {
        let detail = app
            .get_ok(&format!("/api/admin/chat/session/{chat}"), &agent)
            .await;
        assert_eq!(detail["data"]["earlierSessions"], json!([]), "{detail}");
    }
}

#[tokio::test]
async fn jwks_keys_verify_rs256_and_nothing_else() {
    let app = TestApp::spawn_with(|s| {
        s.user_tokens.jwt_secret = None;
        s.user_tokens.jwks_file = Some(fixture("jwks_a.json"));
    })
    .await;
    let claims = json!({ "sub": "u1", "exp": app.clock_secs() + 600 });
    let pem = std::fs::read(fixture("rsa_a.pem")).unwrap();
    let rsa = |alg: Algorithm| {
        let mut header = Header::new(alg);
        header.kid = Some("key-a".into());
        jsonwebtoken::encode(&header, &claims, &EncodingKey::from_rsa_pem(&pem).unwrap()).unwrap()
    };
    assert_accepted(&app, HISTORY, &rsa(Algorithm::RS256), "RS256 by key-a").await;
    for alg in [Algorithm::RS384, Algorithm::RS512, Algorithm::PS256] {
        assert_refused(&app, HISTORY, &rsa(alg), &format!("{alg:?} by key-a")).await;
    }
    // HS256 "signed" with the public key's PEM, naming the JWKS key.
    let public_pem = std::fs::read(fixture("rsa_a_public.pem")).unwrap();
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("key-a".into());
    let confused =
        jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(&public_pem)).unwrap();
    assert_refused(&app, HISTORY, &confused, "HS256 with the public key").await;
}
