//! The built binary as a child process: crash safety under SIGKILL, graceful SIGTERM,
//! start-up errors, and the command-line subcommands.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

const BIN: &str = env!("CARGO_BIN_EXE_frontdesk");

fn command(db: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("JWT_SECRET", JWT_SECRET)
        .env("RUST_LOG", "frontdesk=info")
        .arg("--db")
        .arg(db);
    cmd
}

struct Server {
    child: std::process::Child,
    base: String,
    log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start(db: &Path) -> Server {
        let mut child = command(db)
            .args(["serve", "--bind", "127.0.0.1:0"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("binary starts");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        let lines = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if line.contains("frontdesk is serving") {
                    let addr = line
                        .split_whitespace()
                        .find_map(|w| w.strip_prefix("address="))
                        .map(str::to_string);
                    let _ = tx.send(addr);
                }
                lines.lock().unwrap().push(line);
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("server reports its address")
            .expect("address in the log line");
        Server {
            child,
            base: format!("http://{addr}"),
            log,
        }
    }

    fn pid(&self) -> String {
        self.child.id().to_string()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn post(
    client: &reqwest::Client,
    url: String,
    token: &str,
    body: serde_json::Value,
) -> Result<(StatusCode, serde_json::Value), reqwest::Error> {
    let response = client
        .post(url)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await?;
    let status = response.status();
    let value = response.json().await?;
    Ok((status, value))
}

#[tokio::test]
async fn every_acknowledged_message_survives_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crash.db");
    let token = user_token_with(json!({ "sub": "crash_user", "exp": now_secs() + 3600 }));
    let client = reqwest::Client::new();
    let mut server = Server::start(&db);

    let sessions: Vec<String> = (0..4).map(|i| format!("chat_crash_{i}")).collect();
    for id in &sessions {
        let (status, _) = post(
            &client,
            format!("{}/api/chat/session", server.base),
            &token,
            json!({ "sessionId": id }),
        )
        .await
        .unwrap();
        assert_eq!(status, StatusCode::OK);
    }
    let acked = Arc::new(Mutex::new(Vec::<(String, String)>::new()));
    let mut senders = Vec::new();
    for session in sessions.clone() {
        let (client, base, token, acked) = (
            client.clone(),
            server.base.clone(),
            token.clone(),
            acked.clone(),
        );
        senders.push(tokio::spawn(async move {
            for n in 0.. {
                let id = format!("msg_{session}_{n}");
                match post(&client, format!("{base}/api/chat/message"), &token, json!({ "sessionId": session, "messageId": id, "message": format!("message {n}") })).await {
                    Ok((StatusCode::OK, _)) => acked.lock().unwrap().push((session.clone(), id)),
                    Ok((StatusCode::TOO_MANY_REQUESTS, _)) => break,
                    Ok((status, body)) => panic!("unexpected answer {status}: {body}"),
                    Err(_) => break, // the server died mid-request: not acknowledged
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(400)).await;
    server.child.kill().expect("SIGKILL");
    server.child.wait().unwrap();
    for sender in senders {
        sender.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() >= 8,
        "the senders got going before the kill ({} acked)",
        acked.len()
    );

    let server = Server::start(&db);
    for session in &sessions {
        let mut stored = Vec::new();
        for page in 1.. {
            let response = client
                .get(format!(
                    "{}/api/chat/messages/{session}?page={page}&limit=100",
                    server.base
                ))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap();
            let body: serde_json::Value = response.json().await.unwrap();
            let messages = body["data"]["messages"].as_array().unwrap().clone();
            stored.extend(
                messages
                    .iter()
                    .map(|m| m["messageId"].as_str().unwrap().to_string()),
            );
            if body["data"]["pagination"]["hasNext"] != true {
                break;
            }
        }
        for (_, id) in acked.iter().filter(|(s, _)| s == session) {
            assert!(stored.contains(id), "acknowledged {id} was lost");
        }
        let mut unique = stored.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), stored.len(), "no duplicates");
    }
    // A retry of an acknowledged message after the restart stores nothing new.
    let (session, id) = acked.last().unwrap().clone();
    let before = rusqlite::Connection::open(&db)
        .unwrap()
        .query_row("SELECT COUNT(*) FROM messages", [], |r| r.get::<_, i64>(0))
        .unwrap();
    let text = format!("message {}", id.rsplit('_').next().unwrap());
    let (status, body) = post(
        &client,
        format!("{}/api/chat/message", server.base),
        &token,
        json!({ "sessionId": session, "messageId": id, "message": text }),
    )
    .await
    .unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["duplicate"], true);
    drop(server);
    let conn = rusqlite::Connection::open(&db).unwrap();
    let after: i64 = conn
        .query_row("SELECT COUNT(*) FROM messages", [], |r| r.get(0))
        .unwrap();
    assert_eq!(before, after);
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
}

#[tokio::test]
async fn sigterm_releases_held_polls_and_exits_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("term.db");
    let token = user_token_with(json!({ "sub": "u1", "exp": now_secs() + 3600 }));
    let client = reqwest::Client::new();
    let mut server = Server::start(&db);
    post(
        &client,
        format!("{}/api/chat/session", server.base),
        &token,
        json!({ "sessionId": "chat_term" }),
    )
    .await
    .unwrap();
    let first: serde_json::Value = client
        .get(format!("{}/api/chat/poll/chat_term", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let last = first["data"]["messages"][0]["messageId"]
        .as_str()
        .unwrap()
        .to_string();
    let held = tokio::spawn({
        let (client, url, token) = (
            client.clone(),
            format!(
                "{}/api/chat/poll/chat_term?after={last}&wait=30",
                server.base
            ),
            token.clone(),
        );
        async move {
            let started = std::time::Instant::now();
            let response = client.get(url).bearer_auth(token).send().await.unwrap();
            (response.status(), started.elapsed())
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let status = Command::new("kill")
        .args(["-TERM", &server.pid()])
        .status()
        .unwrap();
    assert!(status.success());
    let (poll_status, waited) = held.await.unwrap();
    assert_eq!(poll_status, StatusCode::OK);
    assert!(
        waited < Duration::from_secs(10),
        "the held poll was released at shutdown ({waited:?})"
    );
    let exit = tokio::task::spawn_blocking(move || {
        let code = server.child.wait().unwrap();
        (code, server.log.lock().unwrap().join("\n"))
    })
    .await
    .unwrap();
    assert!(exit.0.success(), "clean exit: {:?}\n{}", exit.0, exit.1);
    assert!(exit.1.contains("shutting down"));
}

fn run(
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
    assert!(db.exists(), "a fresh path is created and migrated");
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
    let conn = rusqlite::Connection::open(&db).unwrap();
    let (hash, version): (String, i64) = conn
        .query_row(
            "SELECT password_hash, token_version FROM agents WHERE email = 'ann@example.com'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
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
