//! What the deployment tests share: the tools they run, the built binary serving behind a
//! proxy, and the traffic every proxy must pass.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

pub const BIN: &str = env!("CARGO_BIN_EXE_frontdesk");
pub const JWT_SECRET: &str = "deploy-test-user-token-secret-0123";
pub const METRICS_TOKEN: &str = "deploy-test-metrics-token-0123";
pub const AGENT_EMAIL: &str = "ann@example.com";
pub const AGENT_PASSWORD: &str = "correct horse battery";
pub const PATIENCE: Duration = Duration::from_secs(20);

pub fn repo_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(name)
}

pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The path of a tool the tests need, or a failure that says how to install it.
pub fn tool(name: &str, package: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin".into(), "/sbin".into()])
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| {
            panic!(
                "{name} is missing: run scripts/install-test-deps.sh (it installs Debian's \
                 {package} package)"
            )
        })
}

pub fn run(program: &Path, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{} cannot run: {e}", program.display()))
}

pub fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// `original` with `from` replaced by `to`; the file must contain `from`, so that a changed
/// deploy file fails here rather than being tested half-substituted.
pub fn substitute(original: String, from: &str, to: &str) -> String {
    assert!(original.contains(from), "{from:?} is no longer in the file");
    original.replace(from, to)
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

/// The built binary serving on a free loopback port, stopped when dropped.
pub struct Server {
    child: Child,
    pub addr: SocketAddr,
}

impl Server {
    pub fn start(dir: &Path) -> Server {
        let db = dir.join("frontdesk.db");
        let mut create = Command::new(BIN)
            .args(["--db", db.to_str().unwrap(), "admin", "create"])
            .args([
                "--email",
                AGENT_EMAIL,
                "--name",
                "Ann",
                "--role",
                "chat_admin",
            ])
            .arg("--password-stdin")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("the binary runs");
        writeln!(create.stdin.take().unwrap(), "{AGENT_PASSWORD}").unwrap();
        assert!(create.wait().unwrap().success(), "agent created");

        let mut child = Command::new(BIN)
            .args([
                "--db",
                db.to_str().unwrap(),
                "serve",
                "--bind",
                "127.0.0.1:0",
            ])
            .env_clear()
            .env("JWT_SECRET", JWT_SECRET)
            .env("METRICS_TOKEN", METRICS_TOKEN)
            .env("TRUSTED_PROXIES", "127.0.0.1")
            .env("RUST_LOG", "frontdesk=info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the server starts");
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if line.contains("frontdesk is serving") {
                    let addr = line
                        .split_whitespace()
                        .find_map(|w| w.strip_prefix("address="))
                        .and_then(|a| a.parse::<SocketAddr>().ok());
                    let _ = tx.send(addr);
                }
            }
        });
        let addr = rx
            .recv_timeout(PATIENCE)
            .expect("the server says where it serves")
            .expect("an address on the line");
        Server { child, addr }
    }

    /// One series' value from `/metrics`, asked of the server directly.
    pub async fn sample(&self, client: &reqwest::Client, series: &str) -> Option<f64> {
        let text = client
            .get(format!("http://{}/metrics", self.addr))
            .bearer_auth(METRICS_TOKEN)
            .send()
            .await
            .expect("scrape")
            .text()
            .await
            .expect("metrics text");
        text.lines()
            .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
    }

    pub async fn wait_for_sample(&self, client: &reqwest::Client, series: &str, value: f64) {
        let deadline = Instant::now() + PATIENCE;
        while self.sample(client, series).await != Some(value) {
            assert!(Instant::now() < deadline, "{series} never reached {value}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn user_token(user: &str) -> String {
    let claims = json!({ "sub": user, "exp": jsonwebtoken::get_current_timestamp() + 3600 });
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(JWT_SECRET.as_bytes()),
    )
    .unwrap()
}

/// A JSON request through the proxy that must answer 200; returns the body.
pub async fn ok(request: reqwest::RequestBuilder, what: &str) -> Value {
    let response = request
        .send()
        .await
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    let status = response.status();
    let body: Value = response
        .json()
        .await
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(status, StatusCode::OK, "{what}: {body}");
    body
}

pub async fn within<T>(what: &str, future: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(PATIENCE, future)
        .await
        .unwrap_or_else(|_| panic!("{what}: not done within {PATIENCE:?}"))
}

/// Through the proxy at `base`: a chat starts, a long-poll is held by the server (its metrics
/// say so) and woken by an agent's reply, and an event the server sends on an open stream
/// reaches the client.
pub async fn pass_realtime_traffic(
    server: &Server,
    client: &reqwest::Client,
    base: &str,
    session: &str,
) {
    let proxy = base;
    let user = user_token("u1");
    ok(
        client
            .post(format!("{proxy}/api/chat/session"))
            .bearer_auth(&user)
            .json(&json!({ "sessionId": session })),
        "start a chat",
    )
    .await;
    let polled = ok(
        client
            .get(format!("{proxy}/api/chat/poll/{session}"))
            .bearer_auth(&user),
        "first poll",
    )
    .await;
    let newest = polled["data"]["messages"]
        .as_array()
        .and_then(|m| m.last())
        .and_then(|m| m["messageId"].as_str())
        .expect("the welcome message")
        .to_string();
    let login = ok(
        client
            .post(format!("{proxy}/api/admin/login"))
            .json(&json!({ "email": AGENT_EMAIL, "password": AGENT_PASSWORD })),
        "agent login",
    )
    .await;
    let agent = login["data"]["accessToken"].as_str().unwrap().to_string();

    // A long-poll is held by the server behind the proxy, then woken by the agent's reply.
    let held = tokio::spawn(ok(
        client
            .get(format!(
                "{proxy}/api/chat/poll/{session}?after={newest}&wait=30"
            ))
            .bearer_auth(&user),
        "held long-poll",
    ));
    server
        .wait_for_sample(client, "frontdesk_polls_held", 1.0)
        .await;
    assert!(!held.is_finished(), "the poll is held, not answered");
    ok(
        client
            .post(format!("{proxy}/api/admin/chat/message"))
            .bearer_auth(&agent)
            .json(&json!({ "sessionId": session, "message": "Hello from behind the proxy" })),
        "agent reply",
    )
    .await;
    let woken = within("the held poll is woken", held).await.unwrap();
    let texts: Vec<&str> = woken["data"]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["message"].as_str())
        .collect();
    assert_eq!(texts, ["Hello from behind the proxy"], "{woken}");

    // An event stream: an event the server sends after it opened reaches the client.
    let opened = client
        .get(format!("{proxy}/api/chat/stream/{session}"))
        .bearer_auth(&user)
        .send();
    let mut stream = within("the stream's head through the proxy", opened)
        .await
        .expect("the stream opens through the proxy");
    assert_eq!(stream.status(), StatusCode::OK);
    assert!(
        stream.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    server
        .wait_for_sample(client, "frontdesk_streams_open", 1.0)
        .await;
    ok(
        client
            .post(format!("{proxy}/api/admin/chat/message"))
            .bearer_auth(&agent)
            .json(&json!({ "sessionId": session, "message": "Streamed past the proxy" })),
        "second agent reply",
    )
    .await;
    let mut received = String::new();
    within("the streamed reply", async {
        while !received.contains("Streamed past the proxy") {
            let chunk = stream
                .chunk()
                .await
                .expect("the stream reads")
                .expect("the stream stays open");
            received.push_str(&String::from_utf8_lossy(&chunk));
        }
    })
    .await;
    assert!(received.contains("event: message"), "{received}");
}
