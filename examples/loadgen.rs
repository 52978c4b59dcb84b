//! Load generator for the benchmarks in docs/benchmark.md. It runs against a server started
//! separately (scripts/bench starts one) and shares the machine with it, so it speaks HTTP/1.1
//! through hyper's connection-level client over its own small pool, builds tokens and paths
//! before the clock starts, and keeps latencies in HDR histograms.
//!
//! ```text
//! cargo run --release --example loadgen -- --url http://127.0.0.1:8080 --jwt-secret S \
//!     --agent-email admin@example.com --agent-password P phones --phones 10000
//! cargo run --release --example loadgen -- --jwt-secret S senders --senders 200
//! cargo run --release --example loadgen -- --jwt-secret S hammer --target compare
//! ```
//!
//! Modes: `phones` (polling phones, or `--long-poll`, or `--sse`, while agents reply),
//! `senders` (durable user messages back to back) and `hammer` (one route as fast as possible).

use std::borrow::Cow;
use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use clap::{Args, Parser, Subcommand, ValueEnum};
use futures_util::StreamExt;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use hyper::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HOST, HeaderName, HeaderValue};
use hyper::{Method, Request, Response, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rand::Rng;
use rand::distr::Alphanumeric;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

#[derive(Parser)]
#[command(
    name = "loadgen",
    about = "Load generator for frontdesk benchmarks",
    args_override_self = true
)]
struct Cli {
    /// Base URL of the running server (plain HTTP).
    #[arg(long, global = true, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// HS256 secret the server verifies user tokens with.
    #[arg(long, global = true, env = "JWT_SECRET", hide_env_values = true)]
    jwt_secret: Option<String>,
    /// Server process id, to report its memory (VmRSS) and CPU use.
    #[arg(long, global = true)]
    server_pid: Option<u32>,
    /// Seconds measured (default: 30, hammer 10).
    #[arg(long, global = true)]
    duration: Option<f64>,
    /// Seconds of load before measuring starts.
    #[arg(long, global = true, default_value_t = 2.0)]
    warmup: f64,
    /// Runtime worker threads (default: one per core).
    #[arg(long, global = true)]
    threads: Option<usize>,
    /// Parallel requests while creating sessions, agents and connections.
    #[arg(long, global = true, default_value_t = 64)]
    setup_parallelism: usize,
    /// A super admin's email; `phones` creates the replying agents with it.
    #[arg(long, global = true, env = "LOADGEN_AGENT_EMAIL")]
    agent_email: Option<String>,
    /// That super admin's password.
    #[arg(
        long,
        global = true,
        env = "LOADGEN_AGENT_PASSWORD",
        hide_env_values = true
    )]
    agent_password: Option<String>,
    /// Chats each agent holds (the server allows at most 1000).
    #[arg(long, global = true, default_value_t = 1000)]
    agent_capacity: usize,
    #[command(subcommand)]
    mode: Mode,
}

#[derive(Subcommand)]
enum Mode {
    /// Phones polling (or long-polling, or streaming) their sessions while agents reply.
    Phones(PhonesArgs),
    /// Users sending messages back to back, each on their own session.
    Senders(SendersArgs),
    /// One route as fast as possible.
    Hammer(HammerArgs),
}

#[derive(Args)]
struct PhonesArgs {
    /// Phones, each its own user with its own session.
    #[arg(long, default_value_t = 10_000)]
    phones: usize,
    /// Keep-alive connections the phones share (default 2000; with --long-poll, one per phone).
    #[arg(long)]
    connections: Option<usize>,
    /// Milliseconds between a phone's polls (each one jittered by ±10%).
    #[arg(long, default_value_t = 2000)]
    interval_ms: u64,
    /// Hold each poll with `wait` and poll again as soon as it answers.
    #[arg(long, conflicts_with = "sse")]
    long_poll: bool,
    /// Seconds a long-poll is held.
    #[arg(long, default_value_t = 25)]
    wait: u64,
    /// Open the server-sent event stream instead of polling (one connection per phone).
    #[arg(long)]
    sse: bool,
    /// Agents replying (each one created and signed in by the load generator).
    #[arg(long, default_value_t = 20)]
    agents: usize,
    /// Agent replies per second, all agents together.
    #[arg(long, default_value_t = 200.0)]
    reply_rate: f64,
}

#[derive(Args)]
struct SendersArgs {
    /// Users sending at once, each on its own session and connection.
    #[arg(long, default_value_t = 200)]
    senders: usize,
}

#[derive(Args)]
struct HammerArgs {
    #[arg(long, value_enum, default_value_t = Target::Compare)]
    target: Target,
    /// Connections, each sending its next request as soon as the answer arrives.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// With `compare`: how many not-found/empty-poll pairs to run.
    #[arg(long, default_value_t = 1)]
    rounds: usize,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Target {
    /// A poll whose `after` is the newest message: answered from memory.
    EmptyPoll,
    /// `GET /nope`: the 404 envelope, the cheapest route.
    NotFound,
    /// `GET /healthz`.
    Health,
    /// not-found then empty-poll in one run, and the ratio of their rates.
    Compare,
}

// ---------------------------------------------------------------------------------------------
// Clock and statistics

static BASE: OnceLock<Instant> = OnceLock::new();

/// Microseconds since the load generator started: the send stamp carried inside replies.
fn now_us() -> u64 {
    BASE.get_or_init(Instant::now).elapsed().as_micros() as u64
}

fn us_at(at: Instant) -> u64 {
    at.saturating_duration_since(*BASE.get_or_init(Instant::now))
        .as_micros() as u64
}

/// A latency histogram in microseconds shared by many tasks (a lock per record is cheap next
/// to an HTTP round trip, and keeps one histogram instead of one per task).
struct Hist(Mutex<Histogram<u64>>);

impl Hist {
    fn new() -> Self {
        Hist(Mutex::new(
            Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("histogram bounds"),
        ))
    }
    fn record(&self, us: u64) {
        self.0.lock().unwrap().saturating_record(us.max(1));
    }
    fn get(&self) -> Histogram<u64> {
        self.0.lock().unwrap().clone()
    }
}

#[derive(Debug, Clone, Copy)]
enum Failure {
    Connect,
    Io,
    Timeout,
    Status(u16),
    Body,
    Ended,
}

#[derive(Default)]
struct Errors {
    connect: AtomicU64,
    io: AtomicU64,
    timeout: AtomicU64,
    body: AtomicU64,
    ended: AtomicU64,
    status: Mutex<BTreeMap<u16, u64>>,
}

impl Errors {
    fn add(&self, f: Failure) {
        match f {
            Failure::Connect => &self.connect,
            Failure::Io => &self.io,
            Failure::Timeout => &self.timeout,
            Failure::Body => &self.body,
            Failure::Ended => &self.ended,
            Failure::Status(code) => {
                *self.status.lock().unwrap().entry(code).or_default() += 1;
                return;
            }
        }
        .fetch_add(1, Relaxed);
    }
    fn total(&self) -> u64 {
        [
            &self.connect,
            &self.io,
            &self.timeout,
            &self.body,
            &self.ended,
        ]
        .iter()
        .map(|c| c.load(Relaxed))
        .sum::<u64>()
            + self.status.lock().unwrap().values().sum::<u64>()
    }
    fn describe(&self) -> String {
        if self.total() == 0 {
            return "none".into();
        }
        let mut parts: Vec<String> = [
            ("timeouts", &self.timeout),
            ("connection errors", &self.connect),
            ("broken connections", &self.io),
            ("unexpected bodies", &self.body),
            ("sessions ended", &self.ended),
        ]
        .iter()
        .filter(|(_, c)| c.load(Relaxed) > 0)
        .map(|(name, c)| format!("{name} {}", c.load(Relaxed)))
        .collect();
        for (code, n) in self.status.lock().unwrap().iter() {
            parts.push(format!("HTTP {code} x{n}"));
        }
        format!("{} ({})", self.total(), parts.join(", "))
    }
}

/// What one run measured. Counts and latencies only cover the window [start_us, end_us);
/// errors count over the whole run, warm-up included.
struct Stats {
    start_us: u64,
    end_us: u64,
    requests: AtomicU64,
    latency: Hist,
    lag: Hist,
    acked: AtomicU64,
    ack_latency: Hist,
    delivered: AtomicU64,
    delivery: Hist,
    events: AtomicU64,
    errors: Errors,
}

impl Stats {
    fn new(start: Instant, end: Instant) -> Arc<Self> {
        Arc::new(Stats {
            start_us: us_at(start),
            end_us: us_at(end),
            requests: AtomicU64::new(0),
            latency: Hist::new(),
            lag: Hist::new(),
            acked: AtomicU64::new(0),
            ack_latency: Hist::new(),
            delivered: AtomicU64::new(0),
            delivery: Hist::new(),
            events: AtomicU64::new(0),
            errors: Errors::default(),
        })
    }
    fn in_window(&self, us: u64) -> bool {
        (self.start_us..self.end_us).contains(&us)
    }
    fn seconds(&self) -> f64 {
        (self.end_us - self.start_us) as f64 / 1e6
    }
    /// A request that finished now after starting at `began`.
    fn request(&self, began: Instant) {
        let now = now_us();
        if self.in_window(now) {
            self.requests.fetch_add(1, Relaxed);
            self.latency.record(now - us_at(began));
        }
    }
    /// A reply stamped `sent_us` reached its phone now.
    fn delivery(&self, sent_us: u64) {
        if self.in_window(sent_us) {
            self.delivered.fetch_add(1, Relaxed);
            self.delivery.record(now_us().saturating_sub(sent_us));
        }
    }
}

fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

fn latency_line(h: &Histogram<u64>) -> String {
    if h.is_empty() {
        return "no samples".into();
    }
    format!(
        "p50 {:.2} ms  p99 {:.2} ms  max {:.2} ms  (n={})",
        ms(h.value_at_quantile(0.5)),
        ms(h.value_at_quantile(0.99)),
        ms(h.max()),
        h.len()
    )
}

/// Set when a check fails, for the exit status.
static CHECK_FAILED: AtomicBool = AtomicBool::new(false);

fn check(label: &str, pass: bool) {
    if !pass {
        CHECK_FAILED.store(true, Relaxed);
    }
    println!("  {label:.<56} {}", if pass { "PASS" } else { "FAIL" });
}

// ---------------------------------------------------------------------------------------------
// HTTP: keep-alive connections in a bounded pool

type Conn = SendRequest<Full<Bytes>>;

static JSON: HeaderValue = HeaderValue::from_static("application/json");

struct Server {
    addr: SocketAddr,
    host: HeaderValue,
}

impl Server {
    async fn resolve(url: &str) -> Result<Arc<Self>, String> {
        let rest = url
            .strip_prefix("http://")
            .ok_or("--url must start with http://")?;
        let authority = rest.split('/').next().unwrap_or(rest);
        let with_port = if authority.contains(':') {
            authority.to_string()
        } else {
            format!("{authority}:80")
        };
        let addr = tokio::net::lookup_host(&with_port)
            .await
            .map_err(|e| format!("resolving {authority}: {e}"))?
            .next()
            .ok_or(format!("{authority} has no address"))?;
        let host = HeaderValue::from_str(authority).map_err(|e| e.to_string())?;
        Ok(Arc::new(Server { addr, host }))
    }

    async fn connect(&self) -> Result<Conn, Failure> {
        let stream = TcpStream::connect(self.addr)
            .await
            .map_err(|_| Failure::Connect)?;
        let _ = stream.set_nodelay(true);
        let (conn, driver) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|_| Failure::Connect)?;
        tokio::spawn(driver);
        Ok(conn)
    }

    fn request(
        &self,
        method: Method,
        uri: Uri,
        auth: Option<&HeaderValue>,
        body: Bytes,
    ) -> Request<Full<Bytes>> {
        let mut req = Request::new(Full::new(body));
        *req.method_mut() = method;
        *req.uri_mut() = uri;
        let headers = req.headers_mut();
        headers.insert(HOST, self.host.clone());
        headers.insert(CONTENT_TYPE, JSON.clone());
        if let Some(auth) = auth {
            headers.insert(AUTHORIZATION, auth.clone());
        }
        req
    }
}

/// Up to `size` keep-alive connections handed out first in, first out, so every connection
/// carries traffic as separate phones' connections would.
struct Pool {
    server: Arc<Server>,
    idle: Mutex<VecDeque<Option<Conn>>>,
    slots: Semaphore,
}

/// A connection borrowed from the pool; dropping it (also mid-request, on a timeout) returns
/// the slot, and a connection that was not left clean is closed rather than reused.
struct Lease<'a> {
    pool: &'a Pool,
    conn: Option<Conn>,
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        self.pool.idle.lock().unwrap().push_back(self.conn.take());
        self.pool.slots.add_permits(1);
    }
}

impl Lease<'_> {
    /// One request on the leased connection (reconnecting if it was closed); the body is read
    /// whole. The connection only goes back to the pool after a complete exchange.
    async fn send(&mut self, req: Request<Full<Bytes>>) -> Result<(StatusCode, Bytes), Failure> {
        let mut conn = match self.conn.take() {
            Some(c) if !c.is_closed() => c,
            _ => self.pool.server.connect().await?,
        };
        conn.ready().await.map_err(|_| Failure::Io)?;
        let response = conn.send_request(req).await.map_err(|_| Failure::Io)?;
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|_| Failure::Io)?
            .to_bytes();
        self.conn = Some(conn);
        Ok((status, body))
    }
}

impl Pool {
    /// Opens all `size` connections now, so connecting is not measured.
    async fn open(
        server: &Arc<Server>,
        size: usize,
        parallelism: usize,
    ) -> Result<Arc<Self>, String> {
        let conns: Vec<Result<Conn, Failure>> = futures_util::stream::iter(0..size)
            .map(|_| server.connect())
            .buffer_unordered(parallelism.max(1))
            .collect()
            .await;
        let mut idle = VecDeque::with_capacity(size);
        for conn in conns {
            idle.push_back(Some(conn.map_err(|e| {
                format!("opening {size} connections to {}: {e:?}", server.addr)
            })?));
        }
        Ok(Arc::new(Pool {
            server: server.clone(),
            idle: Mutex::new(idle),
            slots: Semaphore::new(size),
        }))
    }

    async fn lease(&self) -> Lease<'_> {
        self.slots.acquire().await.expect("pool open").forget();
        let conn = self.idle.lock().unwrap().pop_front().flatten();
        Lease { pool: self, conn }
    }

    /// One request on a pooled connection.
    async fn send(&self, req: Request<Full<Bytes>>) -> Result<(StatusCode, Bytes), Failure> {
        self.lease().await.send(req).await
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        auth: Option<&HeaderValue>,
        body: Option<Value>,
    ) -> Result<Value, String> {
        let uri = Uri::try_from(path).map_err(|e| e.to_string())?;
        let body = body.map(|b| Bytes::from(b.to_string())).unwrap_or_default();
        let req = self.server.request(method.clone(), uri, auth, body);
        let (status, bytes) = tokio::time::timeout(Duration::from_secs(60), self.send(req))
            .await
            .map_err(|_| format!("{method} {path}: timed out"))?
            .map_err(|e| format!("{method} {path}: {e:?}"))?;
        let value: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if status == StatusCode::OK && value["success"] == true {
            Ok(value)
        } else {
            Err(format!("{method} {path}: HTTP {status}: {value}"))
        }
    }
}

fn outcome<T>(
    result: Result<Result<T, Failure>, tokio::time::error::Elapsed>,
) -> Result<T, Failure> {
    result.unwrap_or(Err(Failure::Timeout))
}

// ---------------------------------------------------------------------------------------------
// Users, sessions and agents

fn unix_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis()
}

fn random_suffix(len: usize) -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(|b| char::from(b).to_ascii_lowercase())
        .collect()
}

/// `Bearer <HS256 JWT>` for user `sub`, valid for a day.
fn user_token(secret: &EncodingKey, sub: &str) -> HeaderValue {
    let exp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
        + 86_400;
    let jwt = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &json!({ "sub": sub, "exp": exp }),
        secret,
    )
    .expect("signing a user token");
    HeaderValue::from_str(&format!("Bearer {jwt}")).expect("token is a header value")
}

/// A phone (or sender): its user's token, its session and the newest message id it has.
struct Phone {
    auth: HeaderValue,
    session: String,
    cursor: Option<String>,
}

impl Phone {
    fn poll_uri(&self, wait: Option<u64>) -> Uri {
        let mut path = format!("/api/chat/poll/{}", self.session);
        if let Some(after) = &self.cursor {
            path.push_str("?after=");
            path.push_str(after);
        }
        if let Some(wait) = wait {
            path.push(if self.cursor.is_some() { '&' } else { '?' });
            path.push_str(&format!("wait={wait}"));
        }
        Uri::try_from(path).expect("poll path is a URI")
    }
}

#[derive(Deserialize)]
struct PollEnvelope<'a> {
    success: bool,
    #[serde(borrow)]
    data: Option<PollData<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PollData<'a> {
    #[serde(borrow)]
    messages: Vec<WireMessage<'a>>,
    #[serde(default)]
    session_ended: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireMessage<'a> {
    #[serde(borrow)]
    message_id: Cow<'a, str>,
    #[serde(borrow)]
    message: Cow<'a, str>,
    #[serde(borrow)]
    sender: Cow<'a, str>,
}

/// Agent replies carry their send time: `lg:<microseconds since the load generator started>`.
fn reply_stamp(m: &WireMessage) -> Option<u64> {
    if m.sender == "user" {
        return None;
    }
    m.message.strip_prefix("lg:")?.parse().ok()
}

/// Takes in a poll answer: moves the cursor and records replies seen. True if it had messages.
fn absorb_poll(phone: &mut Phone, body: &[u8], stats: &Stats) -> Result<bool, Failure> {
    let envelope: PollEnvelope = serde_json::from_slice(body).map_err(|_| Failure::Body)?;
    let data = envelope
        .data
        .filter(|_| envelope.success)
        .ok_or(Failure::Body)?;
    for m in &data.messages {
        if let Some(sent) = reply_stamp(m) {
            stats.delivery(sent);
        }
    }
    if let Some(last) = data.messages.last() {
        phone.cursor = Some(last.message_id.clone().into_owned());
    }
    if data.session_ended {
        return Err(Failure::Ended);
    }
    Ok(!data.messages.is_empty())
}

/// Mints `n` users and starts one session each, as the app does: its own `chat_<ms>_<rand>`
/// id, then `data.sessionId` from the answer; with `first_poll`, polls once without `after`
/// and keeps the newest message (the welcome) as the cursor.
async fn start_phones(
    pool: &Arc<Pool>,
    secret: &EncodingKey,
    run: &str,
    n: usize,
    first_poll: bool,
    parallelism: usize,
) -> Result<Vec<Phone>, String> {
    let started = &Instant::now();
    let done = AtomicU64::new(0);
    let results: Vec<Result<Phone, String>> = futures_util::stream::iter(0..n)
        .map(|i| {
            let auth = user_token(secret, &format!("lg-{run}-{i}"));
            let done = &done;
            async move {
                let wanted = format!("chat_{}_{}", unix_ms(), random_suffix(8));
                let answer = pool
                    .call(
                        Method::POST,
                        "/api/chat/session",
                        Some(&auth),
                        Some(json!({ "sessionId": wanted })),
                    )
                    .await?;
                let session = answer["data"]["sessionId"]
                    .as_str()
                    .ok_or("session answer without data.sessionId")?
                    .to_string();
                let mut phone = Phone {
                    auth,
                    session,
                    cursor: None,
                };
                if first_poll {
                    let path = phone.poll_uri(None).to_string();
                    let answer = pool
                        .call(Method::GET, &path, Some(&phone.auth), None)
                        .await?;
                    phone.cursor = answer["data"]["messages"]
                        .as_array()
                        .and_then(|m| m.last())
                        .and_then(|m| m["messageId"].as_str())
                        .map(str::to_string);
                }
                let count = done.fetch_add(1, Relaxed) + 1;
                if count.is_multiple_of(10_000) {
                    eprintln!(
                        "  {count} sessions started ({:.1} s)",
                        started.elapsed().as_secs_f64()
                    );
                }
                Ok(phone)
            }
        })
        .buffer_unordered(parallelism.max(1))
        .collect()
        .await;
    let phones = results.into_iter().collect::<Result<Vec<_>, _>>()?;
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "setup: {n} sessions started in {secs:.1} s ({:.0}/s)",
        n as f64 / secs
    );
    if first_poll && phones.iter().any(|p| p.cursor.is_none()) {
        eprintln!("setup: note: no welcome message, so polls without a cursor read from SQLite");
    }
    Ok(phones)
}

struct Agent {
    auth: HeaderValue,
    /// Makes message ids unique: `msg_<run>_a<index>_<seq>`.
    id_prefix: String,
    /// Sessions this agent holds; every reply goes to one of them.
    sessions: Vec<String>,
}

/// Creates `count` chat agents through the super admin's account, each allowed `capacity`
/// chats, and assigns phone i to agent i mod count while that agent has room. Replies then
/// only go to chats the replying agent holds, so none can be refused for capacity; phones
/// beyond agents × capacity stay in the queue and only poll.
async fn start_agents(
    pool: &Arc<Pool>,
    cli: &Cli,
    count: usize,
    run: &str,
    phones: &[Phone],
) -> Result<Vec<Agent>, String> {
    let (Some(email), Some(password)) = (&cli.agent_email, &cli.agent_password) else {
        return Err("agents need --agent-email and --agent-password (a super admin)".into());
    };
    let started = Instant::now();
    let login = |email: String, password: String| async move {
        let answer = pool
            .call(
                Method::POST,
                "/api/admin/login",
                None,
                Some(json!({ "email": email, "password": password })),
            )
            .await?;
        let token = answer["data"]["accessToken"]
            .as_str()
            .ok_or("login answer without data.accessToken")?;
        HeaderValue::from_str(&format!("Bearer {token}")).map_err(|e| e.to_string())
    };
    let admin = login(email.clone(), password.clone()).await?;
    let agent_password = random_suffix(20);
    // One at a time, as agents arrive during a day: the server's argon2 takes ~19 MiB per hash
    // and concurrent hashes leave that much resident per allocator arena.
    let tokens: Vec<Result<HeaderValue, String>> = futures_util::stream::iter(0..count)
        .map(|j| {
            let (admin, agent_password) = (&admin, &agent_password);
            async move {
                let email = format!("lg-{run}-agent{j}@loadgen.test");
                let body = json!({
                    "email": email, "name": format!("Load agent {j}"), "role": "chat_admin",
                    "password": agent_password, "maxConcurrentChats": cli.agent_capacity,
                });
                pool.call(Method::POST, "/api/admin/agents", Some(admin), Some(body))
                    .await?;
                login(email, agent_password.clone()).await
            }
        })
        .buffered(1)
        .collect()
        .await;
    let tokens = tokens.into_iter().collect::<Result<Vec<_>, _>>()?;
    let held = phones.len().min(count * cli.agent_capacity);
    let assigned: Vec<(usize, Result<(), String>)> = futures_util::stream::iter(0..held)
        .map(|i| {
            let auth = &tokens[i % count];
            let body = json!({ "sessionId": phones[i].session });
            async move {
                let r = pool
                    .call(
                        Method::POST,
                        "/api/admin/chat/session/assign",
                        Some(auth),
                        Some(body),
                    )
                    .await
                    .map(drop);
                (i, r)
            }
        })
        .buffer_unordered(cli.setup_parallelism.max(1))
        .collect()
        .await;
    let mut agents: Vec<Agent> = tokens
        .into_iter()
        .enumerate()
        .map(|(j, auth)| Agent {
            auth,
            id_prefix: format!("msg_{run}_a{j}_"),
            sessions: Vec::new(),
        })
        .collect();
    for (i, r) in assigned {
        r?;
        agents[i % count].sessions.push(phones[i].session.clone());
    }
    eprintln!(
        "setup: {} agents hold {held} chats ({:.1} s)",
        count,
        started.elapsed().as_secs_f64()
    );
    Ok(agents)
}

/// One agent replying at `rate` per second to its own chats until `end`.
async fn run_agent(
    pool: Arc<Pool>,
    agent: Agent,
    rate: f64,
    start: Instant,
    end: Instant,
    stats: Arc<Stats>,
) {
    if agent.sessions.is_empty() {
        return;
    }
    let period = Duration::from_secs_f64(1.0 / rate);
    let mut due = start + period.mul_f64(rand::rng().random::<f64>());
    let uri = Uri::from_static("/api/admin/chat/message");
    let mut seq = 0u64;
    while due < end {
        tokio::time::sleep_until(due.into()).await;
        let session = &agent.sessions[rand::rng().random_range(0..agent.sessions.len())];
        let sent = now_us();
        let body = format!(
            r#"{{"sessionId":"{session}","messageId":"{}{seq}","message":"lg:{sent}","sendAs":"agent"}}"#,
            agent.id_prefix
        );
        seq += 1;
        let req = pool
            .server
            .request(Method::POST, uri.clone(), Some(&agent.auth), body.into());
        let began = Instant::now();
        match outcome(tokio::time::timeout(Duration::from_secs(10), pool.send(req)).await) {
            Ok((StatusCode::OK, _)) => {
                if stats.in_window(sent) {
                    stats.acked.fetch_add(1, Relaxed);
                    stats
                        .ack_latency
                        .record(us_at(Instant::now()) - us_at(began));
                }
            }
            Ok((status, _)) => stats.errors.add(Failure::Status(status.as_u16())),
            Err(f) => stats.errors.add(f),
        }
        due += period;
    }
}

// ---------------------------------------------------------------------------------------------
// Phones

const POLL_TIMEOUT: Duration = Duration::from_secs(10);

/// A phone polling every `interval` (±10%) from `first` until `stop`, like the shipped app
/// but without its back-off, so the offered load stays at phones / interval. Latency runs from
/// the moment the poll is due and the phone is awake, through waiting for a pooled connection,
/// to the last byte of the answer; how late the timer woke is kept apart as schedule lag.
async fn run_polling_phone(
    mut phone: Phone,
    pool: Arc<Pool>,
    interval: Duration,
    first: Instant,
    stop: Instant,
    stats: Arc<Stats>,
) {
    let mut uri = phone.poll_uri(None);
    let mut due = first;
    while due < stop {
        tokio::time::sleep_until(due.into()).await;
        let began = Instant::now();
        if stats.in_window(us_at(began)) {
            stats.lag.record(us_at(began) - us_at(due));
        }
        let req = pool
            .server
            .request(Method::GET, uri.clone(), Some(&phone.auth), Bytes::new());
        let result = outcome(tokio::time::timeout(POLL_TIMEOUT, pool.send(req)).await);
        match result.and_then(|(status, body)| match status {
            StatusCode::OK => absorb_poll(&mut phone, &body, &stats),
            other => Err(Failure::Status(other.as_u16())),
        }) {
            Ok(moved) => {
                stats.request(began);
                if moved {
                    uri = phone.poll_uri(None);
                }
            }
            Err(f) => stats.errors.add(f),
        }
        due += interval.mul_f64(rand::rng().random_range(0.9..1.1));
        due = due.max(Instant::now());
    }
}

/// A phone long-polling: each poll is held up to `wait` seconds and the next one starts as
/// soon as it answers.
async fn run_long_polling_phone(
    mut phone: Phone,
    pool: Arc<Pool>,
    wait: u64,
    first: Instant,
    cancel: CancellationToken,
    stats: Arc<Stats>,
) {
    tokio::time::sleep_until(first.into()).await;
    let mut uri = phone.poll_uri(Some(wait));
    let limit = Duration::from_secs(wait) + POLL_TIMEOUT;
    while !cancel.is_cancelled() {
        let began = Instant::now();
        let req = pool
            .server
            .request(Method::GET, uri.clone(), Some(&phone.auth), Bytes::new());
        let result = tokio::select! {
            _ = cancel.cancelled() => return,
            r = tokio::time::timeout(limit, pool.send(req)) => outcome(r),
        };
        match result.and_then(|(status, body)| match status {
            StatusCode::OK => absorb_poll(&mut phone, &body, &stats),
            other => Err(Failure::Status(other.as_u16())),
        }) {
            Ok(moved) => {
                stats.request(began);
                if moved {
                    uri = phone.poll_uri(Some(wait));
                }
            }
            Err(f) => {
                stats.errors.add(f);
                // Do not spin on a server that keeps failing.
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    }
}

static LAST_EVENT_ID: HeaderName = HeaderName::from_static("last-event-id");
static EVENT_STREAM: HeaderValue = HeaderValue::from_static("text/event-stream");

/// Opens a phone's event stream on a connection of its own.
async fn open_stream(
    server: &Server,
    phone: &Phone,
    last_id: Option<&HeaderValue>,
) -> Result<Response<Incoming>, Failure> {
    let mut conn = server.connect().await?;
    let uri = Uri::try_from(format!("/api/chat/stream/{}", phone.session)).expect("stream path");
    let mut req = server.request(Method::GET, uri, Some(&phone.auth), Bytes::new());
    req.headers_mut().insert(ACCEPT, EVENT_STREAM.clone());
    if let Some(id) = last_id {
        req.headers_mut().insert(LAST_EVENT_ID.clone(), id.clone());
    }
    conn.ready().await.map_err(|_| Failure::Io)?;
    let response = tokio::time::timeout(POLL_TIMEOUT, conn.send_request(req))
        .await
        .map_err(|_| Failure::Timeout)?
        .map_err(|_| Failure::Io)?;
    match response.status() {
        StatusCode::OK => Ok(response),
        other => Err(Failure::Status(other.as_u16())),
    }
}

/// Reads one phone's event stream until cancelled, reconnecting with `Last-Event-ID` if the
/// server closes it.
async fn run_streaming_phone(
    phone: Phone,
    server: Arc<Server>,
    mut response: Response<Incoming>,
    cancel: CancellationToken,
    stats: Arc<Stats>,
) {
    let mut last_id: Option<HeaderValue> = None;
    let mut buf: Vec<u8> = Vec::with_capacity(1024);
    loop {
        let mut body = response.into_body();
        loop {
            let frame = tokio::select! {
                _ = cancel.cancelled() => return,
                f = body.frame() => f,
            };
            match frame {
                Some(Ok(frame)) => {
                    if let Some(data) = frame.data_ref() {
                        buf.extend_from_slice(data);
                        take_events(&mut buf, &mut last_id, &stats);
                    }
                }
                Some(Err(_)) => {
                    stats.errors.add(Failure::Io);
                    break;
                }
                None => break,
            }
        }
        buf.clear();
        response = loop {
            if cancel.is_cancelled() {
                return;
            }
            match open_stream(&server, &phone, last_id.as_ref()).await {
                Ok(r) => break r,
                Err(f) => {
                    stats.errors.add(f);
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
        };
    }
}

#[derive(Deserialize)]
struct StreamedMessage<'a> {
    #[serde(borrow)]
    message: Cow<'a, str>,
    #[serde(borrow)]
    sender: Cow<'a, str>,
}

/// Handles every complete event (ended by a blank line) at the front of `buf`.
fn take_events(buf: &mut Vec<u8>, last_id: &mut Option<HeaderValue>, stats: &Stats) {
    let mut consumed = 0;
    while let Some(end) = buf[consumed..].windows(2).position(|w| w == b"\n\n") {
        let block = &buf[consumed..consumed + end];
        consumed += end + 2;
        let (mut event, mut data) = ("message", None);
        for line in block.split(|b| *b == b'\n') {
            let line = std::str::from_utf8(line).unwrap_or("");
            let (field, value) = line.split_once(':').unwrap_or((line, ""));
            let value = value.strip_prefix(' ').unwrap_or(value);
            match field {
                "event" => event = value,
                "data" => data = Some(value),
                "id" => *last_id = HeaderValue::from_str(value).ok(),
                _ => {}
            }
        }
        let Some(data) = data else { continue }; // a keep-alive comment
        if stats.in_window(now_us()) {
            stats.events.fetch_add(1, Relaxed);
        }
        match event {
            "message" => match serde_json::from_str::<StreamedMessage>(data) {
                Ok(m) if m.sender != "user" => {
                    if let Some(sent) = m.message.strip_prefix("lg:").and_then(|t| t.parse().ok()) {
                        stats.delivery(sent);
                    }
                }
                Ok(_) => {}
                Err(_) => stats.errors.add(Failure::Body),
            },
            "ended" => stats.errors.add(Failure::Ended),
            _ => {}
        }
    }
    buf.drain(..consumed);
}

/// Samples the server's memory and both processes' CPU time.
struct Monitor {
    pid: Option<u32>,
    first_rss_kb: AtomicU64,
    peak_rss_kb: AtomicU64,
}

fn proc_status_kb(pid: u32, key: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    line[key.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// User + system CPU seconds of a process (`self` or a pid).
fn proc_cpu_seconds(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0) // USER_HZ
}

impl Monitor {
    fn new(pid: Option<u32>) -> Arc<Self> {
        Arc::new(Monitor {
            pid,
            first_rss_kb: AtomicU64::new(0),
            peak_rss_kb: AtomicU64::new(0),
        })
    }

    fn cpu(&self) -> (Option<f64>, Option<f64>) {
        (
            self.pid.and_then(|p| proc_cpu_seconds(&p.to_string())),
            proc_cpu_seconds("self"),
        )
    }

    /// Samples RSS every half second from `start` to `end`.
    fn sample(self: &Arc<Self>, start: Instant, end: Instant) {
        let Some(pid) = self.pid else { return };
        let monitor = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep_until(start.into()).await;
            while Instant::now() < end {
                if let Some(kb) = proc_status_kb(pid, "VmRSS:") {
                    let _ = monitor
                        .first_rss_kb
                        .compare_exchange(0, kb, Relaxed, Relaxed);
                    monitor.peak_rss_kb.fetch_max(kb, Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        });
    }

    /// Prints memory and CPU use over the window that began with `cpu_before`.
    fn report(&self, seconds: f64, cpu_before: (Option<f64>, Option<f64>)) -> Usage {
        let usage = self.report_quietly(seconds, cpu_before);
        usage.print();
        usage
    }

    /// Reads memory and CPU use over the window that began with `cpu_before`.
    fn report_quietly(&self, seconds: f64, cpu_before: (Option<f64>, Option<f64>)) -> Usage {
        let cpu_after = self.cpu();
        let used = |a: Option<f64>, b: Option<f64>| Some(b? - a?);
        let cores = |s: Option<f64>| s.map_or("?".into(), |s| format!("{:.2} cores", s / seconds));
        let server_cpu = used(cpu_before.0, cpu_after.0);
        let loadgen = cores(used(cpu_before.1, cpu_after.1));
        let Some(pid) = self.pid else {
            return Usage {
                lines: vec![format!(
                    "cpu               loadgen {loadgen} (give --server-pid for the server's)"
                )],
                ..Usage::default()
            };
        };
        let mb = |kb: u64| kb as f64 / 1024.0;
        let rss = proc_status_kb(pid, "VmRSS:");
        let peak = rss.map(|kb| kb.max(self.peak_rss_kb.load(Relaxed)));
        let show = |kb: Option<u64>| kb.map_or("?".into(), |kb| format!("{:.1} MB", mb(kb)));
        Usage {
            peak_rss_mb: peak.map(mb),
            server_cpu_s: server_cpu,
            lines: vec![
                format!(
                    "server memory     RSS {} at the end, {} when measuring began, {} peak while measuring; {} peak ever (VmHWM)",
                    show(rss),
                    show(Some(self.first_rss_kb.load(Relaxed)).filter(|kb| *kb > 0)),
                    show(peak),
                    show(proc_status_kb(pid, "VmHWM:")),
                ),
                format!(
                    "cpu               server {}, loadgen {loadgen}",
                    cores(server_cpu)
                ),
            ],
        }
    }
}

#[derive(Default)]
struct Usage {
    peak_rss_mb: Option<f64>,
    /// Server CPU seconds spent while measuring.
    server_cpu_s: Option<f64>,
    lines: Vec<String>,
}

impl Usage {
    fn print(&self) {
        for line in &self.lines {
            println!("{line}");
        }
    }
}

/// The measurement plan: load from `t0`, measured from `start` to `end`.
struct Window {
    t0: Instant,
    start: Instant,
    end: Instant,
}

impl Window {
    fn new(warmup: f64, duration: f64) -> Self {
        let t0 = Instant::now() + Duration::from_millis(100);
        let start = t0 + Duration::from_secs_f64(warmup);
        Window {
            t0,
            start,
            end: start + Duration::from_secs_f64(duration),
        }
    }
}

async fn phones_mode(cli: &Cli, args: &PhonesArgs, secret: &EncodingKey) -> Result<(), String> {
    let server = Server::resolve(&cli.url).await?;
    let run: Arc<str> = Arc::from(unix_ms().to_string());
    let setup = Pool::open(&server, cli.setup_parallelism, cli.setup_parallelism).await?;
    eprintln!("setup: starting {} sessions", args.phones);
    let phones = start_phones(
        &setup,
        secret,
        &run,
        args.phones,
        true,
        cli.setup_parallelism,
    )
    .await?;
    let replying = args.agents > 0 && args.reply_rate > 0.0;
    let agents = if replying {
        start_agents(&setup, cli, args.agents, &run, &phones).await?
    } else {
        Vec::new()
    };
    drop(setup);

    let held_polls = args.long_poll || args.sse;
    let connections = args
        .connections
        .unwrap_or(if held_polls { args.phones } else { 2000 })
        .max(1);
    let mut streams = Vec::new();
    let pool = if args.sse {
        eprintln!("setup: opening {} event streams", args.phones);
        streams = futures_util::stream::iter(&phones)
            .map(|p| open_stream(&server, p, None))
            .buffered(cli.setup_parallelism.max(1))
            .collect()
            .await;
        None
    } else {
        eprintln!("setup: opening {connections} connections");
        Some(Pool::open(&server, connections, cli.setup_parallelism).await?)
    };
    let agent_pool = Pool::open(&server, agents.len().max(1), cli.setup_parallelism).await?;

    let duration = cli.duration.unwrap_or(30.0);
    let window = Window::new(cli.warmup, duration);
    let stats = Stats::new(window.start, window.end);
    let interval = Duration::from_millis(args.interval_ms);
    // Phones keep going a little after the end so replies sent near it can still arrive.
    let grace = if held_polls {
        Duration::from_secs(1)
    } else {
        interval.mul_f64(1.2)
    };
    let stop = window.end + grace;
    let cancel = CancellationToken::new();
    let mut tasks = JoinSet::new();
    if args.sse {
        for (i, (phone, opened)) in phones.into_iter().zip(streams).enumerate() {
            match opened {
                Ok(response) => {
                    tasks.spawn(run_streaming_phone(
                        phone,
                        server.clone(),
                        response,
                        cancel.clone(),
                        stats.clone(),
                    ));
                }
                Err(f) => return Err(format!("opening the event stream of phone {i}: {f:?}")),
            }
        }
    } else {
        let pool = pool.expect("a pool when polling");
        for phone in phones {
            if args.long_poll {
                // Held polls start spread over the first second.
                let first = window.t0 + Duration::from_millis(rand::rng().random_range(0..1000));
                tasks.spawn(run_long_polling_phone(
                    phone,
                    pool.clone(),
                    args.wait,
                    first,
                    cancel.clone(),
                    stats.clone(),
                ));
            } else {
                // First polls spread evenly over the first interval.
                let first = window.t0 + interval.mul_f64(rand::rng().random::<f64>());
                tasks.spawn(run_polling_phone(
                    phone,
                    pool.clone(),
                    interval,
                    first,
                    stop,
                    stats.clone(),
                ));
            }
        }
    }
    let rate_each = args.reply_rate / agents.len().max(1) as f64;
    for agent in agents {
        tasks.spawn(run_agent(
            agent_pool.clone(),
            agent,
            rate_each,
            window.t0,
            window.end,
            stats.clone(),
        ));
    }
    let monitor = Monitor::new(cli.server_pid);
    monitor.sample(window.start, window.end);
    eprintln!(
        "run: {:.0} s warm-up, then measuring {duration:.0} s",
        cli.warmup
    );
    tokio::time::sleep_until(window.start.into()).await;
    let cpu = monitor.cpu();
    tokio::time::sleep_until(window.end.into()).await;
    let secs = stats.seconds();
    let kind = if args.sse {
        "streaming"
    } else if args.long_poll {
        "long-polling"
    } else {
        "polling"
    };
    println!(
        "== phones: {} {kind}, {} agents replying {:.0}/s, measured {secs:.1} s ==",
        args.phones,
        if replying { args.agents } else { 0 },
        if replying { args.reply_rate } else { 0.0 },
    );
    let rss = monitor.report(secs, cpu).peak_rss_mb;
    tokio::time::sleep_until(stop.into()).await;
    cancel.cancel();
    while tasks.join_next().await.is_some() {}

    let polls = stats.latency.get();
    let lag = stats.lag.get();
    let errors = stats.errors.total();
    if args.sse {
        println!(
            "events            {:.1}/s received on {} streams",
            stats.events.load(Relaxed) as f64 / secs,
            args.phones
        );
    } else if args.long_poll {
        println!(
            "polls             {:.1}/s answered ({connections} connections; a poll is held up to {} s)",
            polls.len() as f64 / secs,
            args.wait
        );
        println!("poll duration     {}", latency_line(&polls));
    } else {
        println!(
            "polls             {:.1}/s every {:.1} s over {connections} connections",
            polls.len() as f64 / secs,
            interval.as_secs_f64()
        );
        println!("poll latency      {}", latency_line(&polls));
        println!(
            "schedule lag      {}  (high values: the load generator is the bottleneck)",
            latency_line(&lag)
        );
    }
    let acked = stats.acked.load(Relaxed);
    let delivery = stats.delivery.get();
    if replying {
        println!(
            "agent replies     {:.1}/s acknowledged; send latency {}",
            acked as f64 / secs,
            latency_line(&stats.ack_latency.get())
        );
        println!(
            "delivery          {} of {acked} acknowledged replies seen; from send to phone {}",
            stats.delivered.load(Relaxed),
            latency_line(&delivery)
        );
    }
    println!("errors            {}", stats.errors.describe());

    println!("checks");
    check("no errors", errors == 0);
    if replying {
        check(
            "every acknowledged reply reached its phone",
            stats.delivered.load(Relaxed) >= acked,
        );
    }
    if held_polls {
        if replying {
            check(
                "p99 delivery < 50 ms",
                !delivery.is_empty() && delivery.value_at_quantile(0.99) < 50_000,
            );
        }
    } else {
        check(
            "p99 poll latency < 25 ms",
            !polls.is_empty() && polls.value_at_quantile(0.99) < 25_000,
        );
        let expected = args.phones as f64 / interval.as_secs_f64();
        check(
            "polls/s within 2% of phones / interval",
            polls.len() as f64 / secs >= expected * 0.98,
        );
    }
    if let Some(rss) = rss {
        check("server RSS < 150 MB", rss < 150.0);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Senders and hammer

async fn senders_mode(cli: &Cli, args: &SendersArgs, secret: &EncodingKey) -> Result<(), String> {
    let server = Server::resolve(&cli.url).await?;
    let run: Arc<str> = Arc::from(unix_ms().to_string());
    let n = args.senders.max(1);
    let pool = Pool::open(&server, n, cli.setup_parallelism).await?;
    let phones = start_phones(&pool, secret, &run, n, false, cli.setup_parallelism).await?;
    let duration = cli.duration.unwrap_or(30.0);
    let window = Window::new(cli.warmup, duration);
    let stats = Stats::new(window.start, window.end);
    let uri = Uri::from_static("/api/chat/message");
    let mut tasks = JoinSet::new();
    for (i, phone) in phones.into_iter().enumerate() {
        let (pool, stats, uri, run) = (pool.clone(), stats.clone(), uri.clone(), run.clone());
        let end = window.end;
        tasks.spawn(async move {
            tokio::time::sleep_until(window.t0.into()).await;
            let mut seq = 0u64;
            while Instant::now() < end {
                let body = format!(
                    r#"{{"sessionId":"{}","messageId":"msg_{run}_{i}_{seq}","message":"load test message {seq}","sender":"user"}}"#,
                    phone.session
                );
                seq += 1;
                let req = pool
                    .server
                    .request(Method::POST, uri.clone(), Some(&phone.auth), body.into());
                let began = Instant::now();
                match outcome(tokio::time::timeout(POLL_TIMEOUT, pool.send(req)).await) {
                    Ok((StatusCode::OK, _)) => stats.request(began),
                    Ok((status, _)) => stats.errors.add(Failure::Status(status.as_u16())),
                    Err(f) => stats.errors.add(f),
                }
            }
        });
    }
    let monitor = Monitor::new(cli.server_pid);
    monitor.sample(window.start, window.end);
    eprintln!(
        "run: {:.0} s warm-up, then measuring {duration:.0} s",
        cli.warmup
    );
    tokio::time::sleep_until(window.start.into()).await;
    let cpu = monitor.cpu();
    tokio::time::sleep_until(window.end.into()).await;
    let secs = stats.seconds();
    println!("== senders: {n} users sending back to back, measured {secs:.1} s ==");
    monitor.report(secs, cpu);
    while tasks.join_next().await.is_some() {}
    let sends = stats.latency.get();
    let rate = sends.len() as f64 / secs;
    println!("acknowledged      {rate:.1} messages/s");
    println!("send latency      {}", latency_line(&sends));
    println!("errors            {}", stats.errors.describe());
    println!("checks");
    check("no errors", stats.errors.total() == 0);
    check(">= 5000 acknowledged messages/s", rate >= 5000.0);
    Ok(())
}

const EMPTY: &[u8] = br#""messages":[]"#;

/// What one hammer run measured.
struct Leg {
    rate: f64,
    /// Server CPU per answered request, in microseconds (needs --server-pid).
    server_us: Option<f64>,
    clean: bool,
}

/// Runs one route flat out on every connection.
async fn hammer_once(
    cli: &Cli,
    pool: &Arc<Pool>,
    target: Target,
    requests: &Arc<Vec<(Uri, HeaderValue)>>,
) -> Leg {
    let duration = cli.duration.unwrap_or(10.0);
    let window = Window::new(cli.warmup, duration);
    let stats = Stats::new(window.start, window.end);
    let expected = match target {
        Target::NotFound => StatusCode::NOT_FOUND,
        _ => StatusCode::OK,
    };
    let mut tasks = JoinSet::new();
    for i in 0..requests.len() {
        let (pool, stats, requests) = (pool.clone(), stats.clone(), requests.clone());
        tasks.spawn(async move {
            // Each task keeps one connection: no pool hand-off per request.
            let mut lease = pool.lease().await;
            let (uri, auth) = &requests[i];
            tokio::time::sleep_until(window.t0.into()).await;
            while Instant::now() < window.end {
                let req = pool
                    .server
                    .request(Method::GET, uri.clone(), Some(auth), Bytes::new());
                let began = Instant::now();
                match outcome(tokio::time::timeout(POLL_TIMEOUT, lease.send(req)).await) {
                    // An empty poll must really be empty, or it was not the cheap path.
                    Ok((status, body))
                        if status == expected
                            && (target != Target::EmptyPoll
                                || body.windows(EMPTY.len()).any(|w| w == EMPTY)) =>
                    {
                        stats.request(began)
                    }
                    Ok((status, _)) if status != expected => {
                        stats.errors.add(Failure::Status(status.as_u16()))
                    }
                    Ok(_) => stats.errors.add(Failure::Body),
                    Err(f) => stats.errors.add(f),
                }
            }
        });
    }
    let monitor = Monitor::new(cli.server_pid);
    monitor.sample(window.start, window.end);
    tokio::time::sleep_until(window.start.into()).await;
    let cpu = monitor.cpu();
    tokio::time::sleep_until(window.end.into()).await;
    let secs = stats.seconds();
    let usage = monitor.report_quietly(secs, cpu);
    while tasks.join_next().await.is_some() {}
    let h = stats.latency.get();
    let rate = h.len() as f64 / secs;
    let server_us = usage
        .server_cpu_s
        .filter(|_| !h.is_empty())
        .map(|s| s * 1e6 / h.len() as f64);
    let name = target.to_possible_value().expect("named target");
    println!(
        "== hammer {}: {} connections, measured {secs:.1} s ==",
        name.get_name(),
        requests.len()
    );
    println!("requests          {rate:.1}/s");
    println!("latency           {}", latency_line(&h));
    usage.print();
    if let Some(us) = server_us {
        println!("server cpu        {us:.1} us per request");
    }
    println!("errors            {}", stats.errors.describe());
    Leg {
        rate,
        server_us,
        clean: stats.errors.total() == 0,
    }
}

async fn hammer_mode(cli: &Cli, args: &HammerArgs, secret: &EncodingKey) -> Result<(), String> {
    let server = Server::resolve(&cli.url).await?;
    let run = unix_ms().to_string();
    let n = args.connections.max(1);
    let pool = Pool::open(&server, n, cli.setup_parallelism).await?;
    // Every target sends the same headers as a phone's poll, so only the route differs.
    let phones = start_phones(&pool, secret, &run, n, true, cli.setup_parallelism).await?;
    let requests = |target: Target| -> Arc<Vec<(Uri, HeaderValue)>> {
        Arc::new(
            phones
                .iter()
                .map(|p| {
                    let uri = match target {
                        Target::EmptyPoll => p.poll_uri(None),
                        Target::NotFound => Uri::from_static("/nope"),
                        _ => Uri::from_static("/healthz"),
                    };
                    (uri, p.auth.clone())
                })
                .collect(),
        )
    };
    if args.target != Target::Compare {
        let leg = hammer_once(cli, &pool, args.target, &requests(args.target)).await;
        println!("checks");
        check("no errors", leg.clean);
        return Ok(());
    }
    let (empty, missing) = (requests(Target::EmptyPoll), requests(Target::NotFound));
    let (mut empty_legs, mut missing_legs) = (Vec::new(), Vec::new());
    for _ in 0..args.rounds.max(1) {
        missing_legs.push(hammer_once(cli, &pool, Target::NotFound, &missing).await);
        empty_legs.push(hammer_once(cli, &pool, Target::EmptyPoll, &empty).await);
    }
    let mean = |legs: &[Leg], f: fn(&Leg) -> Option<f64>| {
        let v: Vec<f64> = legs.iter().filter_map(f).collect();
        (v.len() == legs.len()).then(|| v.iter().sum::<f64>() / v.len() as f64)
    };
    let rate = |l: &Leg| Some(l.rate);
    let (empty_rate, missing_rate) = (
        mean(&empty_legs, rate).unwrap_or(0.0),
        mean(&missing_legs, rate).unwrap_or(0.0),
    );
    let ratio = empty_rate / missing_rate;
    println!(
        "== compare: empty poll {empty_rate:.1}/s, 404 route {missing_rate:.1}/s: ratio {ratio:.3} ==",
    );
    // On a shared machine both legs can be capped by the load generator's own CPU; the
    // server's CPU per request shows the cost difference even then.
    if let (Some(e), Some(m)) = (
        mean(&empty_legs, |l| l.server_us),
        mean(&missing_legs, |l| l.server_us),
    ) {
        println!(
            "server cpu        empty poll {e:.1} us, 404 route {m:.1} us per request: {:.2}x",
            e / m
        );
    }
    let all_clean = empty_legs.iter().chain(&missing_legs).all(|l| l.clean);
    println!("checks");
    check("no errors", all_clean);
    check(
        "empty poll >= 1/1.5 of the 404 route's rate",
        ratio >= 1.0 / 1.5,
    );
    Ok(())
}

fn main() {
    let cli = Cli::parse();
    BASE.get_or_init(Instant::now);
    let Some(secret) = cli.jwt_secret.as_deref() else {
        eprintln!("loadgen: give --jwt-secret (or JWT_SECRET) to mint user tokens");
        std::process::exit(2);
    };
    let secret = EncodingKey::from_secret(secret.as_bytes());
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if let Some(threads) = cli.threads {
        runtime.worker_threads(threads.max(1));
    }
    let runtime = runtime.enable_all().build().expect("tokio runtime");
    let result = runtime.block_on(async {
        match &cli.mode {
            Mode::Phones(args) => phones_mode(&cli, args, &secret).await,
            Mode::Senders(args) => senders_mode(&cli, args, &secret).await,
            Mode::Hammer(args) => hammer_mode(&cli, args, &secret).await,
        }
    });
    // Held polls and streams may still be open; do not wait for them.
    runtime.shutdown_background();
    match result {
        Ok(_) if CHECK_FAILED.load(Relaxed) => std::process::exit(1),
        Ok(_) => {}
        Err(e) => {
            eprintln!("loadgen: {e}");
            std::process::exit(2);
        }
    }
}
