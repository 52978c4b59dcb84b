//! Phones mode: polling, long-polling and streaming phones while agents reply, and its report.

use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::StreamExt;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::header::{ACCEPT, HeaderName, HeaderValue};
use hyper::{Method, Response, StatusCode, Uri};
use jsonwebtoken::EncodingKey;
use rand::Rng;
use serde::Deserialize;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::cli::{Cli, PhonesArgs};
use crate::http::{Pool, Server, outcome};
use crate::monitor::Monitor;
use crate::setup::{Phone, absorb_poll, run_agent, start_agents, start_phones, unix_ms};
use crate::stats::{Failure, Stats, Window, check, latency_line, now_us, us_at};

pub const POLL_TIMEOUT: Duration = Duration::from_secs(10);

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

pub async fn phones_mode(cli: &Cli, args: &PhonesArgs, secret: &EncodingKey) -> Result<(), String> {
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
    let monitor = Monitor::new(cli.server_pid);
    // What the server holds before the phones connect: sessions, agents, caches. The rest of
    // its peak is what the held connections cost.
    let rss_before_connecting = monitor.rss_kb();
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
    let agent_server = match &args.agent_url {
        Some(url) => Server::resolve(url).await?,
        None => server.clone(),
    };
    let agent_pool = Pool::open(&agent_server, agents.len().max(1), cli.setup_parallelism).await?;

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
    // The spec's memory target is for phones polling (50,000 active sessions). Held polls and
    // streams keep a connection each, and their memory is mostly the connections' buffers.
    if let Some(rss) = rss {
        if held_polls {
            println!(
                "memory per phone  {:.1} KB (each holds a connection)",
                rss * 1024.0 / args.phones as f64
            );
            if let Some(before) = rss_before_connecting {
                println!(
                    "held connection   {:.1} KB each (peak RSS minus the {:.1} MB before the phones connected)",
                    (rss * 1024.0 - before as f64) / args.phones as f64,
                    before as f64 / 1024.0
                );
            }
        } else {
            check(
                &format!("server RSS < {} MB", args.rss_target_mb),
                rss < args.rss_target_mb,
            );
        }
    }
    Ok(())
}
