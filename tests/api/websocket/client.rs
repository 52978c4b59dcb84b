//! A real `ws` client (tests/node/ws_client.js) in a Node process, driven over JSON lines:
//! the test sends commands on its stdin and reads what happened from its stdout.

use std::process::Stdio;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

use crate::helpers::within;

pub struct WsClient {
    child: Child,
    stdin: ChildStdin,
    lines: Lines<BufReader<ChildStdout>>,
}

fn script() -> String {
    format!("{}/tests/node/ws_client.js", env!("CARGO_MANIFEST_DIR"))
}

impl WsClient {
    /// Starts a client for `url` (`http://` becomes `ws://`) with a bearer token in the
    /// header when given; returns once it is open or refused (the first event is returned).
    pub async fn start(base: &str, path: &str, bearer: Option<&str>) -> (WsClient, Value) {
        let url = format!("{}{}", base.replacen("http://", "ws://", 1), path);
        let headers = match bearer {
            Some(token) => json!({ "Authorization": format!("Bearer {token}") }),
            None => json!({}),
        };
        let mut child = Command::new("node")
            .arg(script())
            .arg(url)
            .arg(headers.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("node runs (scripts/install-test-deps.sh installs it and ws)");
        let stdin = child.stdin.take().unwrap();
        let lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut client = WsClient {
            child,
            stdin,
            lines,
        };
        let first = client.event().await;
        (client, first)
    }

    /// Starts a client that authenticates by header; asserts the socket opened and the
    /// server bound it to the chat.
    pub async fn with_header(base: &str, path: &str, token: &str) -> WsClient {
        let (mut client, first) = WsClient::start(base, path, Some(token)).await;
        assert_eq!(first["event"], "open", "{first}");
        let ready = client.frame().await;
        assert_eq!(ready["type"], "authenticated", "{ready}");
        client
    }

    /// Starts a client that authenticates with the first frame; asserts it was accepted.
    pub async fn with_frame(base: &str, session: &str, query: &str, token: &str) -> WsClient {
        let path = format!("/chat/{session}{query}");
        let (mut client, first) = WsClient::start(base, &path, None).await;
        assert_eq!(first["event"], "open", "{first}");
        client
            .send(json!({ "type": "authenticate", "sessionId": session, "token": token }))
            .await;
        let ready = client.frame().await;
        assert_eq!(ready["type"], "authenticated", "{ready}");
        assert_eq!(ready["sessionId"], session);
        client
    }

    /// The next thing that happened; fails the test after the harness's patience.
    pub async fn event(&mut self) -> Value {
        let line = within("a WebSocket event", self.lines.next_line())
            .await
            .expect("read the client's output")
            .expect("the client is still running");
        serde_json::from_str(&line).unwrap_or_else(|_| panic!("client wrote {line}"))
    }

    /// The next event, which must be a JSON text frame; returns the frame.
    pub async fn frame(&mut self) -> Value {
        let event = self.event().await;
        assert_eq!(event["event"], "frame", "expected a frame: {event}");
        event["data"].clone()
    }

    /// Frames until one of type `kind`, skipping none: every frame before it is returned too.
    pub async fn frames_until(&mut self, kind: &str) -> (Vec<Value>, Value) {
        let mut before = Vec::new();
        loop {
            let frame = self.frame().await;
            if frame["type"] == kind {
                return (before, frame);
            }
            before.push(frame);
        }
    }

    /// The answer (`ack` or `error`) to the frame just sent, skipping live events that came
    /// in between; returns it with the live events.
    pub async fn answer(&mut self) -> (Value, Vec<Value>) {
        let mut live = Vec::new();
        loop {
            let frame = self.frame().await;
            if frame["type"] == "ack" || frame["type"] == "error" {
                return (frame, live);
            }
            live.push(frame);
        }
    }

    /// Sends `frame` and returns its answer.
    pub async fn request(&mut self, frame: Value) -> Value {
        self.send(frame).await;
        self.answer().await.0
    }

    /// Waits for the socket's close; returns (code, reason), skipping frames before it.
    pub async fn closed(&mut self) -> (u64, String) {
        loop {
            let event = self.event().await;
            if event["event"] == "close" {
                return (
                    event["code"].as_u64().unwrap(),
                    event["reason"].as_str().unwrap_or("").to_string(),
                );
            }
            assert_eq!(event["event"], "frame", "{event}");
        }
    }

    pub async fn send(&mut self, frame: Value) {
        self.command(json!({ "op": "send", "frame": frame })).await;
    }

    pub async fn command(&mut self, command: Value) {
        let mut line = command.to_string();
        line.push('\n');
        self.stdin
            .write_all(line.as_bytes())
            .await
            .expect("the client takes commands");
        self.stdin.flush().await.unwrap();
    }
}

impl Drop for WsClient {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}
