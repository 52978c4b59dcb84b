//! A terminal chat client that behaves like the shipped mobile app: it starts a session with its
//! own `chat_<ms>_<rand>` id, polls at once without `after`, then every 2 seconds (backing off
//! to 10 s while nothing arrives) with `after=<last message id>`, sends each line you type as
//! a message with its own `msg_<ms>_<rand>` id, and stops when support ends the chat.
//!
//! ```text
//! cargo run --example mobile_client -- --url http://127.0.0.1:8080 --jwt-secret "$JWT_SECRET" --user alice
//! ```
//!
//! `--token` sends a ready-made user token instead of minting one from the HS256 secret.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rand::Rng;
use rand::distr::Alphanumeric;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};

struct Options {
    url: String,
    token: Option<String>,
    secret: Option<String>,
    user: String,
}

fn parse_args() -> Result<Options, String> {
    let mut options = Options {
        url: "http://127.0.0.1:8080".into(),
        token: None,
        secret: std::env::var("JWT_SECRET").ok(),
        user: "demo-user".into(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--url" => options.url = value()?,
            "--token" => options.token = Some(value()?),
            "--jwt-secret" => options.secret = Some(value()?),
            "--user" => options.user = value()?,
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    if options.token.is_none() && options.secret.is_none() {
        return Err("give --token, or --jwt-secret (or JWT_SECRET) to mint one".into());
    }
    Ok(options)
}

fn millis() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis()
}

fn client_id(prefix: &str) -> String {
    let suffix: String = rand::rng()
        .sample_iter(&Alphanumeric)
        .take(5)
        .map(|b| char::from(b).to_ascii_lowercase())
        .collect();
    format!("{prefix}_{}_{suffix}", millis())
}

struct Phone {
    http: reqwest::Client,
    options: Options,
}

impl Phone {
    /// Like the app, a "fresh" token on every call.
    fn token(&self) -> String {
        if let Some(token) = &self.options.token {
            return token.clone();
        }
        let exp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs()
            + 3600;
        let claims = json!({ "sub": self.options.user, "name": self.options.user, "exp": exp });
        let secret = self.options.secret.as_deref().unwrap_or_default();
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(secret.as_bytes()),
        )
        .expect("signing a token")
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, String> {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.options.url))
            .bearer_auth(self.token())
            .header("content-type", "application/json");
        if let Some(body) = body {
            request = request.body(body.to_string());
        }
        let response = request.send().await.map_err(|e| e.to_string())?;
        let body: Value = response.json().await.map_err(|e| e.to_string())?;
        if body["success"] == true {
            Ok(body)
        } else {
            Err(body["message"]
                .as_str()
                .unwrap_or("request failed")
                .to_string())
        }
    }
}

#[tokio::main]
async fn main() {
    let options = match parse_args() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("mobile_client: {e}");
            std::process::exit(2);
        }
    };
    let phone = Phone {
        http: reqwest::Client::new(),
        options,
    };
    let started = match phone
        .call(
            reqwest::Method::POST,
            "/api/chat/session",
            Some(json!({ "sessionId": client_id("chat") })),
        )
        .await
    {
        Ok(body) => body,
        Err(e) => {
            eprintln!("could not start a chat: {e}");
            std::process::exit(1);
        }
    };
    let session = started["data"]["sessionId"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    println!(
        "chat {session} started; about {} s until someone answers. Type a message and press Enter.",
        started["data"]["estimatedWaitTime"]
    );

    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let mut last: Option<String> = None;
    let mut interval = Duration::ZERO;
    loop {
        tokio::select! {
            line = lines.next_line() => match line {
                Ok(Some(text)) if !text.trim().is_empty() => {
                    let body = json!({ "sessionId": session, "messageId": client_id("msg"), "message": text, "sender": "user" });
                    if let Err(e) = phone.call(reqwest::Method::POST, "/api/chat/message", Some(body)).await {
                        eprintln!("(not sent: {e})");
                    }
                    interval = Duration::ZERO;
                }
                Ok(Some(_)) => {}
                _ => break,
            },
            _ = tokio::time::sleep(interval) => {
                let path = match &last {
                    Some(after) => format!("/api/chat/poll/{session}?after={after}"),
                    None => format!("/api/chat/poll/{session}"),
                };
                match phone.call(reqwest::Method::GET, &path, None).await {
                    Ok(body) => {
                        let messages = body["data"]["messages"].as_array().cloned().unwrap_or_default();
                        for m in &messages {
                            last = m["messageId"].as_str().map(str::to_string);
                            if m["sender"] != "user" {
                                let who = m["adminInfo"]["name"].as_str().unwrap_or("Support");
                                println!("{who}: {}", m["message"].as_str().unwrap_or_default());
                            }
                        }
                        if body["data"]["sessionEnded"] == true {
                            println!("support ended the chat ({})", body["data"]["endReason"].as_str().unwrap_or("no reason given"));
                            break;
                        }
                        // Every 2 s, backing off to 10 s while nothing arrives.
                        interval = if messages.is_empty() {
                            (interval + Duration::from_secs(2)).clamp(Duration::from_secs(2), Duration::from_secs(10))
                        } else {
                            Duration::from_secs(2)
                        };
                    }
                    Err(e) => {
                        eprintln!("(poll failed: {e})");
                        interval = Duration::from_secs(10);
                    }
                }
            }
        }
    }
    let end = json!({ "sessionId": session, "status": "ended_by_user", "rating": null, "feedback": null });
    let _ = phone
        .call(reqwest::Method::POST, "/api/chat/session/end", Some(end))
        .await;
}
