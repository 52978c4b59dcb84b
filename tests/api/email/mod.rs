//! Email (SPEC.md section 10) against an SMTP sink the test runs (aiosmtpd): offline messages
//! to the team, replies to the visitor, transcripts, waiting alerts, retries; parts escaped.

mod crash;
mod flows;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use frontdesk::config::{EmailSettings, SecretString};
use serde_json::{Value, json};

use crate::helpers::{TestApp, fixture, now_secs, wait_until};

pub const TEAM: &str = "team@shop.example";

/// tests/fixtures/smtp_sink.py, run with python3.
pub struct Sink {
    child: Child,
    pub smtp_port: u16,
    control_port: u16,
    client: reqwest::Client,
}

impl Sink {
    pub fn start() -> Sink {
        let mut child = Command::new("python3")
            .arg(fixture("smtp_sink.py"))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 runs the SMTP sink");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let ports: Vec<u16> = line
            .split_whitespace()
            .filter_map(|p| p.parse().ok())
            .collect();
        assert_eq!(
            ports.len(),
            2,
            "the sink prints its ports (is aiosmtpd installed? scripts/install-test-deps.sh installs it): {line:?}"
        );
        Sink {
            child,
            smtp_port: ports[0],
            control_port: ports[1],
            client: reqwest::Client::new(),
        }
    }

    /// Refuse every email with `answer` (an SMTP reply), or accept them again with "".
    pub async fn refuse(&self, answer: &str) {
        let status = self
            .client
            .post(format!("http://127.0.0.1:{}/_control", self.control_port))
            .json(&json!({ "refuse": answer }))
            .send()
            .await
            .unwrap()
            .status();
        assert!(status.is_success());
    }

    pub async fn state(&self) -> Value {
        self.client
            .get(format!("http://127.0.0.1:{}/_mail", self.control_port))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    pub async fn mail(&self) -> Vec<Value> {
        self.state().await["mail"].as_array().unwrap().clone()
    }

    /// Waits until `count` emails have arrived; answers them.
    pub async fn wait_for(&self, count: usize) -> Vec<Value> {
        wait_until(&format!("{count} emails"), || async {
            self.mail().await.len() >= count
        })
        .await;
        self.mail().await
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A server sending mail to `sink`, on a clock the test can move.
pub async fn app_with_mail(sink: &Sink, alert_minutes: Option<u64>) -> TestApp {
    let now = frontdesk::domain::Timestamp((now_secs() * 1000) as i64);
    app_with_mail_and_clock(
        sink,
        alert_minutes,
        frontdesk::clock::Clock::running_from(now),
    )
    .await
}

/// A server whose clock moves only when the test advances it, so no retry falls due by itself.
pub async fn app_with_mail_on_a_still_clock(sink: &Sink) -> TestApp {
    let now = frontdesk::domain::Timestamp((now_secs() * 1000) as i64);
    app_with_mail_and_clock(sink, None, frontdesk::clock::Clock::fixed(now)).await
}

async fn app_with_mail_and_clock(
    sink: &Sink,
    alert_minutes: Option<u64>,
    clock: frontdesk::clock::Clock,
) -> TestApp {
    let port = sink.smtp_port;
    TestApp::spawn_with(move |s| {
        s.email = Some(EmailSettings {
            smtp_url: SecretString::from(format!("smtp://127.0.0.1:{port}")),
            from: "Shop Support <support@shop.example>".into(),
            notify: Some(TEAM.into()),
            alert_after: alert_minutes.map(|m| Duration::from_secs(m * 60)),
        });
        s.public_url = Some("https://chat.shop.example".into());
        s.clock = clock;
    })
    .await
}
