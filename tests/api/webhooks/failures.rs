//! Failed deliveries: retried with the same id on the backoff schedule, redelivered on request,
//! given up after a day (the endpoint disabled), kept across kill -9; inward addresses refused.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use super::{Receiver, create_endpoint, deliveries, of_type};
use crate::helpers::*;
use crate::process::{Server, call_ok, run};

/// A server on a clock the test moves, allowed to deliver to loopback.
async fn app_on_test_clock() -> TestApp {
    TestApp::spawn_with(|s| {
        s.webhook_allow_private = true;
        s.clock = frontdesk::clock::Clock::running_from(frontdesk::domain::Timestamp(
            (now_secs() * 1000) as i64,
        ));
    })
    .await
}

#[tokio::test]
async fn a_failed_delivery_is_retried_with_the_same_id_and_can_be_redelivered() {
    let app = app_on_test_clock().await;
    let receiver = Receiver::start();
    let (_, admin) = app.agent("owner@example.com", "super_admin").await;
    let (id, secret) = create_endpoint(&app, &admin, &receiver.url(), &["session.created"]).await;
    receiver.control(&secret, 500).await;
    app.start_session(&app.user_token("u_retry"), Some("chat_retry"))
        .await;

    receiver.wait_for("a first attempt", |r| r.len() == 1).await;
    wait_until("the failure recorded", || async {
        let list = deliveries(&app, &admin, &id).await;
        list.len() == 1 && list[0]["attempts"] == 1
    })
    .await;
    let pending = &deliveries(&app, &admin, &id).await[0];
    assert_eq!(pending["status"], "pending", "{pending}");
    assert_eq!(pending["responseStatus"], 500);
    assert!(pending["nextAttemptAt"].is_string(), "{pending}");

    // Not before its time; then again, same id, and this time it is taken.
    receiver.control(&secret, 200).await;
    app.clock.advance(Duration::from_secs(6));
    let got = receiver.wait_for("the retry", |r| r.len() == 2).await;
    assert_eq!(got[0]["id"], got[1]["id"], "a retry keeps its webhook-id");
    assert_eq!(got[1]["verified"], true);
    wait_until("delivered", || async {
        deliveries(&app, &admin, &id).await[0]["status"] == "delivered"
    })
    .await;

    // Redeliver: once more, same id.
    let delivery_id = deliveries(&app, &admin, &id).await[0]["deliveryId"]
        .as_i64()
        .unwrap();
    let again = app
        .post_ok(
            &format!("/api/admin/webhooks/{id}/deliveries/{delivery_id}/redeliver"),
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(again["data"]["delivery"]["status"], "pending");
    let got = receiver.wait_for("the redelivery", |r| r.len() == 3).await;
    assert_eq!(got[2]["id"], got[0]["id"]);
    assert_eq!(got[2]["verified"], true);
}

#[tokio::test]
async fn a_day_of_failures_fails_the_delivery_and_disables_the_endpoint() {
    let app = app_on_test_clock().await;
    let receiver = Receiver::start();
    let (_, admin) = app.agent("owner@example.com", "super_admin").await;
    let (id, secret) = create_endpoint(&app, &admin, &receiver.url(), &["session.created"]).await;
    receiver.control(&secret, 503).await;
    app.start_session(&app.user_token("u_day"), Some("chat_day"))
        .await;
    let status = |app: &TestApp| {
        app.count_rows("SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'failed'")
    };
    // Each jump of 11 hours makes the next retry due; the fourth attempt comes 33 hours in,
    // past the day, so it is the last.
    for attempt in 1..=4 {
        receiver
            .wait_for(&format!("attempt {attempt}"), |r| r.len() == attempt)
            .await;
        wait_until("the attempt recorded", || async {
            app.count_rows("SELECT attempts FROM webhook_deliveries") == attempt as i64
        })
        .await;
        if attempt < 4 {
            assert_eq!(status(&app), 0, "still retried after attempt {attempt}");
            app.clock.advance(Duration::from_secs(11 * 3600));
        }
    }
    assert_eq!(status(&app), 1, "given up after a day");
    assert_eq!(
        app.count_rows(
            "SELECT COUNT(*) FROM webhook_endpoints WHERE active = FALSE AND disabled_reason LIKE '%24 hours%503%'"
        ),
        1,
        "the endpoint is disabled and says why"
    );
    let got = receiver.received().await;
    assert!(got.iter().all(|r| r["id"] == got[0]["id"]));
    // The dashboard's and the API's view say so (a fresh sign-in: the old token has expired).
    let admin = app.login("owner@example.com").await;
    let webhook = app
        .get_ok(&format!("/api/admin/webhooks/{id}"), &admin)
        .await;
    assert_eq!(webhook["data"]["webhook"]["active"], false);
    assert!(
        webhook["data"]["webhook"]["disabledReason"]
            .as_str()
            .unwrap()
            .contains("24 hours"),
        "{webhook}"
    );
    // Turning it on again clears the record.
    let on = app
        .request(
            reqwest::Method::PATCH,
            &format!("/api/admin/webhooks/{id}"),
            Some(&admin),
            Some(json!({ "active": true })),
        )
        .await;
    assert_eq!(on.0, StatusCode::OK, "{}", on.1);
    assert_eq!(
        on.1["data"]["webhook"]["disabledReason"],
        serde_json::Value::Null
    );
}

#[tokio::test]
async fn a_pending_delivery_survives_kill_9_and_arrives_after_the_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hooks.db");
    let env = [("WEBHOOK_ALLOW_PRIVATE", "true")];
    let receiver = Receiver::start();
    let client = reqwest::Client::new();
    let admin_password = "a long enough password";
    let (ok, out, err) = run(
        &db,
        &[
            "admin",
            "create",
            "--email",
            "owner@example.com",
            "--name",
            "Owner",
            "--role",
            "super_admin",
            "--password-stdin",
        ],
        &[],
        Some(&format!("{admin_password}\n")),
    );
    assert!(ok, "{out}{err}");
    let mut server = Server::start_with(&db, &env);
    let login = client
        .post(format!("{}/api/admin/login", server.base))
        .json(&json!({ "email": "owner@example.com", "password": admin_password }))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::OK);
    let login: serde_json::Value = login.json().await.unwrap();
    let admin = login["data"]["accessToken"].as_str().unwrap().to_string();
    let endpoint = call_ok(
        &client,
        reqwest::Method::POST,
        format!("{}/api/admin/webhooks", server.base),
        &admin,
        Some(json!({ "url": receiver.url(), "events": ["session.created"] })),
    )
    .await;
    let secret = endpoint["data"]["webhook"]["secret"].as_str().unwrap();
    receiver.control(secret, 500).await;
    let user = user_token_with(json!({ "sub": "u_kill", "exp": now_secs() + 3600 }));
    call_ok(
        &client,
        reqwest::Method::POST,
        format!("{}/api/chat/session", server.base),
        &user,
        Some(json!({ "sessionId": "chat_kill" })),
    )
    .await;
    receiver
        .wait_for("a failed first attempt", |r| r.len() == 1)
        .await;

    server.child.kill().expect("SIGKILL");
    server.child.wait().unwrap();
    receiver.control(secret, 204).await;
    let _server = Server::start_with(&db, &env);
    // The retry is due 5 s after the failure; it comes from the restarted server.
    let got = receiver
        .wait_for("the retry after the restart", |r| {
            r.iter().any(|d| d["answered"] == 204)
        })
        .await;
    assert!(got.iter().all(|d| d["id"] == got[0]["id"]), "{got:?}");
    let taken: Vec<_> = got.iter().filter(|d| d["answered"] == 204).collect();
    assert_eq!(taken.len(), 1, "{got:?}");
    assert_eq!(taken[0]["verified"], true);
    assert_eq!(of_type(&got, "session.created").len(), got.len());
}

#[tokio::test]
async fn inward_addresses_are_refused_unless_allowed() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.agent("owner@example.com", "super_admin").await;
    for url in [
        "http://127.0.0.1:9/hook",
        "http://10.0.0.7/hook",
        "http://192.168.1.1/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]:9/hook",
        "http://0.0.0.0/hook",
    ] {
        let (status, body) = app
            .post(
                "/api/admin/webhooks",
                &admin,
                json!({ "url": url, "events": ["message.created"] }),
            )
            .await;
        assert_error(status, &body, 400, "VALIDATION_ERROR");
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("WEBHOOK_ALLOW_PRIVATE"),
            "{url}: {body}"
        );
    }
    assert_eq!(app.count_rows("SELECT COUNT(*) FROM webhook_endpoints"), 0);

    // A name that resolves inward is refused when it is resolved, at delivery.
    let receiver = Receiver::start();
    let url = format!("http://localhost:{}/hook", receiver.port);
    let (id, secret) = create_endpoint(&app, &admin, &url, &["session.created"]).await;
    receiver.control(&secret, 204).await;
    app.start_session(&app.user_token("u_ssrf"), Some("chat_ssrf"))
        .await;
    wait_until("the refused attempt recorded", || async {
        let list = deliveries(&app, &admin, &id).await;
        list.len() == 1 && list[0]["attempts"] == 1
    })
    .await;
    let refused = &deliveries(&app, &admin, &id).await[0];
    let error = refused["lastError"].as_str().unwrap();
    assert!(
        error.contains("refused: localhost resolves to") && error.contains("loopback"),
        "{refused}"
    );
    assert_eq!(
        refused["status"], "pending",
        "retried in case the name changes"
    );
    assert!(receiver.received().await.is_empty(), "nothing reached it");
}
