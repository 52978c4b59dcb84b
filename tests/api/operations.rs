//! Operations: readiness follows whether the database takes writes, and `LOG_FORMAT=json`
//! writes one JSON object a line, each line of a request carrying its id.

use std::path::Path;

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;
use crate::process::Server;

/// Holds SQLite's write lock on the database at `db` until dropped, as another process
/// writing (or a stuck tool) would: the server's writer cannot begin a transaction.
struct WriteLock(rusqlite::Connection);

impl WriteLock {
    fn take(db: &Path) -> WriteLock {
        let conn = rusqlite::Connection::open(db).expect("open the database");
        conn.execute_batch("BEGIN IMMEDIATE")
            .expect("take the write lock");
        WriteLock(conn)
    }
}

impl Drop for WriteLock {
    fn drop(&mut self) {
        let _ = self.0.execute_batch("ROLLBACK");
    }
}

async fn get_with_id(client: &reqwest::Client, url: String, id: &str) -> (StatusCode, Value) {
    let response = client
        .get(url)
        .header("x-request-id", id)
        .send()
        .await
        .expect("request sent");
    assert_eq!(response.headers()["x-request-id"], id);
    decode(response).await
}

/// On PostgreSQL the database server itself goes away (a cluster of this test's own).
#[tokio::test]
async fn readiness_fails_in_the_envelope_while_postgresql_is_down() {
    let mut cluster = crate::postgres::PrivateCluster::start().await;
    let app = TestApp::spawn_on_postgres(&cluster.url("frontdesk"), |_| {}).await;
    let (status, body) = app.get("/readyz", "").await;
    assert_eq!(status, StatusCode::OK, "{body}");

    cluster.stop();
    let (status, body) = within("readiness answers", app.get("/readyz", "")).await;
    assert_error(status, &body, 503, "NOT_READY");
    let (status, body) = app.get("/healthz", "").await;
    assert_eq!(status, StatusCode::OK, "{body}");

    cluster.start_again().await;
    let (status, body) = app.get("/readyz", "").await;
    assert_eq!(
        status,
        StatusCode::OK,
        "ready again once PostgreSQL is back: {body}"
    );
    assert_eq!(body["data"]["status"], "ready");
}

/// SQLite's write lock held by another process (on PostgreSQL the test above applies).
#[tokio::test]
async fn readiness_fails_in_the_envelope_while_the_database_takes_no_writes() {
    if sqlite_only("see readiness_fails_in_the_envelope_while_postgresql_is_down") {
        return;
    }
    let app = TestApp::spawn().await;
    let (status, body) = app.get("/readyz", "").await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let lock = WriteLock::take(&app.dir.path().join("frontdesk.db"));
    let (status, body) = within("readiness answers", app.get("/readyz", "")).await;
    assert_error(status, &body, 503, "NOT_READY");
    // Liveness is not readiness: the process still answers.
    let (status, body) = app.get("/healthz", "").await;
    assert_eq!(status, StatusCode::OK, "{body}");

    drop(lock);
    let (status, body) = app.get("/readyz", "").await;
    assert_eq!(
        status,
        StatusCode::OK,
        "ready again once the lock is gone: {body}"
    );
    assert_eq!(body["data"]["status"], "ready");
}

#[tokio::test]
async fn json_logs_are_one_object_a_line_with_the_request_id() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("logs.db");
    // On PostgreSQL the outage is a stopped cluster of the test's own.
    let mut cluster = match on_postgres() {
        true => Some(crate::postgres::PrivateCluster::start().await),
        false => None,
    };
    if let Some(cluster) = &cluster {
        use_postgres_for(&db, &cluster.url("frontdesk"));
    }
    // The default level: the request span is off, so the id on the line is the stamp's.
    let server = Server::start_with(&db, &[("LOG_FORMAT", "json")]);
    let client = reqwest::Client::new();
    let (status, _) = get_with_id(&client, format!("{}/healthz", server.base), "ok-1").await;
    assert_eq!(status, StatusCode::OK);

    let lock = match &mut cluster {
        Some(cluster) => {
            cluster.stop();
            None
        }
        None => Some(WriteLock::take(&db)),
    };
    let url = format!("{}/readyz", server.base);
    let (status, body) = within("readiness answers", get_with_id(&client, url, "abc")).await;
    assert_error(status, &body, 503, "NOT_READY");
    drop(lock);

    let lines = wait_for_log(&server, |line| line["request_id"] == "abc").await;
    let logged = lines
        .iter()
        .find(|line| line["request_id"] == "abc")
        .expect("the request's line");
    assert_eq!(logged["level"], "ERROR", "{logged}");
    assert_eq!(
        logged["message"], "the database does not take writes",
        "{logged}"
    );
    for line in &lines {
        assert!(line["timestamp"].is_string(), "{line}");
        assert!(line["level"].is_string(), "{line}");
        assert!(line["target"].is_string(), "{line}");
    }
    assert!(
        lines
            .iter()
            .filter(|line| line["message"] == "frontdesk is serving")
            .all(|line| line.get("request_id").is_none()),
        "lines outside a request carry no id"
    );
}

#[tokio::test]
async fn at_debug_level_every_answer_is_a_json_line_with_its_route_and_id() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("debug.db");
    let server = Server::start_with(
        &db,
        &[("LOG_FORMAT", "json"), ("RUST_LOG", "frontdesk=debug")],
    );
    let client = reqwest::Client::new();
    let url = format!("{}/api/chat/poll/chat_not_mine", server.base);
    let (status, body) = get_with_id(&client, url, "abc").await;
    assert_error(status, &body, 401, "AUTHENTICATION_FAILED");

    let lines = wait_for_log(&server, |line| {
        line["request_id"] == "abc" && line["message"] == "answered"
    })
    .await;
    let answered = lines
        .iter()
        .find(|line| line["request_id"] == "abc" && line["message"] == "answered")
        .unwrap();
    assert_eq!(answered["status"], 401, "{answered}");
    assert_eq!(answered["span"]["route"], "/api/chat/poll/{session_id}");
    assert_eq!(answered["span"]["request_id"], "abc");
    assert!(
        !answered.to_string().contains("chat_not_mine"),
        "the route, never the raw path: {answered}"
    );
}

/// Waits until a stderr line matches `found`; every line must be a JSON object. Returns them.
async fn wait_for_log(server: &Server, found: impl Fn(&Value) -> bool) -> Vec<Value> {
    let parse = |lines: Vec<String>| -> Vec<Value> {
        lines
            .iter()
            .map(|line| {
                let value: Value = serde_json::from_str(line)
                    .unwrap_or_else(|e| panic!("a log line that is not JSON ({e}): {line}"));
                assert!(value.is_object(), "{line}");
                value
            })
            .collect()
    };
    wait_until("the request's log line", || {
        let seen = parse(server.log_lines()).iter().any(&found);
        async move { seen }
    })
    .await;
    parse(server.log_lines())
}
