//! Webhooks (SPEC.md section 10): endpoints, signed deliveries verified by the Standard
//! Webhooks reference library, retries, redelivery, kill -9, SSRF refusals and bad input.

mod delivery;
mod endpoints;
mod failures;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, fixture, wait_until};

/// The receiver in tests/fixtures/webhook_receiver.py, run with python3.
pub struct Receiver {
    child: Child,
    pub port: u16,
    client: reqwest::Client,
}

impl Receiver {
    pub fn start() -> Receiver {
        let mut child = Command::new("python3")
            .arg(fixture("webhook_receiver.py"))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 runs the webhook receiver");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line.trim().parse().unwrap_or_else(|_| {
            panic!(
                "the receiver prints its port (is the standardwebhooks package installed? \
                 scripts/install-test-deps.sh installs it): {line:?}"
            )
        });
        Receiver {
            child,
            port,
            client: reqwest::Client::new(),
        }
    }

    /// Where deliveries go.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hook", self.port)
    }

    /// Sets the secret deliveries are verified with and the status they are answered with.
    pub async fn control(&self, secret: &str, status: u16) {
        let answer = self
            .client
            .post(format!("http://127.0.0.1:{}/_control", self.port))
            .json(&json!({ "secret": secret, "status": status }))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::OK);
    }

    pub async fn received(&self) -> Vec<Value> {
        let answer = self
            .client
            .get(format!("http://127.0.0.1:{}/_received", self.port))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::OK);
        answer.json().await.unwrap()
    }

    /// Waits until `check` holds for what was received; answers it.
    pub async fn wait_for(&self, what: &str, check: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        wait_until(what, || async { check(&self.received().await) }).await;
        self.received().await
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Deliveries of one event type.
pub fn of_type<'a>(received: &'a [Value], kind: &str) -> Vec<&'a Value> {
    received
        .iter()
        .filter(|r| r["body"]["type"] == kind)
        .collect()
}

/// A server that may deliver to loopback, where the test's receiver listens.
pub async fn app_allowing_private() -> TestApp {
    TestApp::spawn_with(|s| s.webhook_allow_private = true).await
}

/// Creates an endpoint as `admin`; answers its id and secret.
pub async fn create_endpoint(
    app: &TestApp,
    admin: &str,
    url: &str,
    events: &[&str],
) -> (String, String) {
    let answer = app
        .post_ok(
            "/api/admin/webhooks",
            admin,
            json!({ "url": url, "events": events, "description": "test receiver" }),
        )
        .await;
    let webhook = &answer["data"]["webhook"];
    let secret = webhook["secret"].as_str().expect("the secret, once");
    assert!(secret.starts_with("whsec_"), "{webhook}");
    (
        webhook["webhookId"].as_str().unwrap().to_string(),
        secret.to_string(),
    )
}

/// The endpoint's deliveries as the admin API lists them.
pub async fn deliveries(app: &TestApp, admin: &str, id: &str) -> Vec<Value> {
    app.get_ok(&format!("/api/admin/webhooks/{id}/deliveries"), admin)
        .await["data"]["deliveries"]
        .as_array()
        .unwrap()
        .clone()
}
