//! Test harness: every test gets its own server on a random port with its own database (a
//! SQLite file in a temporary directory, or with `FRONTDESK_TEST_DB=postgres` a database of its
//! own in the tests' PostgreSQL cluster), and typed helpers to talk HTTP to it.

use std::sync::Arc;
use std::time::Duration;

use frontdesk::clock::Clock;
use frontdesk::config::Settings;
use frontdesk::service::{self, Services};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub const JWT_SECRET: &str = "test-user-token-secret-0123456789";
pub const AGENT_PASSWORD: &str = "correct horse battery";

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub services: Arc<Services>,
    pub clock: Clock,
    pub dir: tempfile::TempDir,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<()>>,
}

fn init_logging() {
    if std::env::var("TEST_LOG").is_ok() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter("frontdesk=debug,tower_http=debug")
            .with_test_writer()
            .try_init();
    }
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    /// Spawns with settings adjusted by `adjust` (the database path and clock are set here).
    pub async fn spawn_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        Self::spawn_in(dir, adjust).await
    }

    /// Spawns on an existing directory's database (to test restarts).
    pub async fn spawn_in(dir: tempfile::TempDir, adjust: impl FnOnce(&mut Settings)) -> TestApp {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        Self::spawn_on(listener, dir, adjust).await
    }

    /// Two replicas of one business on one PostgreSQL database (whatever engine the rest of
    /// the suite runs on), sharing one files folder, as behind a load balancer.
    #[allow(dead_code)]
    pub async fn spawn_replicas(adjust: impl Fn(&mut Settings)) -> (TestApp, TestApp) {
        let url = crate::postgres::Cluster::get().fresh_database().await;
        Self::spawn_replicas_on(&url, adjust).await
    }

    /// One server on the PostgreSQL database at `url`, whatever engine the suite runs on.
    #[allow(dead_code)]
    pub async fn spawn_on_postgres(url: &str, adjust: impl FnOnce(&mut Settings)) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        use_postgres_for(&dir.path().join("frontdesk.db"), url);
        Self::spawn_in(dir, adjust).await
    }

    /// As [`TestApp::spawn_replicas`], on the PostgreSQL database at `url`.
    #[allow(dead_code)]
    pub async fn spawn_replicas_on(
        url: &str,
        adjust: impl Fn(&mut Settings),
    ) -> (TestApp, TestApp) {
        let first = tempfile::tempdir().expect("temp dir");
        std::fs::write(url_file(&first.path().join("frontdesk.db")), url)
            .expect("point the first replica at the database");
        let second = tempfile::tempdir().expect("temp dir");
        std::fs::write(url_file(&second.path().join("frontdesk.db")), url)
            .expect("point the second replica at the database");
        let files = first.path().join("frontdesk.db.files");
        let a = Self::spawn_in(first, &adjust).await;
        let b = Self::spawn_in(second, |settings| {
            adjust(settings);
            settings.files_dir = files;
        })
        .await;
        (a, b)
    }

    /// Spawns on an existing directory's database at a given address (a restart that clients
    /// already pointed at the old address can find). Used by the browser tests.
    #[allow(dead_code)]
    pub async fn spawn_at(
        addr: std::net::SocketAddr,
        dir: tempfile::TempDir,
        adjust: impl FnOnce(&mut Settings),
    ) -> TestApp {
        let listener = TcpListener::bind(addr)
            .await
            .expect("bind the same address again");
        Self::spawn_on(listener, dir, adjust).await
    }

    async fn spawn_on(
        listener: TcpListener,
        dir: tempfile::TempDir,
        adjust: impl FnOnce(&mut Settings),
    ) -> TestApp {
        init_logging();
        let mut settings = Settings {
            database_path: dir.path().join("frontdesk.db"),
            ..Settings::default()
        };
        if let Some(url) = postgres_url_of(&dir.path().join("frontdesk.db")) {
            settings.database_url = Some(url.into());
            // Where the SQLite engine keeps them, so tests that look at files find them.
            settings.files_dir = dir.path().join("frontdesk.db.files");
        }
        settings.user_tokens.jwt_secret = Some(JWT_SECRET.into());
        adjust(&mut settings);
        let clock = settings.clock.clone();
        let app = frontdesk::build(settings).await.expect("app builds");
        let services = app.services.clone();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            frontdesk::run(app, listener, async {
                let _ = rx.await;
            })
            .await
            .expect("server runs");
        });
        TestApp {
            base: format!("http://{addr}"),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .unwrap(),
            services,
            clock,
            dir,
            shutdown: Some(tx),
            server: Some(server),
        }
    }

    /// Stops the server, waits for it, and hands back the directory (database kept).
    pub async fn stop(mut self) -> tempfile::TempDir {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            tokio::time::timeout(PATIENCE, server)
                .await
                .expect("the server stops")
                .expect("server task");
        }
        let TestApp { dir, services, .. } = self;
        drop(services);
        dir
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    // ---- tokens ----

    /// A user token like the business's auth would issue (HS256 with the test secret), valid
    /// for an hour of the server's clock (which tests may have moved).
    pub fn user_token(&self, user_id: &str) -> String {
        user_token_with(json!({
            "sub": user_id,
            "exp": self.clock_secs() + 3600,
            "name": format!("User {user_id}"),
            "email": format!("{user_id}@example.com"),
        }))
    }

    /// The server clock's time in whole seconds (what token time claims are judged by).
    pub fn clock_secs(&self) -> u64 {
        u64::try_from(self.clock.now().0 / 1000).expect("a clock after 1970")
    }

    // ---- raw HTTP ----

    #[must_use = "check the status"]
    pub async fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.client.request(method, self.url(path));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        let response = req.send().await.expect("request sent");
        decode(response).await
    }

    #[must_use = "check the status"]
    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.request(reqwest::Method::GET, path, Some(token), None)
            .await
    }

    #[must_use = "check the status"]
    pub async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.request(reqwest::Method::POST, path, Some(token), Some(body))
            .await
    }

    #[must_use = "check the status"]
    pub async fn put(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.request(reqwest::Method::PUT, path, Some(token), Some(body))
            .await
    }

    #[must_use = "check the status"]
    pub async fn delete(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.request(reqwest::Method::DELETE, path, Some(token), None)
            .await
    }

    // ---- checked HTTP: for arrange steps, which must not pass on an error ----

    /// GET that must succeed: asserts a 200 success envelope and returns the whole body.
    pub async fn get_ok(&self, path: &str, token: &str) -> Value {
        expect_ok(&format!("GET {path}"), self.get(path, token).await)
    }

    /// POST that must succeed: asserts a 200 success envelope and returns the whole body.
    pub async fn post_ok(&self, path: &str, token: &str, body: Value) -> Value {
        expect_ok(&format!("POST {path}"), self.post(path, token, body).await)
    }

    /// PUT that must succeed: asserts a 200 success envelope and returns the whole body.
    pub async fn put_ok(&self, path: &str, token: &str, body: Value) -> Value {
        expect_ok(&format!("PUT {path}"), self.put(path, token, body).await)
    }

    /// DELETE that must succeed: asserts a 200 success envelope and returns the whole body.
    pub async fn delete_ok(&self, path: &str, token: &str) -> Value {
        expect_ok(&format!("DELETE {path}"), self.delete(path, token).await)
    }

    /// Sends raw bytes with the given content type.
    #[must_use = "check the status"]
    pub async fn post_raw(
        &self,
        path: &str,
        token: Option<&str>,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> (StatusCode, Value) {
        let mut req = self.client.post(self.url(path)).body(body);
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        decode(req.send().await.expect("request sent")).await
    }

    // ---- client API ----

    pub async fn start_session(&self, token: &str, session_id: Option<&str>) -> Value {
        let body = match session_id {
            Some(id) => json!({ "sessionId": id }),
            None => json!({}),
        };
        let (status, body) = self.post("/api/chat/session", token, body).await;
        assert_eq!(status, StatusCode::OK, "start session: {body}");
        body["data"].clone()
    }

    #[must_use = "check the status"]
    /// Starts a guest chat (no token; guests must be allowed) and checks it worked.
    pub async fn start_guest(&self) -> Guest {
        let (status, body) = self
            .request(
                reqwest::Method::POST,
                "/api/chat/session",
                None,
                Some(json!({})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "guest start: {body}");
        Guest::from_start(&body)
    }

    pub async fn send(
        &self,
        token: &str,
        session_id: &str,
        message_id: &str,
        text: &str,
    ) -> (StatusCode, Value) {
        self.post(
            "/api/chat/message",
            token,
            json!({ "sessionId": session_id, "messageId": message_id, "message": text }),
        )
        .await
    }

    /// Sends a user message that must be accepted; returns the answer's `data`.
    pub async fn send_ok(
        &self,
        token: &str,
        session_id: &str,
        message_id: &str,
        text: &str,
    ) -> Value {
        let answer = self.send(token, session_id, message_id, text).await;
        expect_ok(&format!("send {message_id}"), answer)["data"].clone()
    }

    pub async fn poll(&self, token: &str, session_id: &str, after: Option<&str>) -> Value {
        let path = match after {
            Some(after) => format!("/api/chat/poll/{session_id}?after={after}"),
            None => format!("/api/chat/poll/{session_id}"),
        };
        let (status, body) = self.get(&path, token).await;
        assert_eq!(status, StatusCode::OK, "poll: {body}");
        body["data"].clone()
    }

    // ---- agents ----

    /// Creates an agent directly through the service (as the command line does).
    pub async fn create_agent(&self, email: &str, name: &str, role: &str) -> String {
        let view = service::agents::create(
            &self.services,
            None,
            service::agents::NewAgentInput {
                email: email.into(),
                name: name.into(),
                role: role.into(),
                password: AGENT_PASSWORD.into(),
                department: Some("Customer Service".into()),
                max_concurrent_chats: None,
            },
        )
        .await
        .expect("agent created");
        view.agent.id
    }

    pub async fn login(&self, email: &str) -> String {
        let (status, body) = self
            .request(
                reqwest::Method::POST,
                "/api/admin/login",
                None,
                Some(json!({ "email": email, "password": AGENT_PASSWORD })),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "login: {body}");
        body["data"]["accessToken"].as_str().unwrap().to_string()
    }

    /// Creates an agent and signs them in; returns (agent id, bearer token).
    pub async fn agent(&self, email: &str, role: &str) -> (String, String) {
        let name = email.split('@').next().unwrap_or(email).to_string();
        let id = self.create_agent(email, &name, role).await;
        let token = self.login(email).await;
        (id, token)
    }

    pub async fn agent_reply(&self, agent_token: &str, session_id: &str, text: &str) -> Value {
        let (status, body) = self
            .post(
                "/api/admin/chat/message",
                agent_token,
                json!({ "sessionId": session_id, "message": text }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "agent reply: {body}");
        body["data"].clone()
    }

    /// Runs one round of background upkeep now (expiry, reassignment).
    pub async fn maintenance(&self) {
        service::maintenance::tick(&self.services)
            .await
            .expect("maintenance");
    }

    /// Runs one automatic hand-out of waiting chats now; returns how many were assigned.
    pub async fn hand_out_now(&self) -> usize {
        service::auto_assign::hand_out(&self.services)
            .await
            .expect("hand-out")
    }

    /// Waits until `user` has exactly `count` long-polls or streams held by the server.
    pub async fn wait_until_held(&self, user: &str, count: usize) {
        let hub = self.services.hub.clone();
        wait_until(&format!("{user} holds {count} polls"), || {
            let held = hub.held_by(user);
            async move { held == count }
        })
        .await;
    }

    /// Counts rows of a table straight from the database (any one-number query).
    pub fn count_rows(&self, sql: &str) -> i64 {
        self.db().number(sql)
    }

    /// The test's database, straight (SQL both engines understand).
    pub fn db(&self) -> TestDb {
        TestDb::of(&self.dir.path().join("frontdesk.db"))
    }
}

/// True when the suite runs on PostgreSQL (`FRONTDESK_TEST_DB=postgres`).
pub fn on_postgres() -> bool {
    std::env::var("FRONTDESK_TEST_DB").is_ok_and(|engine| engine == "postgres")
}

/// True, and says why, when the suite runs on PostgreSQL and the calling test is about the
/// SQLite file itself (its lock, its pages); such a test names the test that covers the same
/// ground on PostgreSQL, which runs in every pass.
#[allow(dead_code)]
pub fn sqlite_only(why: &str) -> bool {
    if on_postgres() {
        eprintln!("about the SQLite file, not run on PostgreSQL: {why}");
    }
    on_postgres()
}

/// Where the URL of the PostgreSQL database standing in for the SQLite file `db` is kept, so
/// a restart, a second replica or a command-line run on the same `db` finds the same data.
fn url_file(db: &std::path::Path) -> std::path::PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(".postgres-url");
    std::path::PathBuf::from(name)
}

/// The PostgreSQL database standing in for the SQLite file `db`: the one named beside it, or
/// on PostgreSQL runs a fresh one (named beside it from now on). `None`: use the SQLite file.
pub fn postgres_url_of(db: &std::path::Path) -> Option<String> {
    let file = url_file(db);
    if let Ok(url) = std::fs::read_to_string(&file) {
        return Some(url);
    }
    if !on_postgres() {
        return None;
    }
    let url = crate::postgres::Cluster::get().fresh_database_blocking();
    std::fs::write(&file, &url).expect("remember the test database");
    Some(url)
}

/// Makes `url` the stand-in for the SQLite file `db`, whichever engine the suite runs on: for
/// tests of several replicas, which only PostgreSQL can serve.
#[allow(dead_code)]
pub fn use_postgres_for(db: &std::path::Path, url: &str) {
    std::fs::write(url_file(db), url).expect("remember the test database");
}

/// A test's database read and changed straight, bypassing the server: the SQLite file, or the
/// PostgreSQL database standing in for it. Queries use SQL both engines understand.
pub enum TestDb {
    Sqlite(std::path::PathBuf),
    Postgres(String),
}

impl TestDb {
    /// The database the SQLite file `db` names (or its stand-in on PostgreSQL).
    pub fn of(db: &std::path::Path) -> TestDb {
        match std::fs::read_to_string(url_file(db)) {
            Ok(url) => TestDb::Postgres(url),
            Err(_) => TestDb::Sqlite(db.to_path_buf()),
        }
    }

    /// The one number `sql` answers.
    pub fn number(&self, sql: &str) -> i64 {
        match self {
            TestDb::Sqlite(path) => rusqlite::Connection::open(path)
                .unwrap()
                .query_row(sql, [], |r| r.get(0))
                .unwrap_or_else(|e| panic!("{sql}: {e}")),
            TestDb::Postgres(url) => on_postgres_thread(url, sql, |client, sql| async move {
                let row = client.query_one(&sql, &[]).await;
                row.unwrap_or_else(|e| panic!("{sql}: {e}"))
                    .get::<_, i64>(0)
            }),
        }
    }

    /// The first column of every row `sql` answers, as text (`CAST(x AS TEXT)` for numbers).
    pub fn texts(&self, sql: &str) -> Vec<Option<String>> {
        match self {
            TestDb::Sqlite(path) => {
                let conn = rusqlite::Connection::open(path).unwrap();
                let mut statement = conn.prepare(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
                statement
                    .query_map([], |r| r.get(0))
                    .unwrap()
                    .collect::<Result<_, _>>()
                    .unwrap_or_else(|e| panic!("{sql}: {e}"))
            }
            TestDb::Postgres(url) => on_postgres_thread(url, sql, |client, sql| async move {
                let rows = client.query(&sql, &[]).await;
                rows.unwrap_or_else(|e| panic!("{sql}: {e}"))
                    .iter()
                    .map(|r| r.get::<_, Option<String>>(0))
                    .collect()
            }),
        }
    }

    /// The one text `sql` answers (`None` for NULL or no row).
    pub fn text(&self, sql: &str) -> Option<String> {
        self.texts(sql).into_iter().next().flatten()
    }

    /// Runs a change; how many rows it touched.
    pub fn execute(&self, sql: &str) -> u64 {
        match self {
            TestDb::Sqlite(path) => rusqlite::Connection::open(path)
                .unwrap()
                .execute(sql, [])
                .unwrap_or_else(|e| panic!("{sql}: {e}"))
                as u64,
            TestDb::Postgres(url) => on_postgres_thread(url, sql, |client, sql| async move {
                client
                    .execute(&sql, &[])
                    .await
                    .unwrap_or_else(|e| panic!("{sql}: {e}"))
            }),
        }
    }
}

/// Runs `work` with a connection to `url` on a thread of its own, for synchronous test code.
fn on_postgres_thread<R, F, Fut>(url: &str, sql: &str, work: F) -> R
where
    R: Send + 'static,
    F: FnOnce(tokio_postgres::Client, String) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = R>,
{
    let (url, sql) = (url.to_string(), sql.to_string());
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime for the query");
        runtime.block_on(async {
            let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                .await
                .expect("connect to the test database");
            tokio::spawn(connection);
            work(client, sql).await
        })
    })
    .join()
    .expect("the query thread")
}

pub async fn decode(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.expect("body");
    let value: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("answer is not JSON ({e}): {status} {text:?}"));
    (status, value)
}

pub fn now_secs() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

pub fn user_token_with(claims: Value) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(JWT_SECRET.as_bytes()),
    )
    .unwrap()
}

/// Asserts the error envelope: status, code, and the top-level message repeated.
pub fn assert_error(status: StatusCode, body: &Value, expected_status: u16, code: &str) {
    assert_eq!(
        status.as_u16(),
        expected_status,
        "status for {code}: {body}"
    );
    assert_eq!(body["success"], false, "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    let message = body["message"].as_str().expect("top-level message");
    assert!(!message.is_empty());
    assert_eq!(body["error"]["message"], message);
    assert!(
        body["timestamp"].as_str().is_some_and(|t| t.ends_with('Z')),
        "{body}"
    );
}

/// Asserts a 200 success envelope; `what` names the step in the failure message.
pub fn expect_ok(what: &str, (status, body): (StatusCode, Value)) -> Value {
    assert_eq!(status, StatusCode::OK, "{what}: {body}");
    assert_eq!(body["success"], true, "{what}: {body}");
    body
}

pub fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// How long a test waits for something that should happen at once before it fails. A safety
/// net so that a broken server fails the test instead of hanging it; nothing asserts speed.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// Awaits `future`, failing the test if it has not finished within [`PATIENCE`].
pub async fn within<T>(what: &str, future: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(PATIENCE, future)
        .await
        .unwrap_or_else(|_| panic!("{what}: not done within {PATIENCE:?}"))
}

/// Re-checks `check` until it holds; fails the test if it still does not after [`PATIENCE`].
pub async fn wait_until<F, Fut>(what: &str, check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    assert!(eventually(PATIENCE, check).await, "waited for: {what}");
}

/// Polls `check` until it returns true or `timeout` passes.
pub async fn eventually<F, Fut>(timeout: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if check().await {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        // Spacing between checks of a condition, not a wait for an event to happen.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A guest as a start answer made it: its token, the id inside the token, its chat.
pub struct Guest {
    pub token: String,
    pub id: String,
    pub session: String,
}

impl Guest {
    /// Reads a successful guest start's answer (`data.sessionToken`, `data.sessionId`).
    pub fn from_start(body: &Value) -> Guest {
        use base64::Engine;
        let token = body["data"]["sessionToken"]
            .as_str()
            .expect("a guest token")
            .to_string();
        let session = body["data"]["sessionId"]
            .as_str()
            .expect("a session id")
            .to_string();
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token.split('.').nth(1).expect("a JWT"))
            .expect("base64url claims");
        let id = serde_json::from_slice::<Value>(&payload).expect("JSON claims")["sub"]
            .as_str()
            .expect("a subject")
            .to_string();
        Guest { token, id, session }
    }
}
