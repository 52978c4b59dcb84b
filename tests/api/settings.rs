//! Settings as a user gives them to the built binary: the bare `frontdesk` reads the same
//! settings as `frontdesk serve`, and flag > environment variable > config file > default.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{now_secs, postgres_url_of};

const BIN: &str = env!("CARGO_BIN_EXE_frontdesk");

/// A server process, killed when dropped.
struct Running {
    child: Child,
    address: String,
}

impl Running {
    /// Starts `command` and waits for the log line that reports the address it serves on.
    fn start(mut command: Command) -> Running {
        let mut child = command
            .env("RUST_LOG", "frontdesk=info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("binary starts");
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        // Keeps draining stderr so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut lines = Vec::new();
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if line.contains("frontdesk is serving") {
                    let address = line
                        .split_whitespace()
                        .find_map(|w| w.strip_prefix("address="))
                        .map(str::to_string);
                    let _ = tx.send(Ok(address));
                }
                lines.push(line);
            }
            let _ = tx.send(Err(lines.join("\n")));
        });
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(Ok(Some(address))) => Running { child, address },
            Ok(Ok(None)) => panic!("the serving line names no address"),
            Ok(Err(log)) => panic!("the server exited before serving:\n{log}"),
            Err(_) => panic!("the server did not report its address"),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The binary with an empty environment and its database in `dir`.
fn frontdesk(dir: &Path) -> Command {
    let mut command = Command::new(BIN);
    command
        .env_clear()
        .env("DATABASE_PATH", dir.join("frontdesk.db"));
    if let Some(url) = postgres_url_of(&dir.join("frontdesk.db")) {
        command
            .env("DATABASE_URL", url)
            .env("FILES_DIR", dir.join("frontdesk.db.files"));
    }
    command
}

fn hs256_token(secret: &str, user: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &json!({ "sub": user, "exp": now_secs() + 3600 }),
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

async fn start_chat(server: &Running, token: &str) -> (StatusCode, Value) {
    let response = reqwest::Client::new()
        .post(server.url("/api/chat/session"))
        .bearer_auth(token)
        .json(&json!({}))
        .send()
        .await
        .expect("the server answers");
    let status = response.status();
    (status, response.json().await.expect("a JSON body"))
}

#[tokio::test]
async fn the_bare_binary_serves_with_the_environments_secret_and_address() {
    let dir = tempfile::tempdir().unwrap();
    let secret = "a-secret-only-this-test-knows-42";
    let bind = format!("127.0.0.1:{}", free_port());
    let mut command = frontdesk(dir.path());
    command.env("JWT_SECRET", secret).env("BIND_ADDR", &bind);
    let server = Running::start(command);
    assert_eq!(server.address, bind, "BIND_ADDR is where it listens");

    let token = hs256_token(secret, "bare_user");
    let (status, started) = start_chat(&server, &token).await;
    assert_eq!(status, StatusCode::OK, "{started}");
    let session = started["data"]["sessionId"].as_str().unwrap();
    let response = reqwest::Client::new()
        .get(server.url(&format!("/api/chat/poll/{session}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let polled: Value = response.json().await.unwrap();
    assert_eq!(polled["success"], true, "{polled}");
    assert_eq!(polled["data"]["sessionEnded"], false, "{polled}");

    let (status, refused) =
        start_chat(&server, &hs256_token("some-other-secret-0123456", "u")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{refused}");
}

/// Starts `frontdesk serve` on a random port with `file` as its config file, `env` and `args`,
/// and reports the poll interval it advertises to a new chat.
async fn advertised_poll_interval(env: Option<&str>, args: &[&str]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("frontdesk.toml");
    std::fs::write(&file, "poll_interval_seconds = 7\n").unwrap();
    let secret = "layering-test-secret-0123456789";
    let mut command = frontdesk(dir.path());
    command
        .env("JWT_SECRET", secret)
        .env("FRONTDESK_CONFIG", &file)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .args(args);
    if let Some(value) = env {
        command.env("POLL_INTERVAL_SECONDS", value);
    }
    let server = Running::start(command);
    let (status, body) = start_chat(&server, &hs256_token(secret, "layers")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["data"]["pollIntervalSeconds"].clone()
}

#[tokio::test]
async fn the_file_beats_the_default_env_beats_the_file_and_a_flag_beats_env() {
    assert_eq!(
        advertised_poll_interval(None, &[]).await,
        7,
        "file over default"
    );
    assert_eq!(
        advertised_poll_interval(Some("9"), &[]).await,
        9,
        "env over file"
    );
    assert_eq!(
        advertised_poll_interval(Some("9"), &["--poll-interval-seconds", "11"]).await,
        11,
        "flag over env"
    );
}

#[tokio::test]
async fn an_empty_welcome_message_in_the_environment_turns_it_off() {
    let dir = tempfile::tempdir().unwrap();
    let secret = "welcome-test-secret-0123456789";
    let mut command = frontdesk(dir.path());
    command
        .env("JWT_SECRET", secret)
        .env("WELCOME_MESSAGE", "")
        .args(["--bind", "127.0.0.1:0"]);
    let server = Running::start(command);
    let token = hs256_token(secret, "quiet");
    let (status, started) = start_chat(&server, &token).await;
    assert_eq!(status, StatusCode::OK, "{started}");
    let session = started["data"]["sessionId"].as_str().unwrap();
    let response = reqwest::Client::new()
        .get(server.url(&format!("/api/chat/poll/{session}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let polled: Value = response.json().await.unwrap();
    assert_eq!(polled["data"]["messages"], json!([]), "{polled}");
}

#[test]
fn help_shows_each_settings_type_and_default() {
    for args in [&["--help"][..], &["serve", "--help"][..]] {
        let output = Command::new(BIN).env_clear().args(args).output().unwrap();
        assert!(output.status.success(), "{args:?}");
        let help = String::from_utf8_lossy(&output.stdout);
        for shown in [
            "--bind <HOST:PORT>",
            "[default: 127.0.0.1:8080]",
            "[env: BIND_ADDR",
            "--rate-limit-max-requests <N>",
            "[default: 30]",
        ] {
            assert!(
                help.contains(shown),
                "{args:?}: {shown} missing from:\n{help}"
            );
        }
    }
}
