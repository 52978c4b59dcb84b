//! Hostile connections: silent and slowloris connections are closed by the header-read
//! timeout, idle kept-alive ones by the keep-alive timeout, an address over its cap loses its
//! newest connections, and with most descriptors held by an attacker a fresh client still
//! gets answers.

use std::net::SocketAddr;
use std::os::unix::process::CommandExt;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::helpers::*;
use crate::process::{Server, call, call_ok};

/// Opens a connection from `source` (any 127.0.0.0/8 address is loopback on Linux), so the
/// server sees an attacker's address apart from the test client's 127.0.0.1.
async fn connect_from(source: &str, server: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().expect("socket");
    socket
        .bind(format!("{source}:0").parse().unwrap())
        .expect("bind the source address");
    socket.connect(server).await.expect("connected")
}

/// Whether the server has closed the connection (a read sees the end), without waiting.
fn closed_by_server(stream: &TcpStream) -> bool {
    let mut byte = [0u8; 1];
    match stream.try_read(&mut byte) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => false,
        Err(_) => true,
    }
}

/// Reads until the server closes the connection; what it sent before, if anything.
async fn read_until_closed(stream: &mut TcpStream) -> Vec<u8> {
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return seen,
            Ok(n) => seen.extend_from_slice(&buf[..n]),
        }
    }
}

fn addr(base: &str) -> SocketAddr {
    base.trim_start_matches("http://").parse().unwrap()
}

/// The test process holds a few hundred sockets here; its own soft limit goes to the hard one.
fn raise_own_fd_limit() {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit only read and write the struct they are given.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}

const CHILD_SOFT_LIMIT: u64 = 128;
const CHILD_HARD_LIMIT: u64 = 256;

#[tokio::test]
async fn a_fresh_client_gets_answers_while_an_attacker_holds_most_descriptors() {
    raise_own_fd_limit();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("frontdesk.db");
    // Long timeouts: here the caps alone must keep room for the fresh client.
    let env = [
        ("HEADER_READ_TIMEOUT_SECONDS", "600"),
        ("KEEP_ALIVE_TIMEOUT_SECONDS", "600"),
    ];
    let server = Server::start_configured(&db, &env, |cmd| {
        // SAFETY: the closure runs in the forked child before exec and only calls setrlimit,
        // which is async-signal-safe.
        unsafe {
            cmd.pre_exec(|| {
                let limit = libc::rlimit {
                    rlim_cur: CHILD_SOFT_LIMIT,
                    rlim_max: CHILD_HARD_LIMIT,
                };
                if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    });
    let log = server.log_lines().join("\n");
    assert!(
        log.contains(&format!("open_files={CHILD_HARD_LIMIT}")),
        "the soft limit is raised to the hard limit and logged:\n{log}"
    );
    let target = addr(&server.base);

    // The attacker tries for every descriptor the server has: idle connections from one
    // address, slowloris heads from another. Without the caps the server runs out and the
    // fresh client below is never accepted; with them the attacker holds most of them.
    let attempts = CHILD_HARD_LIMIT as usize;
    let slowloris = 30;
    let mut held = Vec::new();
    for _ in 0..attempts - slowloris {
        held.push(connect_from("127.0.0.2", target).await);
    }
    for _ in 0..slowloris {
        let mut stream = connect_from("127.0.0.3", target).await;
        // A refused one may already be closed; the write's outcome does not matter.
        let _ = stream
            .write_all(b"GET /api/chat/poll/chat_x HTTP/1.1\r\nHost: a\r\n")
            .await;
        held.push(stream);
    }

    // The listener hands connections over in the order they were made, so by the time this
    // one is answered the server has taken (and counted or refused) every attacker connection.
    let client = reqwest::Client::builder()
        .timeout(PATIENCE)
        .build()
        .unwrap();
    let token = user_token_with(json!({ "sub": "fresh", "exp": now_secs() + 3600 }));
    let started = call_ok(
        &client,
        reqwest::Method::POST,
        format!("{}/api/chat/session", server.base),
        &token,
        Some(json!({})),
    )
    .await;
    let session = started["data"]["sessionId"].as_str().unwrap().to_string();
    let (status, poll) = call(
        &client,
        reqwest::Method::GET,
        format!("{}/api/chat/poll/{session}", server.base),
        &token,
        None,
    )
    .await
    .expect("the fresh client's poll is answered");
    assert_eq!(status, StatusCode::OK, "{poll}");
    assert_eq!(poll["success"], true, "{poll}");

    // Whatever the server could not hold it closed at once instead of running out.
    let over_the_cap = attempts - (CHILD_HARD_LIMIT as usize - 64);
    wait_until("the server closed the connections over its caps", || {
        let closed = held.iter().filter(|s| closed_by_server(s)).count();
        async move { closed >= over_the_cap }
    })
    .await;
}

#[tokio::test]
async fn silent_slowloris_and_idle_connections_are_closed_and_answered_ones_are_not_cut() {
    let app = TestApp::spawn_with(|s| {
        s.connections.header_read_timeout = Duration::from_secs(1);
        s.connections.keep_alive_timeout = Duration::from_secs(2);
    })
    .await;
    let target = addr(&app.base);

    // Never sends a byte.
    let mut silent = TcpStream::connect(target).await.unwrap();
    // Trickles a head that never ends, a line at a time.
    let mut slow = TcpStream::connect(target).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\n").await.unwrap();
    // One request answered, then nothing.
    let mut idle = TcpStream::connect(target).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
        .await
        .unwrap();

    let silent_seen = within(
        "the silent connection is closed",
        read_until_closed(&mut silent),
    )
    .await;
    assert!(silent_seen.is_empty(), "closed without an answer");

    within("the slowloris connection is closed", async {
        let mut buf = [0u8; 256];
        let mut tick = tokio::time::interval(Duration::from_millis(200));
        loop {
            tokio::select! {
                read = slow.read(&mut buf) => match read {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                },
                _ = tick.tick() => {
                    if slow.write_all(b"X-Slow: 1\r\n").await.is_err() {
                        break;
                    }
                }
            }
        }
    })
    .await;

    let idle_seen = within(
        "the idle connection is closed",
        read_until_closed(&mut idle),
    )
    .await;
    let idle_seen = String::from_utf8_lossy(&idle_seen);
    assert!(idle_seen.starts_with("HTTP/1.1 200"), "{idle_seen}");
    assert!(idle_seen.contains(r#""status":"ok""#), "{idle_seen}");

    // A long-poll held past both timeouts is a request in flight, not an idle connection.
    let token = app.user_token("u1");
    app.start_session(&token, Some("chat_held")).await;
    let (status, body) = app.get("/api/chat/poll/chat_held?wait=3", &token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn an_address_over_its_cap_loses_its_newest_connections_and_others_are_served() {
    let app = TestApp::spawn_with(|s| {
        s.connections.max_per_address = 5;
        s.connections.header_read_timeout = Duration::from_secs(600);
    })
    .await;
    let target = addr(&app.base);
    let mut held = Vec::new();
    for _ in 0..8 {
        held.push(connect_from("127.0.0.2", target).await);
    }
    // Answered after the server has taken all eight (connections are handed over in order).
    let (status, body) = app
        .request(reqwest::Method::GET, "/healthz", None, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    wait_until("the three newest are closed", || {
        let closed = held.iter().filter(|s| closed_by_server(s)).count();
        async move { closed == 3 }
    })
    .await;
    let closed: Vec<bool> = held.iter().map(closed_by_server).collect();
    assert_eq!(
        closed,
        [false, false, false, false, false, true, true, true],
        "the newest ones are the ones closed"
    );
}

#[tokio::test]
async fn a_trickled_request_body_is_refused_in_the_envelope_once_the_header_timeout_passes() {
    let app = TestApp::spawn_with(|s| {
        s.connections.header_read_timeout = Duration::from_secs(1);
    })
    .await;
    let token = app.user_token("u1");
    app.start_session(&token, Some("chat_slow_body")).await;
    let mut stream = TcpStream::connect(addr(&app.base)).await.unwrap();
    let head = format!(
        "POST /api/chat/message HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"sessionId\": "
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let reply = within(
        "the server answers and closes",
        read_until_closed(&mut stream),
    )
    .await;
    let reply = String::from_utf8_lossy(&reply);
    assert!(reply.starts_with("HTTP/1.1 400"), "{reply}");
    assert!(reply.contains(r#""code":"VALIDATION_ERROR""#), "{reply}");
    assert_eq!(
        app.count_rows("SELECT COUNT(*) FROM messages WHERE sender != 'system'"),
        0
    );
}
