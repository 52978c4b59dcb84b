//! Senders mode: users sending durable messages back to back, each on its own session.

use std::sync::Arc;
use std::time::Instant;

use hyper::{Method, StatusCode, Uri};
use jsonwebtoken::EncodingKey;
use tokio::task::JoinSet;

use crate::cli::{Cli, SendersArgs};
use crate::http::{Pool, Server, outcome};
use crate::monitor::Monitor;
use crate::phones::POLL_TIMEOUT;
use crate::setup::{start_phones, unix_ms};
use crate::stats::{Failure, Stats, Window, check, latency_line};

pub async fn senders_mode(
    cli: &Cli,
    args: &SendersArgs,
    secret: &EncodingKey,
) -> Result<(), String> {
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
