//! The built binary as a child process: the harness that starts it, graceful SIGTERM,
//! start-up errors, and the command-line subcommands. Crash safety under SIGKILL is in `crash_safety.rs`.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

const BIN: &str = env!("CARGO_BIN_EXE_frontdesk");

fn command(db: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("JWT_SECRET", JWT_SECRET)
        .env("RUST_LOG", "frontdesk=info")
        .arg("--db")
        .arg(db);
    if let Some(url) = postgres_url_of(db) {
        let mut files = db.as_os_str().to_owned();
        files.push(".files");
        cmd.env("DATABASE_URL", url).env("FILES_DIR", files);
    }
    cmd
}

pub(crate) struct Server {
    pub(crate) child: std::process::Child,
    pub(crate) base: String,
    log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// Starts `serve` on a free port with extra environment; waits for its "serving" line.
    pub(crate) fn start_with(db: &Path, env: &[(&str, &str)]) -> Server {
        Self::start_configured(db, env, |_| {})
    }

    /// As `start_with`, with `configure` applied to the command last (e.g. to lower the
    /// child's descriptor limit).
    pub(crate) fn start_configured(
        db: &Path,
        env: &[(&str, &str)],
        configure: impl FnOnce(&mut Command),
    ) -> Server {
        let mut cmd = command(db);
        cmd.args(["serve", "--bind", "127.0.0.1:0"])
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        configure(&mut cmd);
        let mut child = cmd.spawn().expect("binary starts");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        let lines = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if line.contains("frontdesk is serving") {
                    let _ = tx.send(serving_address(&line));
                }
                lines.lock().unwrap().push(line);
            }
        });
        let addr = rx
            .recv_timeout(PATIENCE)
            .unwrap_or_else(|e| {
                let log = log.lock().unwrap().join("\n");
                panic!("server reports its address ({e}):\n{log}")
            })
            .expect("address in the log line");
        Server {
            child,
            base: format!("http://{addr}"),
            log,
        }
    }

    /// The log lines written so far.
    pub(crate) fn log_lines(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    fn pid(&self) -> String {
        self.child.id().to_string()
    }
}

/// The address in the "frontdesk is serving" line, written as text or (`LOG_FORMAT=json`) as
/// a JSON object.
fn serving_address(line: &str) -> Option<String> {
    if let Ok(object) = serde_json::from_str::<Value>(line) {
        return object["address"].as_str().map(str::to_string);
    }
    line.split_whitespace()
        .find_map(|w| w.strip_prefix("address="))
        .map(str::to_string)
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A JSON request; `Err` when no complete answer came back (the server died mid-request).
pub(crate) async fn call(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    token: &str,
    body: Option<Value>,
) -> Result<(StatusCode, Value), reqwest::Error> {
    let mut request = client.request(method, url).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await?;
    let status = response.status();
    let value = response.json().await?;
    Ok((status, value))
}

/// A request that must get a 200 success envelope; returns the body.
pub(crate) async fn call_ok(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    token: &str,
    body: Option<Value>,
) -> Value {
    let what = format!("{method} {url}");
    let answer = call(client, method, url, token, body)
        .await
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    expect_ok(&what, answer)
}

/// Opens a long-poll that the server holds for 30 s unless something happens.
fn spawn_held_poll(
    client: &reqwest::Client,
    url: String,
    token: &str,
) -> tokio::task::JoinHandle<(StatusCode, Value)> {
    let (client, token) = (client.clone(), token.to_string());
    tokio::spawn(async move {
        call(&client, reqwest::Method::GET, url, &token, None)
            .await
            .expect("an answer, not a dropped connection")
    })
}

#[tokio::test]
async fn sigterm_releases_held_polls_and_exits_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("term.db");
    let token = user_token_with(json!({ "sub": "u1", "exp": now_secs() + 3600 }));
    let client = reqwest::Client::new();
    // One held poll per user: a second poll is answered at once, which shows the first is held.
    let mut server = Server::start_with(&db, &[("MAX_HELD_POLLS_PER_USER", "1")]);
    let url = format!("{}/api/chat/session", server.base);
    let body = json!({ "sessionId": "chat_term" });
    call_ok(&client, reqwest::Method::POST, url, &token, Some(body)).await;
    let url = format!("{}/api/chat/poll/chat_term", server.base);
    let first = call_ok(&client, reqwest::Method::GET, url, &token, None).await;
    let last = first["data"]["messages"][0]["messageId"]
        .as_str()
        .unwrap()
        .to_string();
    let url = format!(
        "{}/api/chat/poll/chat_term?after={last}&wait=30",
        server.base
    );
    let mut a = spawn_held_poll(&client, url.clone(), &token);
    let mut b = spawn_held_poll(&client, url, &token);
    // Whichever answers first was over the limit, so the other one is held.
    let (over_limit, held) = within("one poll is answered at once", async {
        tokio::select! {
            answer = &mut a => (answer, b),
            answer = &mut b => (answer, a),
        }
    })
    .await;
    let (status, body) = over_limit.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["messages"], json!([]), "nothing new: {body}");
    assert!(!held.is_finished());

    let status = Command::new("kill")
        .args(["-TERM", &server.pid()])
        .status()
        .unwrap();
    assert!(status.success());
    // Released at shutdown, not after its 30 s wait (which would outlast the safety net).
    let (status, body) = within("the held poll is released", held).await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["messages"], json!([]));
    let exit = tokio::task::spawn_blocking(move || {
        let code = server.child.wait().unwrap();
        (code, server.log.lock().unwrap().join("\n"))
    });
    let exit = within("the server exits", exit).await.unwrap();
    assert!(exit.0.success(), "clean exit: {:?}\n{}", exit.0, exit.1);
    assert!(exit.1.contains("shutting down"));
}

pub(crate) fn run(
    db: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    stdin: Option<&str>,
) -> (bool, String, String) {
    let mut cmd = command(db);
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    {
        let mut input = child.stdin.take().unwrap();
        if let Some(text) = stdin {
            input.write_all(text.as_bytes()).unwrap();
        }
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_bad_setting_stops_start_up_with_one_line_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bad.db");
    for (env, name) in [
        (
            ("RATE_LIMIT_MAX_REQUESTS", "lots"),
            "RATE_LIMIT_MAX_REQUESTS",
        ),
        (("MAX_MESSAGE_LENGTH", "0"), "MAX_MESSAGE_LENGTH"),
        (("BIND_ADDR", "not an address"), "BIND_ADDR"),
        (("ALLOW_GUESTS", "maybe"), "ALLOW_GUESTS"),
        (
            ("JWT_PUBLIC_KEY_FILE", "/nonexistent/key.pem"),
            "JWT_PUBLIC_KEY_FILE",
        ),
        (("JWT_SECRET", "short"), "JWT_SECRET"),
        (("JWKS_URL", "ftp://example.com/keys"), "JWKS_URL"),
        (("POLL_INTERVAL_SECONDS", "0"), "POLL_INTERVAL_SECONDS"),
        (
            ("FRONTDESK_CONFIG", "/nonexistent/frontdesk.toml"),
            "FRONTDESK_CONFIG",
        ),
    ] {
        // The bare binary serves too, so it must refuse the same values.
        for args in [&["serve"][..], &[][..]] {
            let (ok, _, stderr) = run(&db, args, &[env], None);
            assert!(!ok, "{name} should stop start-up ({args:?})");
            let lines: Vec<_> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
            assert_eq!(lines.len(), 1, "one line for {name}: {stderr:?}");
            assert!(lines[0].contains(name), "{name} named in {stderr:?}");
            assert!(
                !stderr.contains("short") || name != "JWT_SECRET",
                "the secret itself is not printed"
            );
        }
    }
    assert!(!db.exists(), "nothing was created");
}

#[test]
fn agents_are_managed_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cli.db");
    let (ok, out, err) = run(
        &db,
        &[
            "admin",
            "create",
            "--email",
            "root@example.com",
            "--name",
            "Root",
            "--role",
            "super_admin",
            "--password-stdin",
        ],
        &[],
        Some("first password\n"),
    );
    assert!(ok, "{out}{err}");
    assert_eq!(
        TestDb::of(&db).number("SELECT COUNT(*) FROM agents"),
        1,
        "a fresh database is created and migrated, and the agent is in it"
    );
    let (ok, _, err) = run(
        &db,
        &[
            "admin",
            "create",
            "--email",
            "root@example.com",
            "--name",
            "Again",
            "--role",
            "chat_admin",
            "--password-stdin",
        ],
        &[],
        Some("another password\n"),
    );
    assert!(!ok && err.contains("already exists"), "{err}");
    let (ok, _, err) = run(
        &db,
        &[
            "admin",
            "create",
            "--email",
            "x@example.com",
            "--name",
            "X",
            "--role",
            "king",
            "--password-stdin",
        ],
        &[],
        Some("a password\n"),
    );
    assert!(!ok && err.contains("role"), "{err}");
    let (ok, _, err) = run(
        &db,
        &[
            "admin",
            "create",
            "--email",
            "y@example.com",
            "--name",
            "Y",
            "--role",
            "chat_admin",
            "--password-stdin",
        ],
        &[],
        Some("short\n"),
    );
    assert!(!ok && err.contains("at least 8"), "{err}");
    let (ok, _, _) = run(
        &db,
        &[
            "admin",
            "create",
            "--email",
            "ann@example.com",
            "--name",
            "Ann",
            "--role",
            "chat_admin",
            "--password-stdin",
        ],
        &[],
        Some("ann password\n"),
    );
    assert!(ok);
    let (ok, list, _) = run(&db, &["admin", "list"], &[], None);
    assert!(ok);
    assert!(list.contains("root@example.com") && list.contains("super_admin"));
    assert!(list.contains("ann@example.com") && list.contains("chat_admin"));
    let (ok, _, _) = run(
        &db,
        &[
            "admin",
            "set-password",
            "--email",
            "ann@example.com",
            "--password-stdin",
        ],
        &[],
        Some("new ann password\n"),
    );
    assert!(ok);
    let stored = TestDb::of(&db);
    let hash = stored
        .text("SELECT password_hash FROM agents WHERE email = 'ann@example.com'")
        .expect("ann's password hash");
    let version = stored.number("SELECT token_version FROM agents WHERE email = 'ann@example.com'");
    assert!(hash.starts_with("$argon2id$"));
    assert_eq!(version, 1, "old tokens are void");
    let (ok, _, _) = run(
        &db,
        &["admin", "disable", "--email", "ann@example.com"],
        &[],
        None,
    );
    assert!(ok);
    let (ok, list, _) = run(&db, &["admin", "list"], &[], None);
    assert!(ok && list.contains("disabled"));
    let (ok, _, err) = run(
        &db,
        &["admin", "disable", "--email", "nobody@example.com"],
        &[],
        None,
    );
    assert!(!ok && err.contains("not found"), "{err}");
}

#[test]
fn migrate_and_backup() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.db");
    let (ok, out, err) = run(&db, &["migrate"], &[], None);
    assert!(ok, "{err}");
    assert!(out.contains("schema version"));
    let (ok, _, _) = run(&db, &["migrate"], &[], None);
    assert!(ok, "migrating twice is harmless");
    let (ok, _, _) = run(
        &db,
        &[
            "admin",
            "create",
            "--email",
            "root@example.com",
            "--name",
            "Root",
            "--role",
            "super_admin",
            "--password-stdin",
        ],
        &[],
        Some("first password\n"),
    );
    assert!(ok);
    let copy = dir.path().join("copy.db");
    let (ok, _, err) = run(&db, &["backup", copy.to_str().unwrap()], &[], None);
    if on_postgres() {
        assert!(
            !ok && err.contains("pg_dump"),
            "PostgreSQL names its own tool: {err}"
        );
        return;
    }
    assert!(ok, "{err}");
    let conn = rusqlite::Connection::open(&copy).unwrap();
    let agents: i64 = conn
        .query_row("SELECT COUNT(*) FROM agents", [], |r| r.get(0))
        .unwrap();
    assert_eq!(agents, 1);
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    let (ok, _, err) = run(&db, &["backup", copy.to_str().unwrap()], &[], None);
    assert!(
        !ok && err.contains("already exists"),
        "a backup never overwrites: {err}"
    );
}
