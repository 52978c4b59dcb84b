//! Users, sessions and agents: user tokens, starting sessions, reading poll answers, and the
//! agents that hold chats and reply during a run.

use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures_util::StreamExt;
use hyper::header::HeaderValue;
use hyper::{Method, StatusCode, Uri};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rand::Rng;
use rand::distr::Alphanumeric;
use serde::Deserialize;
use serde_json::json;

use crate::cli::Cli;
use crate::http::{Pool, outcome};
use crate::stats::{Failure, Stats, now_us, us_at};

pub fn unix_ms() -> u128 {
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
pub struct Phone {
    pub auth: HeaderValue,
    pub session: String,
    cursor: Option<String>,
}

impl Phone {
    pub fn poll_uri(&self, wait: Option<u64>) -> Uri {
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
pub fn absorb_poll(phone: &mut Phone, body: &[u8], stats: &Stats) -> Result<bool, Failure> {
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
pub async fn start_phones(
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

pub struct Agent {
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
pub async fn start_agents(
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
pub async fn run_agent(
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
