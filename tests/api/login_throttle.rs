//! Sign-in throttling: failures count per (address, account) and per address with a doubling
//! back-off, so an attacker at one address cannot lock the agent out from another, and a
//! locked answer does not tell whether the email exists. The clock stands still, so a lock
//! lasts until the test moves the clock.

use std::time::Duration;

use frontdesk::clock::Clock;
use frontdesk::domain::{Timestamp, TrustedProxies};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::dashboard::client::Browser;
use crate::helpers::*;

const AGENT: &str = "sarah@example.com";
const ATTACKER: &str = "198.51.100.66";
const OFFICE: &str = "203.0.113.10";

/// A server behind a trusted proxy (127.0.0.1), with a standing clock and small budgets.
async fn spawn(per_account: u32, per_address: u32) -> TestApp {
    let now = Timestamp(chrono::Utc::now().timestamp_millis());
    TestApp::spawn_with(|s| {
        s.clock = Clock::fixed(now);
        s.trusted_proxies = TrustedProxies::parse("127.0.0.1").unwrap();
        s.login_failures_per_account = per_account;
        s.login_failures_per_address = per_address;
    })
    .await
}

/// What a sign-in answered: status, Retry-After (if any) and the envelope.
struct Attempt {
    status: StatusCode,
    retry_after: Option<String>,
    body: Value,
}

async fn log_in(app: &TestApp, from: &str, email: &str, password: &str) -> Attempt {
    let response = app
        .client
        .post(app.url("/api/admin/login"))
        .header("x-forwarded-for", from)
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
        .expect("request sent");
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    let (status, body) = decode(response).await;
    Attempt {
        status,
        retry_after,
        body,
    }
}

async fn fail(app: &TestApp, from: &str, email: &str, times: usize) {
    for _ in 0..times {
        let answer = log_in(app, from, email, "wrong password").await;
        assert_error(answer.status, &answer.body, 401, "AUTHENTICATION_FAILED");
    }
}

fn assert_locked(answer: &Attempt) {
    assert_error(answer.status, &answer.body, 429, "RATE_LIMITED");
    let seconds: u64 = answer
        .retry_after
        .as_deref()
        .expect("Retry-After")
        .parse()
        .unwrap();
    assert!(seconds >= 1);
    assert_eq!(
        answer.body["error"]["details"]["retryAfterSeconds"].as_u64(),
        Some(seconds),
        "{}",
        answer.body
    );
}

#[tokio::test]
async fn an_attackers_failures_do_not_lock_the_agent_out_from_another_address() {
    let app = spawn(3, 10).await;
    app.create_agent(AGENT, "Sarah", "chat_admin").await;
    app.create_agent("bob@example.com", "Bob", "chat_admin")
        .await;
    fail(&app, ATTACKER, AGENT, 3).await;

    // The attacker's address is now locked for this account, even with the right password.
    let locked = log_in(&app, ATTACKER, AGENT, AGENT_PASSWORD).await;
    assert_locked(&locked);

    // The agent, from the office, signs in.
    let agent = log_in(&app, OFFICE, AGENT, AGENT_PASSWORD).await;
    assert_eq!(agent.status, StatusCode::OK, "{}", agent.body);
    // Somebody else behind the attacker's address is within that address's budget.
    let bob = log_in(&app, ATTACKER, "bob@example.com", AGENT_PASSWORD).await;
    assert_eq!(bob.status, StatusCode::OK, "{}", bob.body);

    // The lock runs out; the next failure locks for twice as long.
    let first: u64 = locked.retry_after.unwrap().parse().unwrap();
    app.clock.advance(Duration::from_secs(first));
    fail(&app, ATTACKER, AGENT, 1).await;
    let again = log_in(&app, ATTACKER, AGENT, AGENT_PASSWORD).await;
    assert_locked(&again);
    assert_eq!(again.retry_after.unwrap(), (2 * first).to_string());
}

#[tokio::test]
async fn a_locked_answer_is_the_same_for_a_known_and_an_unknown_email() {
    let app = spawn(2, 10).await;
    app.create_agent(AGENT, "Sarah", "chat_admin").await;
    fail(&app, ATTACKER, AGENT, 2).await;
    fail(&app, "198.51.100.67", "nobody@example.com", 2).await;

    let known = log_in(&app, ATTACKER, AGENT, "any password").await;
    let unknown = log_in(&app, "198.51.100.67", "nobody@example.com", "any password").await;
    assert_locked(&known);
    assert_locked(&unknown);
    assert_eq!(known.retry_after, unknown.retry_after);
    assert_eq!(known.body["message"], unknown.body["message"]);
    assert_eq!(known.body["error"]["code"], unknown.body["error"]["code"]);
    assert_eq!(
        known.body["error"]["details"]["retryAfterSeconds"],
        unknown.body["error"]["details"]["retryAfterSeconds"]
    );
}

#[tokio::test]
async fn the_address_budget_locks_that_address_for_every_account() {
    let app = spawn(10, 3).await;
    app.create_agent(AGENT, "Sarah", "chat_admin").await;
    for i in 0..3 {
        fail(&app, ATTACKER, &format!("guess{i}@example.com"), 1).await;
    }
    assert_locked(&log_in(&app, ATTACKER, AGENT, AGENT_PASSWORD).await);
    let agent = log_in(&app, OFFICE, AGENT, AGENT_PASSWORD).await;
    assert_eq!(agent.status, StatusCode::OK, "{}", agent.body);
}

#[tokio::test]
async fn dashboard_sign_in_shares_the_throttle() {
    let app = spawn(2, 10).await;
    app.create_agent(AGENT, "Sarah", "chat_admin").await;
    fail(&app, ATTACKER, AGENT, 2).await;

    let mut browser = Browser::new(&app);
    browser.get_ok("/admin/login").await;
    let form = [
        ("email", AGENT),
        ("password", AGENT_PASSWORD),
        ("csrf", &browser.csrf()),
    ];
    let request = browser
        .request(reqwest::Method::POST, "/admin/login")
        .header("x-forwarded-for", ATTACKER)
        .form(&form);
    let page = browser.send(request).await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS, "{}", page.body);
    assert!(page.headers.contains_key("retry-after"));
    assert!(
        page.body.contains("Too many failed sign-in attempts"),
        "{}",
        page.body
    );

    let mut office = Browser::new(&app);
    office.get_ok("/admin/login").await;
    let form = [
        ("email", AGENT),
        ("password", AGENT_PASSWORD),
        ("csrf", &office.csrf()),
    ];
    let request = office
        .request(reqwest::Method::POST, "/admin/login")
        .header("x-forwarded-for", OFFICE)
        .form(&form);
    let page = office.send(request).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
}

#[tokio::test]
async fn parallel_guesses_cannot_outrun_the_budget() {
    let app = spawn(2, 50).await;
    app.create_agent(AGENT, "Sarah", "chat_admin").await;
    let guesses = (0..10).map(|i| {
        let request = app
            .client
            .post(app.url("/api/admin/login"))
            .header("x-forwarded-for", ATTACKER)
            .json(&json!({ "email": AGENT, "password": format!("guess {i}") }));
        tokio::spawn(async move { decode(request.send().await.expect("request sent")).await })
    });
    let mut checked = 0;
    for guess in guesses.collect::<Vec<_>>() {
        let (status, body) = within("a parallel guess", guess).await.expect("task");
        if status == StatusCode::UNAUTHORIZED {
            checked += 1;
        } else {
            assert_error(status, &body, 429, "RATE_LIMITED");
        }
    }
    assert_eq!(checked, 2, "only the free failures were checked");
    assert_locked(&log_in(&app, ATTACKER, AGENT, AGENT_PASSWORD).await);
}
