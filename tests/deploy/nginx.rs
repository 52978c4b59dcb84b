//! nginx: `nginx -t` accepts deploy/nginx.conf, and long-polls and event streams get through
//! it to the real server.

use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;

use crate::support::*;

/// The loopback ports nginx listens on in place of 80 and 443, and the files it uses.
struct NginxSetup {
    dir: tempfile::TempDir,
    http: u16,
    https: u16,
}

impl NginxSetup {
    /// Writes deploy/nginx.conf into a temporary prefix, pointed at `upstream`, on free
    /// loopback ports, with a fresh self-signed certificate, inside a minimal main
    /// configuration that keeps every file nginx writes in the prefix.
    fn new(upstream: SocketAddr) -> NginxSetup {
        let dir = tempfile::tempdir().unwrap();
        let (http, https) = (free_port(), free_port());
        let cert = dir.path().join("cert.pem");
        let key = dir.path().join("key.pem");
        self_signed(&cert, &key);
        let mut site = read(&repo_file("deploy/nginx.conf"));
        for (from, to) in [
            ("server 127.0.0.1:8080;", format!("server {upstream};")),
            ("listen 80;", format!("listen 127.0.0.1:{http};")),
            ("listen [::]:80;", String::new()),
            (
                "listen 443 ssl http2;",
                format!("listen 127.0.0.1:{https} ssl http2;"),
            ),
            ("listen [::]:443 ssl http2;", String::new()),
            (
                "/etc/letsencrypt/live/chat.example.com/fullchain.pem",
                cert.display().to_string(),
            ),
            (
                "/etc/letsencrypt/live/chat.example.com/privkey.pem",
                key.display().to_string(),
            ),
        ] {
            site = substitute(site, from, &to);
        }
        let prefix = dir.path().display();
        std::fs::write(dir.path().join("frontdesk.conf"), site).unwrap();
        // Run as root (as CI is), nginx would hand its workers to `nobody`, who cannot enter
        // the private temporary folder.
        // SAFETY: geteuid has no preconditions and cannot fail.
        let user = if unsafe { libc::geteuid() } == 0 {
            "user root root;"
        } else {
            ""
        };
        let main = format!(
            "{user}
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log info;
events {{ worker_connections 512; }}
http {{
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    include {prefix}/frontdesk.conf;
}}
"
        );
        std::fs::write(dir.path().join("nginx.conf"), main).unwrap();
        NginxSetup { dir, http, https }
    }

    fn args(&self) -> Vec<String> {
        let prefix = self.dir.path().display().to_string();
        vec![
            "-p".into(),
            prefix.clone(),
            "-c".into(),
            format!("{prefix}/nginx.conf"),
            "-e".into(),
            format!("{prefix}/error.log"),
        ]
    }

    fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default()
    }
}

fn self_signed(cert: &Path, key: &Path) {
    let openssl = tool("openssl", "openssl");
    let made = run(
        &openssl,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=chat.example.com",
            "-keyout",
            key.to_str().unwrap(),
            "-out",
            cert.to_str().unwrap(),
        ],
    );
    assert!(made.status.success(), "{}", text(&made));
}

#[test]
fn nginx_accepts_the_configuration_and_its_upload_size_fits_the_server() {
    let nginx = tool("nginx", "nginx");
    let setup = NginxSetup::new("127.0.0.1:8080".parse().unwrap());
    let mut args = setup.args();
    args.insert(0, "-t".into());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let checked = run(&nginx, &args);
    assert!(checked.status.success(), "nginx -t:\n{}", text(&checked));

    // Uploads: the server accepts the largest file plus 64 KiB of multipart framing; the
    // proxy must let exactly that through.
    let site = read(&repo_file("deploy/nginx.conf"));
    let upload_cap = site
        .split("location ~ /attachments$ {")
        .nth(1)
        .and_then(|block| block.split("client_max_body_size ").nth(1))
        .and_then(|rest| rest.split_once("k;"))
        .map(|(kib, _)| kib.parse::<u64>().expect("a size in k") * 1024)
        .expect("an upload location with client_max_body_size in k");
    let settings = frontdesk::Settings::default();
    assert_eq!(upload_cap, settings.attachments.max_bytes + 64 * 1024);
    assert!(site.contains(&format!(
        "client_max_body_size {}k;",
        settings.max_body_bytes / 1024
    )));
}

/// nginx in the foreground, as one process, stopped when dropped.
struct Nginx(Child);

impl Nginx {
    fn start(setup: &NginxSetup) -> Nginx {
        let nginx = tool("nginx", "nginx");
        let mut child = Command::new(nginx)
            .args(setup.args())
            .args(["-g", "daemon off; master_process off;"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nginx starts");
        let deadline = Instant::now() + PATIENCE;
        while TcpStream::connect(("127.0.0.1", setup.https)).is_err() {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("nginx exited ({status}):\n{}", setup.error_log());
            }
            assert!(
                Instant::now() < deadline,
                "nginx never listened:\n{}",
                setup.error_log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Nginx(child)
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn long_polls_and_event_streams_get_through_nginx() {
    let work = tempfile::tempdir().unwrap();
    let server = Server::start(work.path());
    let setup = NginxSetup::new(server.addr);
    let _nginx = Nginx::start(&setup);
    let proxy = format!("https://127.0.0.1:{}", setup.https);
    let client = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();

    // Plain HTTP is sent to HTTPS; the request id makes the round trip.
    let redirect = client
        .get(format!("http://127.0.0.1:{}/healthz", setup.http))
        .send()
        .await
        .expect("the HTTP port answers");
    assert_eq!(redirect.status(), StatusCode::MOVED_PERMANENTLY);
    let health = client
        .get(format!("{proxy}/healthz"))
        .header("x-request-id", "through-the-proxy")
        .send()
        .await
        .expect("healthz through nginx");
    assert_eq!(health.status(), StatusCode::OK);
    assert_eq!(health.headers()["x-request-id"], "through-the-proxy");

    pass_realtime_traffic(&server, &client, &proxy, "chat_through_nginx").await;
}
