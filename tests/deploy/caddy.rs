//! Caddy: the Caddyfile adapts and validates, its upload cap fits the server, and long-polls
//! and event streams get through it to the real server.

use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::*;

/// Caddy's own files (its data and config folders) in `dir`, never in the real home.
fn caddy_command(dir: &Path) -> Command {
    let mut command = Command::new(tool("caddy", "caddy"));
    command
        .env("HOME", dir)
        .env("XDG_DATA_HOME", dir.join("data"))
        .env("XDG_CONFIG_HOME", dir.join("config"));
    command
}

#[test]
fn caddy_accepts_the_caddyfile_and_its_upload_size_fits_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("Caddyfile");
    std::fs::copy(repo_file("deploy/Caddyfile"), &file).unwrap();
    let adapted = caddy_command(dir.path())
        .args(["adapt", "--validate", "--adapter", "caddyfile", "--config"])
        .arg(&file)
        .output()
        .expect("caddy runs");
    assert!(adapted.status.success(), "caddy adapt:\n{}", text(&adapted));
    let config: Value = serde_json::from_slice(&adapted.stdout).expect("the adapted JSON");
    let limit = find_key(&config, "max_size").expect("a request body limit");
    let settings = frontdesk::Settings::default();
    assert_eq!(
        limit.as_u64(),
        Some(settings.attachments.max_bytes + 64 * 1024),
        "the largest upload and its multipart framing"
    );
}

fn find_key<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    match value {
        Value::Object(map) => map
            .get(key)
            .or_else(|| map.values().find_map(|v| find_key(v, key))),
        Value::Array(items) => items.iter().find_map(|v| find_key(v, key)),
        _ => None,
    }
}

/// Caddy serving deploy/Caddyfile over plain HTTP on a loopback port (the site's own
/// certificate handling needs a public name), pointed at `upstream`; stopped when dropped.
struct Caddy {
    child: Child,
    _dir: tempfile::TempDir,
    port: u16,
}

impl Caddy {
    fn start(upstream: SocketAddr) -> Caddy {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut site = std::fs::read_to_string(repo_file("deploy/Caddyfile")).unwrap();
        site = substitute(
            site,
            "chat.example.com {",
            &format!("{{\n\tauto_https off\n\tadmin off\n}}\n\nhttp://127.0.0.1:{port} {{"),
        );
        site = substitute(
            site,
            "reverse_proxy 127.0.0.1:8080 {",
            &format!("reverse_proxy {upstream} {{"),
        );
        let file = dir.path().join("Caddyfile");
        std::fs::write(&file, site).unwrap();
        let log = std::fs::File::create(dir.path().join("caddy.log")).unwrap();
        let mut child = caddy_command(dir.path())
            .args(["run", "--adapter", "caddyfile", "--config"])
            .arg(&file)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("caddy starts");
        let deadline = Instant::now() + PATIENCE;
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            let log = || std::fs::read_to_string(dir.path().join("caddy.log")).unwrap_or_default();
            if let Ok(Some(status)) = child.try_wait() {
                panic!("caddy exited ({status}):\n{}", log());
            }
            assert!(
                Instant::now() < deadline,
                "caddy never listened:\n{}",
                log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Caddy {
            child,
            _dir: dir,
            port,
        }
    }
}

impl Drop for Caddy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn long_polls_and_event_streams_get_through_caddy() {
    let work = tempfile::tempdir().unwrap();
    let server = Server::start(work.path());
    let caddy = Caddy::start(server.addr);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let proxy = format!("http://127.0.0.1:{}", caddy.port);
    pass_realtime_traffic(&server, &client, &proxy, "chat_through_caddy").await;
}
