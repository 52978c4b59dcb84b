//! Mobile push (SPEC.md section 10) against a mock OAuth token endpoint and a mock FCM the test
//! runs: the RS256 assertion is verified, the token cached, a push sent only to users who are
//! away, unregistered devices dropped, bad registrations refused.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use axum::routing::post;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

const CLIENT_EMAIL: &str = "push@shop-project.iam.example";

#[derive(Default)]
struct Mock {
    token_uri: String,
    token_requests: usize,
    last_token: Option<String>,
    assertion_errors: Vec<String>,
    sent: Vec<Value>,
}

type Shared = Arc<Mutex<Mock>>;

async fn token(
    State(mock): State<Shared>,
    form: axum::extract::Form<Vec<(String, String)>>,
) -> (AxumStatus, axum::Json<Value>) {
    let field = |name: &str| {
        form.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let mut m = mock.lock().unwrap();
    let key =
        DecodingKey::from_rsa_pem(&std::fs::read(fixture("rsa_a_public.pem")).unwrap()).unwrap();
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[m.token_uri.clone()]);
    validation.set_issuer(&[CLIENT_EMAIL]);
    let checked = match (field("grant_type").as_deref(), field("assertion")) {
        (Some("urn:ietf:params:oauth:grant-type:jwt-bearer"), Some(assertion)) => {
            jsonwebtoken::decode::<Value>(&assertion, &key, &validation)
                .map_err(|e| e.to_string())
                .and_then(|t| {
                    if t.claims["scope"] != "https://www.googleapis.com/auth/firebase.messaging" {
                        Err(format!("scope {}", t.claims["scope"]))
                    } else if t.header.kid.as_deref() != Some("key-1") {
                        Err("kid".into())
                    } else {
                        Ok(())
                    }
                })
        }
        _ => Err("not a JWT-bearer grant".into()),
    };
    if let Err(e) = checked {
        m.assertion_errors.push(e);
        return (
            AxumStatus::BAD_REQUEST,
            axum::Json(json!({ "error": "invalid_grant" })),
        );
    }
    m.token_requests += 1;
    let access = format!("access-{}", m.token_requests);
    m.last_token = Some(access.clone());
    (
        AxumStatus::OK,
        axum::Json(json!({ "access_token": access, "expires_in": 3600, "token_type": "Bearer" })),
    )
}

async fn fcm(
    State(mock): State<Shared>,
    headers: HeaderMap,
    body: axum::Json<Value>,
) -> (AxumStatus, axum::Json<Value>) {
    let mut m = mock.lock().unwrap();
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string);
    if bearer.is_none() || bearer != m.last_token {
        return (
            AxumStatus::UNAUTHORIZED,
            axum::Json(json!({ "error": { "status": "UNAUTHENTICATED" } })),
        );
    }
    let device = body.0["message"]["token"]
        .as_str()
        .unwrap_or("")
        .to_string();
    if device == "dead-device" {
        return (
            AxumStatus::NOT_FOUND,
            axum::Json(
                json!({ "error": { "code": 404, "status": "NOT_FOUND", "message": "Requested entity was not found.",
                "details": [{ "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": "UNREGISTERED" }] } }),
            ),
        );
    }
    m.sent.push(body.0);
    (
        AxumStatus::OK,
        axum::Json(json!({ "name": "projects/shop-project/messages/1" })),
    )
}

/// The mock OAuth and FCM endpoints and a server pushing through them.
async fn push_app() -> (TestApp, Shared) {
    let mock: Shared = Arc::default();
    let router = axum::Router::new()
        .route("/token", post(token))
        .route("/fcm", post(fcm))
        .with_state(mock.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    mock.lock().unwrap().token_uri = format!("http://{addr}/token");

    let dir = tempfile::tempdir().unwrap();
    let account = dir.path().join("service-account.json");
    std::fs::write(
        &account,
        json!({
            "type": "service_account",
            "project_id": "shop-project",
            "private_key_id": "key-1",
            "private_key": std::fs::read_to_string(fixture("rsa_a.pem")).unwrap(),
            "client_email": CLIENT_EMAIL,
            "token_uri": format!("http://{addr}/token"),
        })
        .to_string(),
    )
    .unwrap();
    let app = TestApp::spawn_with(move |s| {
        s.push = Some(frontdesk::config::PushSettings {
            service_account_file: account,
            endpoint: Some(format!("http://{addr}/fcm")),
        });
        s.clock = frontdesk::clock::Clock::running_from(frontdesk::domain::Timestamp(
            (now_secs() * 1000) as i64,
        ));
    })
    .await;
    // The account file is read at start; the directory may go.
    drop(dir);
    (app, mock)
}

async fn register(app: &TestApp, user: &str, token: &str, platform: &str) {
    let answer = app
        .post_ok(
            "/api/chat/push-token",
            user,
            json!({ "token": token, "platform": platform }),
        )
        .await;
    assert_eq!(answer["data"]["registered"], true);
}

/// Waits until every outbox event so far has been fanned out.
async fn fanned_out(app: &TestApp) {
    wait_until("the outbox drained", || async {
        app.count_rows("SELECT COUNT(*) FROM outbox_events") == 0
    })
    .await;
}

#[tokio::test]
async fn an_away_user_gets_a_push_and_a_watching_one_does_not() {
    let (app, mock) = push_app().await;
    let (_, agent) = app.agent("ada@example.com", "chat_admin").await;
    let user = app.user_token("u_push");
    register(&app, &user, "device-a", "android").await;
    register(&app, &user, "dead-device", "ios").await;
    app.start_session(&user, Some("chat_push")).await;

    let long = format!(
        "Your parcel left the warehouse today. {}",
        "It is on its way to you. ".repeat(8)
    );
    let sent = app.agent_reply(&agent, "chat_push", &long).await;
    wait_until("a push to the live device", || async {
        mock.lock().unwrap().sent.len() == 1
    })
    .await;
    let push = mock.lock().unwrap().sent[0].clone();
    let message = &push["message"];
    assert_eq!(message["token"], "device-a");
    assert_eq!(
        message["notification"]["title"], "ada",
        "the name the user sees: {push}"
    );
    let body = message["notification"]["body"].as_str().unwrap();
    assert_eq!(body.chars().count(), 100);
    assert!(long.starts_with(body));
    assert_eq!(message["data"]["sessionId"], "chat_push");
    assert_eq!(message["data"]["messageId"], sent["messageId"]);
    wait_until("the unregistered device dropped", || async {
        app.count_rows("SELECT COUNT(*) FROM push_tokens WHERE token = 'dead-device'") == 0
    })
    .await;
    assert!(mock.lock().unwrap().assertion_errors.is_empty());

    // The user polls: they are watching, so the next reply is not pushed.
    app.poll(&user, "chat_push", None).await;
    app.agent_reply(&agent, "chat_push", "Anything else?").await;
    fanned_out(&app).await;
    assert_eq!(
        app.count_rows("SELECT COUNT(*) FROM push_outbox WHERE body = 'Anything else?'"),
        0
    );

    // Thirty seconds later they are away again; the cached access token is used.
    app.clock.advance(Duration::from_secs(31));
    app.agent_reply(&agent, "chat_push", "Still there?").await;
    wait_until("a second push", || async {
        mock.lock().unwrap().sent.len() == 2
    })
    .await;
    let m = mock.lock().unwrap();
    assert_eq!(m.sent[1]["message"]["notification"]["body"], "Still there?");
    assert_eq!(
        m.token_requests, 1,
        "the access token is cached until it expires"
    );
}

#[tokio::test]
async fn bad_device_registrations_are_refused_and_store_nothing() {
    let (app, _mock) = push_app().await;
    let user = app.user_token("u_bad");
    let long = "x".repeat(5000);
    for (what, body) in [
        ("no token", json!({ "platform": "android" })),
        ("no platform", json!({ "token": "abc" })),
        (
            "an empty token",
            json!({ "token": "  ", "platform": "android" }),
        ),
        (
            "a token with spaces",
            json!({ "token": "a b", "platform": "android" }),
        ),
        (
            "a huge token",
            json!({ "token": long, "platform": "android" }),
        ),
        (
            "an unknown platform",
            json!({ "token": "abc", "platform": "symbian" }),
        ),
        (
            "a token of numbers",
            json!({ "token": 12, "platform": "android" }),
        ),
        (
            "an unknown field",
            json!({ "token": "abc", "platform": "android", "userId": "someone" }),
        ),
        ("not an object", json!(["abc"])),
    ] {
        let (status, answer) = app.post("/api/chat/push-token", &user, body).await;
        assert_error(status, &answer, 400, "VALIDATION_ERROR");
        assert!(answer["message"].is_string(), "{what}");
    }
    let (status, _) = app
        .request(
            Method::POST,
            "/api/chat/push-token",
            None,
            Some(json!({ "token": "abc", "platform": "ios" })),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.count_rows("SELECT COUNT(*) FROM push_tokens"), 0);

    // A device registered again moves to whoever registered it last; ten per user at most.
    let other = app.user_token("u_other");
    register(&app, &user, "shared-device", "android").await;
    register(&app, &other, "shared-device", "android").await;
    assert_eq!(
        app.count_rows("SELECT COUNT(*) FROM push_tokens WHERE user_id = 'u_other'"),
        1
    );
    for n in 0..12 {
        register(&app, &user, &format!("device-{n}"), "web").await;
        app.clock.advance(Duration::from_millis(5));
    }
    assert_eq!(
        app.count_rows("SELECT COUNT(*) FROM push_tokens WHERE user_id = 'u_bad'"),
        10
    );
    assert_eq!(
        app.count_rows("SELECT COUNT(*) FROM push_tokens WHERE token IN ('device-0', 'device-1')"),
        0,
        "the oldest went first"
    );
}

#[tokio::test]
async fn without_a_service_account_devices_are_kept_and_nothing_is_pushed() {
    let app = TestApp::spawn().await;
    let user = app.user_token("u_off");
    let answer = app
        .post_ok(
            "/api/chat/push-token",
            &user,
            json!({ "token": "device-x", "platform": "ios" }),
        )
        .await;
    assert_eq!(answer["data"]["pushEnabled"], false);
    let (_, agent) = app.agent("ada@example.com", "chat_admin").await;
    app.start_session(&user, Some("chat_off")).await;
    app.agent_reply(&agent, "chat_off", "hello").await;
    assert_eq!(app.count_rows("SELECT COUNT(*) FROM outbox_events"), 0);
    assert_eq!(app.count_rows("SELECT COUNT(*) FROM push_outbox"), 0);
}
