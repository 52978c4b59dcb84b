//! The real `socket.io-client` (tests/node/sio_client.js) as a child process: commands go in as
//! JSON lines, acks and server events come back as JSON lines.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::process::Stdio;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

use crate::helpers::within;

/// Both transports every connection test runs over.
pub const TRANSPORTS: [&str; 2] = ["websocket", "polling"];

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/node/sio_client.js")
}

pub struct SioClient {
    child: Child,
    stdin: ChildStdin,
    lines: Lines<BufReader<ChildStdout>>,
    /// Reports read while looking for another one, oldest first.
    backlog: VecDeque<Value>,
    next_ack: u64,
}

impl SioClient {
    fn start() -> SioClient {
        let mut child = Command::new("node")
            .arg(script())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("node runs (scripts/install-test-deps.sh installs socket.io-client)");
        let stdin = child.stdin.take().unwrap();
        let lines = BufReader::new(child.stdout.take().unwrap()).lines();
        SioClient {
            child,
            stdin,
            lines,
            backlog: VecDeque::new(),
            next_ack: 0,
        }
    }

    async fn command(&mut self, cmd: Value) {
        let mut line = cmd.to_string();
        line.push('\n');
        self.stdin
            .write_all(line.as_bytes())
            .await
            .expect("the client reads its commands");
    }

    async fn read(&mut self) -> Value {
        let line = within("a report from the socket.io client", self.lines.next_line())
            .await
            .expect("client output")
            .expect("the socket.io client is still running");
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("bad report {line}: {e}"))
    }

    /// The first report `matches` accepts, keeping the others for later.
    async fn wait_for(&mut self, what: &str, matches: impl Fn(&Value) -> bool) -> Value {
        if let Some(at) = self.backlog.iter().position(&matches) {
            return self.backlog.remove(at).unwrap();
        }
        within(what, async {
            loop {
                let report = self.read().await;
                if matches(&report) {
                    return report;
                }
                self.backlog.push_back(report);
            }
        })
        .await
    }

    /// Connects; `Ok` with the transport in use, or `Err` with the connect error's message.
    pub async fn connect(
        base: &str,
        namespace: &str,
        token: Option<&str>,
        transport: &str,
    ) -> (SioClient, Result<String, String>) {
        let mut client = SioClient::start();
        let mut cmd =
            json!({"cmd": "connect", "url": base, "namespace": namespace, "transport": transport});
        if let Some(token) = token {
            cmd["token"] = json!(token);
        }
        client.command(cmd).await;
        let report = client
            .wait_for("connect or connect_error", |r| {
                r["type"] == "connect" || r["type"] == "connect_error"
            })
            .await;
        let outcome = if report["type"] == "connect" {
            Ok(report["transport"].as_str().unwrap_or_default().to_string())
        } else {
            Err(report["message"].as_str().unwrap_or_default().to_string())
        };
        (client, outcome)
    }

    /// Connects as `token` over `transport`, which must succeed.
    pub async fn user(base: &str, token: &str, transport: &str) -> SioClient {
        let (client, outcome) = Self::connect(base, "/", Some(token), transport).await;
        assert_eq!(
            outcome,
            Ok(transport.to_string()),
            "connect over {transport}"
        );
        client
    }

    /// Emits `event` with `args` and returns the server's ack.
    pub async fn emit_args(&mut self, event: &str, args: Vec<Value>) -> Value {
        self.next_ack += 1;
        let id = self.next_ack;
        self.command(json!({"cmd": "emit", "id": id, "event": event, "args": args}))
            .await;
        let report = self
            .wait_for(&format!("the ack of {event}"), |r| {
                (r["type"] == "ack" || r["type"] == "ack_timeout") && r["id"] == id
            })
            .await;
        assert_eq!(report["type"], "ack", "{event} acknowledged: {report}");
        report["data"].clone()
    }

    /// Emits without waiting for an answer (the connection may not survive it).
    pub async fn send_only(&mut self, event: &str, data: Value) {
        self.next_ack += 1;
        let id = self.next_ack;
        self.command(json!({"cmd": "emit", "id": id, "event": event, "args": [data]}))
            .await;
    }

    pub async fn emit(&mut self, event: &str, data: Value) -> Value {
        self.emit_args(event, vec![data]).await
    }

    /// Emits, and the ack must be a success; returns its `data`.
    pub async fn emit_ok(&mut self, event: &str, data: Value) -> Value {
        let ack = self.emit(event, data).await;
        assert_eq!(ack["success"], true, "{event}: {ack}");
        ack["data"].clone()
    }

    /// Emits, and the ack must be the error `code`.
    pub async fn emit_err(&mut self, event: &str, data: Value, code: &str) -> Value {
        let ack = self.emit(event, data).await;
        assert_eq!(ack["success"], false, "{event}: {ack}");
        assert_eq!(ack["error"]["code"], code, "{event}: {ack}");
        assert!(ack["error"]["message"].is_string(), "{event}: {ack}");
        ack
    }

    /// The next server event named `name` that `matches` accepts.
    pub async fn event_where(&mut self, name: &str, matches: impl Fn(&Value) -> bool) -> Value {
        self.wait_for(&format!("event {name}"), |r| {
            r["type"] == "event" && r["event"] == name && matches(&r["data"])
        })
        .await["data"]
            .clone()
    }

    pub async fn event(&mut self, name: &str) -> Value {
        self.event_where(name, |_| true).await
    }

    /// Waits for the server to close the connection; the client's reason.
    pub async fn disconnected(&mut self) -> String {
        let report = self
            .wait_for("disconnect", |r| r["type"] == "disconnect")
            .await;
        report["reason"].as_str().unwrap_or_default().to_string()
    }

    /// Closes the connection from the client's side.
    pub async fn close(mut self) {
        self.command(json!({"cmd": "disconnect"})).await;
        self.wait_for("disconnect", |r| r["type"] == "disconnect")
            .await;
        drop(self.stdin);
        let _ = within("the client exits", self.child.wait()).await;
    }
}

/// Runs `tests/node/<name>` with `input` as its one line of standard input and answers the one
/// JSON line it writes.
pub async fn run_node_script(name: &str, input: &str) -> Value {
    let mut child = Command::new("node")
        .arg(
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("tests/node")
                .join(name),
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("node runs (scripts/install-test-deps.sh installs the npm packages)");
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(format!("{input}\n").as_bytes())
        .await
        .expect("the script reads its input");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = within(&format!("the report of {name}"), lines.next_line())
        .await
        .expect("script output")
        .unwrap_or_else(|| panic!("{name} wrote nothing"));
    serde_json::from_str(&line).unwrap_or_else(|e| panic!("bad report {line}: {e}"))
}
