//! Hammer mode: one route as fast as possible, or the empty-poll vs 404 comparison.

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use clap::ValueEnum;
use hyper::header::HeaderValue;
use hyper::{Method, StatusCode, Uri};
use jsonwebtoken::EncodingKey;
use tokio::task::JoinSet;

use crate::cli::{Cli, HammerArgs, Target};
use crate::http::{Pool, Server, outcome};
use crate::monitor::Monitor;
use crate::phones::POLL_TIMEOUT;
use crate::setup::{start_phones, unix_ms};
use crate::stats::{Failure, Stats, Window, check, latency_line};

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

pub async fn hammer_mode(cli: &Cli, args: &HammerArgs, secret: &EncodingKey) -> Result<(), String> {
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
