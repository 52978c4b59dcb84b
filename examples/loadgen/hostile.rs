//! `hostile`: phones polling while an attacker holds idle connections that never send a byte
//! and slowloris connections that trickle a request head that never ends. Whenever the server
//! closes one (its header-read timeout, or a cap), the attacker opens another, so the counts
//! stay held for the whole run. The phones' figures (p99, errors, server RSS) come from the
//! `phones` mode; this adds how often the server shed the attacker's connections.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use jsonwebtoken::EncodingKey;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio_util::sync::CancellationToken;

use crate::cli::{Cli, HostileArgs};
use crate::http::Server;
use crate::phones::phones_mode;

/// Pause before reopening a connection the server closed, so that a server refusing at once
/// does not turn the attacker into a busy loop that starves the phones of CPU.
const REOPEN_PAUSE: Duration = Duration::from_millis(200);

#[derive(Default)]
struct Tally {
    open: AtomicU64,
    closed_by_server: AtomicU64,
    connect_failures: AtomicU64,
}

#[derive(Clone, Copy)]
enum Kind {
    Idle,
    Slowloris { trickle: Duration },
}

pub async fn hostile_mode(
    cli: &Cli,
    args: &HostileArgs,
    secret: &EncodingKey,
) -> Result<(), String> {
    let server = Server::resolve(&cli.url).await?;
    let cancel = CancellationToken::new();
    let idle = Arc::new(Tally::default());
    let slow = Arc::new(Tally::default());
    eprintln!(
        "setup: holding {} idle connections (from {}) and {} slowloris connections (from {})",
        args.idle, args.idle_from, args.slowloris, args.slowloris_from
    );
    let trickle = Duration::from_millis(args.trickle_ms.max(1));
    for (count, from, kind, tally) in [
        (args.idle, args.idle_from, Kind::Idle, &idle),
        (
            args.slowloris,
            args.slowloris_from,
            Kind::Slowloris { trickle },
            &slow,
        ),
    ] {
        for _ in 0..count {
            tokio::spawn(hold(
                server.addr(),
                from,
                kind,
                tally.clone(),
                cancel.clone(),
            ));
        }
    }
    let result = phones_mode(cli, &args.phones, secret).await;
    cancel.cancel();
    for (name, tally) in [("idle", &idle), ("slowloris", &slow)] {
        println!(
            "attack {name}: {} open at the end, {} closed by the server and reopened, {} connects failed",
            tally.open.load(Relaxed),
            tally.closed_by_server.load(Relaxed),
            tally.connect_failures.load(Relaxed),
        );
    }
    result
}

/// Keeps one attacker connection open until `cancel`, reopening it whenever the server
/// closes it.
async fn hold(
    server: SocketAddr,
    from: IpAddr,
    kind: Kind,
    tally: Arc<Tally>,
    cancel: CancellationToken,
) {
    while !cancel.is_cancelled() {
        let Ok(mut stream) = connect_from(from, server).await else {
            tally.connect_failures.fetch_add(1, Relaxed);
            tokio::select! {
                () = cancel.cancelled() => return,
                () = tokio::time::sleep(REOPEN_PAUSE) => continue,
            }
        };
        tally.open.fetch_add(1, Relaxed);
        let closed = tokio::select! {
            () = cancel.cancelled() => false,
            () = until_closed(&mut stream, kind) => true,
        };
        tally.open.fetch_sub(1, Relaxed);
        if !closed {
            return;
        }
        tally.closed_by_server.fetch_add(1, Relaxed);
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(REOPEN_PAUSE) => {}
        }
    }
}

async fn connect_from(from: IpAddr, server: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = match from {
        IpAddr::V4(_) => TcpSocket::new_v4()?,
        IpAddr::V6(_) => TcpSocket::new_v6()?,
    };
    if !from.is_unspecified() {
        socket.bind(SocketAddr::new(from, 0))?;
    }
    socket.connect(server).await
}

/// Plays the attacker's part until the server closes the connection.
async fn until_closed(stream: &mut TcpStream, kind: Kind) {
    let mut buf = [0u8; 512];
    match kind {
        Kind::Idle => loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        },
        Kind::Slowloris { trickle } => {
            if stream
                .write_all(b"GET /healthz HTTP/1.1\r\n")
                .await
                .is_err()
            {
                return;
            }
            let mut tick = tokio::time::interval(trickle);
            tick.tick().await;
            loop {
                tokio::select! {
                    read = stream.read(&mut buf) => match read {
                        Ok(0) | Err(_) => return,
                        Ok(_) => {}
                    },
                    _ = tick.tick() => {
                        if stream.write_all(b"X-a: b\r\n").await.is_err() {
                            return;
                        }
                    }
                }
            }
        }
    }
}
