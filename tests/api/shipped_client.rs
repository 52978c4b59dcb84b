//! The mobile client already in users' hands, step by step, as it behaves: a fresh token on
//! every call, Content-Type on GETs, its own ids, a first poll without `after`, polls after its
//! own message id, JSON.parse on every answer, `body.message` shown on errors.

use std::sync::atomic::{AtomicU64, Ordering};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

struct ShippedClient<'a> {
    app: &'a TestApp,
    user: &'static str,
    issued: AtomicU64,
}

impl ShippedClient<'_> {
    /// Firebase hands out a new ID token now and then; the app sends whatever it has, fresh.
    fn fresh_token(&self) -> String {
        let n = self.issued.fetch_add(1, Ordering::Relaxed);
        user_token_with(json!({
            "sub": self.user,
            "user_id": self.user,
            "email": "customer@example.com",
            "iat": now_secs(),
            "exp": now_secs() + 3600 + n,
        }))
    }

    #[must_use = "check the status"]
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self
            .app
            .client
            .request(method, self.app.url(path))
            .bearer_auth(self.fresh_token())
            .header("content-type", "application/json");
        if let Some(body) = body {
            req = req.body(body.to_string());
        }
        // JSON.parse on every answer, whatever the status.
        decode(req.send().await.unwrap()).await
    }

    /// A call that must succeed: asserts a 200 success envelope and returns the body.
    async fn call_ok(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let what = format!("{method} {path}");
        expect_ok(&what, self.call(method, path, body).await)
    }
}

fn client_id(prefix: &str, n: u32) -> String {
    format!(
        "{prefix}_{}_{}",
        1_733_514_600_000u64 + u64::from(n),
        ["k3j9x", "a8f2", "z9q1"][n as usize % 3]
    )
}

#[tokio::test]
async fn the_shipped_client_flow_works_unchanged() {
    let app = TestApp::spawn().await;
    let (_, agent) = app.agent("sarah@example.com", "chat_admin").await;
    let phone = ShippedClient {
        app: &app,
        user: "firebase_user_id_12345",
        issued: AtomicU64::new(0),
    };

    // An expired token gets a JSON 401; the app refreshes and retries once.
    let expired = user_token_with(json!({ "sub": phone.user, "exp": now_secs() - 600 }));
    let response = app
        .client
        .post(app.url("/api/chat/session"))
        .bearer_auth(expired)
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    let (status, body) = decode(response).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body["message"].is_string(), "the app shows body.message");

    // Start with its own id, then use whatever id the answer gives.
    let wanted = client_id("chat", 0);
    let (status, started) = phone
        .call(
            reqwest::Method::POST,
            "/api/chat/session",
            Some(json!({
                "sessionId": wanted,
                "userInfo": { "isGuest": false, "userId": phone.user, "email": "customer@example.com", "name": "John Doe", "phone": "+1234567890" },
                "startTime": "2025-12-06T15:30:00.000Z",
                "status": "active"
            })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(started["success"], true);
    let session = started["data"]["sessionId"].as_str().unwrap().to_string();
    assert_eq!(session, wanted);

    // First poll at once, without `after`: the welcome message.
    let (status, first) = phone
        .call(
            reqwest::Method::GET,
            &format!("/api/chat/poll/{session}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(first["success"], true);
    let welcome = &first["data"]["messages"][0];
    assert_ne!(
        welcome["sender"], "user",
        "anything not from the user is support"
    );
    let mut last_id = welcome["messageId"].as_str().unwrap().to_string();
    assert_eq!(first["data"]["sessionEnded"], false);

    // Send, then poll after its own message id.
    let mine = client_id("msg", 1);
    let (status, sent) = phone
        .call(
            reqwest::Method::POST,
            "/api/chat/message",
            Some(json!({ "sessionId": session, "messageId": mine, "message": "Hello, I need help with my order #ORD12345", "sender": "user", "timestamp": "2025-12-06T15:31:00.000Z" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(sent["data"]["messageId"], mine.as_str());
    let echo = phone
        .call_ok(
            reqwest::Method::GET,
            &format!("/api/chat/poll/{session}?after={last_id}"),
            None,
        )
        .await;
    assert_eq!(
        echo["data"]["messages"][0]["messageId"],
        mine.as_str(),
        "its own echo, to reconcile"
    );
    last_id = mine.clone();
    let empty = phone
        .call_ok(
            reqwest::Method::GET,
            &format!("/api/chat/poll/{session}?after={last_id}"),
            None,
        )
        .await;
    assert_eq!(empty["data"]["messages"], json!([]));

    // The agent answers; the next poll shows it.
    app.agent_reply(
        &agent,
        &session,
        "I can see your order was shipped yesterday.",
    )
    .await;
    let reply = phone
        .call_ok(
            reqwest::Method::GET,
            &format!("/api/chat/poll/{session}?after={last_id}"),
            None,
        )
        .await;
    let answer = &reply["data"]["messages"][0];
    assert_eq!(
        answer["message"],
        "I can see your order was shipped yesterday."
    );
    assert_ne!(answer["sender"], "user");
    assert!(answer["timestamp"].is_string());
    last_id = answer["messageId"].as_str().unwrap().to_string();

    // The agent ends the chat; the poll says so.
    let (status, _) = app
        .post(
            "/api/admin/chat/session/end",
            &agent,
            json!({ "sessionId": session, "endReason": "Issue resolved" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let ended = phone
        .call_ok(
            reqwest::Method::GET,
            &format!("/api/chat/poll/{session}?after={last_id}"),
            None,
        )
        .await;
    assert_eq!(ended["data"]["sessionEnded"], true);

    // The app ends its side anyway, with rating null, then rates; rating twice is "already submitted".
    let (status, end) = phone
        .call(
            reqwest::Method::POST,
            "/api/chat/session/end",
            Some(json!({ "sessionId": session, "endTime": "2025-12-06T15:45:00.000Z", "status": "ended_by_user", "rating": null, "feedback": null })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        end["data"]["status"], "ended_by_admin",
        "the first end stands"
    );
    let rating = json!({ "sessionId": session, "rating": 5, "feedback": "Excellent!", "timestamp": "2025-12-06T15:46:00.000Z", "categories": ["helpful"] });
    let (status, rated) = phone
        .call(
            reqwest::Method::POST,
            "/api/chat/rating",
            Some(rating.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(rated["success"], true);
    let (status, again) = phone
        .call(reqwest::Method::POST, "/api/chat/rating", Some(rating))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        again["message"]
            .as_str()
            .unwrap()
            .contains("already submitted")
    );

    // History shows it.
    let history = phone
        .call_ok(
            reqwest::Method::GET,
            "/api/chat/history?page=1&limit=10",
            None,
        )
        .await;
    assert_eq!(
        history["data"]["sessions"][0]["sessionId"],
        session.as_str()
    );
    assert_eq!(history["data"]["sessions"][0]["rating"], 5);
}

#[tokio::test]
async fn the_shipped_client_reads_a_file_only_reply_as_text_and_polls_on_after_it() {
    let app = TestApp::spawn().await;
    let (_, agent) = app.agent("sarah@example.com", "chat_admin").await;
    let phone = ShippedClient {
        app: &app,
        user: "firebase_user_id_12345",
        issued: AtomicU64::new(0),
    };
    let session = client_id("chat", 0);
    let started = phone
        .call_ok(
            reqwest::Method::POST,
            "/api/chat/session",
            Some(json!({ "sessionId": session, "status": "active" })),
        )
        .await;
    assert_eq!(started["data"]["sessionId"], session.as_str());
    let first = phone
        .call_ok(
            reqwest::Method::GET,
            &format!("/api/chat/poll/{session}"),
            None,
        )
        .await;
    let last_id = first["data"]["messages"][0]["messageId"]
        .as_str()
        .unwrap()
        .to_string();

    // The agent sends a PDF with no words, from the admin API.
    let form = reqwest::multipart::Form::new()
        .text("sessionId", session.clone())
        .part(
            "file",
            reqwest::multipart::Part::bytes(b"%PDF-1.4\n%%EOF\n".to_vec()).file_name("label.pdf"),
        );
    let uploaded = app
        .client
        .post(app.url("/api/admin/chat/attachments"))
        .bearer_auth(&agent)
        .multipart(form)
        .send()
        .await
        .expect("upload sent");
    let uploaded = expect_ok("agent upload", decode(uploaded).await);
    let file_id = uploaded["data"]["attachmentId"].as_str().unwrap();
    expect_ok(
        "file-only reply",
        app.post(
            "/api/admin/chat/message",
            &agent,
            json!({ "sessionId": session, "attachments": [file_id] }),
        )
        .await,
    );

    // The app knows nothing of files: it reads message, sender and timestamp, and they make sense.
    let reply = phone
        .call_ok(
            reqwest::Method::GET,
            &format!("/api/chat/poll/{session}?after={last_id}"),
            None,
        )
        .await;
    let shown = &reply["data"]["messages"][0];
    assert_eq!(shown["message"], "Sent a file: label.pdf");
    assert_eq!(shown["sender"], "admin");
    assert!(shown["timestamp"].is_string());
    let after_file = shown["messageId"].as_str().unwrap().to_string();

    // It polls on after the file's message and keeps chatting.
    let mine = client_id("msg", 1);
    phone
        .call_ok(
            reqwest::Method::POST,
            "/api/chat/message",
            Some(json!({ "sessionId": session, "messageId": mine, "message": "Got it, thanks", "sender": "user" })),
        )
        .await;
    let next = phone
        .call_ok(
            reqwest::Method::GET,
            &format!("/api/chat/poll/{session}?after={after_file}"),
            None,
        )
        .await;
    assert_eq!(next["data"]["messages"][0]["messageId"], mine.as_str());
}
