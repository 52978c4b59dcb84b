//! Managing endpoints: super admins only, the secret shown once and rotated, bad input refused
//! with nothing changed.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{Receiver, app_allowing_private, create_endpoint, of_type};
use crate::helpers::*;

#[tokio::test]
async fn only_super_admins_manage_webhooks() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.agent("owner@example.com", "super_admin").await;
    let (id, _) = create_endpoint(
        &app,
        &admin,
        "https://hooks.example.com/in",
        &["message.created"],
    )
    .await;
    let user = app.user_token("u_nosy");
    for role in ["chat_admin", "support_admin"] {
        let (_, token) = app.agent(&format!("{role}@example.com"), role).await;
        for (method, path) in [
            (Method::GET, "/api/admin/webhooks".to_string()),
            (Method::POST, "/api/admin/webhooks".to_string()),
            (Method::GET, format!("/api/admin/webhooks/{id}")),
            (Method::PUT, format!("/api/admin/webhooks/{id}")),
            (Method::DELETE, format!("/api/admin/webhooks/{id}")),
            (
                Method::POST,
                format!("/api/admin/webhooks/{id}/rotate-secret"),
            ),
            (Method::GET, format!("/api/admin/webhooks/{id}/deliveries")),
            (
                Method::POST,
                format!("/api/admin/webhooks/{id}/deliveries/1/redeliver"),
            ),
        ] {
            let body = json!({ "url": "https://x.example.com", "events": ["message.created"] });
            let (status, answer) = app
                .request(method.clone(), &path, Some(&token), Some(body))
                .await;
            assert_error(status, &answer, 403, "FORBIDDEN");
            let (status, answer) = app.request(method, &path, Some(&user), None).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{role} {path}: {answer}");
        }
    }
    let list = app.get_ok("/api/admin/webhooks", &admin).await;
    assert_eq!(list["data"]["webhooks"].as_array().unwrap().len(), 1);
    assert_eq!(
        list["data"]["webhooks"][0]["url"],
        "https://hooks.example.com/in"
    );
}

#[tokio::test]
async fn the_secret_is_shown_once_and_a_rotation_signs_what_follows() {
    let app = app_allowing_private().await;
    let receiver = Receiver::start();
    let (_, admin) = app.agent("owner@example.com", "super_admin").await;
    let (id, first) = create_endpoint(&app, &admin, &receiver.url(), &["session.created"]).await;
    let read = app
        .get_ok(&format!("/api/admin/webhooks/{id}"), &admin)
        .await;
    assert!(read["data"]["webhook"].get("secret").is_none(), "{read}");

    let rotated = app
        .post_ok(
            &format!("/api/admin/webhooks/{id}/rotate-secret"),
            &admin,
            json!({}),
        )
        .await;
    let second = rotated["data"]["webhook"]["secret"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(second.starts_with("whsec_") && second != first);
    receiver.control(&second, 204).await;
    app.start_session(&app.user_token("u_rot"), Some("chat_rot"))
        .await;
    let got = receiver.wait_for("a delivery", |r| r.len() == 1).await;
    assert_eq!(
        got[0]["verified"], true,
        "signed with the new secret: {got:?}"
    );
    receiver.control(&first, 204).await;
    app.start_session(&app.user_token("u_rot2"), Some("chat_rot2"))
        .await;
    let got = receiver.wait_for("another", |r| r.len() == 2).await;
    assert_eq!(
        got[1]["verified"], false,
        "the old secret no longer verifies"
    );

    // The audit log has every change, without the secret.
    let audit = app.get_ok("/api/admin/audit", &admin).await;
    let text = audit.to_string();
    assert!(
        text.contains("webhook_create") && text.contains("webhook_rotate_secret"),
        "{text}"
    );
    assert!(!text.contains(&first) && !text.contains(&second));
}

#[tokio::test]
async fn updates_keep_what_they_leave_out_and_deletes_stop_deliveries() {
    let app = app_allowing_private().await;
    let receiver = Receiver::start();
    let (_, admin) = app.agent("owner@example.com", "super_admin").await;
    let (id, secret) = create_endpoint(&app, &admin, &receiver.url(), &["message.created"]).await;
    receiver.control(&secret, 204).await;
    let changed = app
        .put_ok(
            &format!("/api/admin/webhooks/{id}"),
            &admin,
            json!({ "events": ["session.created", "session.ended"], "description": "CRM" }),
        )
        .await;
    let hook = &changed["data"]["webhook"];
    assert_eq!(hook["events"], json!(["session.created", "session.ended"]));
    assert_eq!(hook["description"], "CRM");
    assert_eq!(hook["url"], receiver.url().as_str());
    app.start_session(&app.user_token("u_upd"), Some("chat_upd"))
        .await;
    let got = receiver
        .wait_for("the new subscription", |r| r.len() == 1)
        .await;
    assert_eq!(of_type(&got, "session.created").len(), 1);

    app.delete_ok(&format!("/api/admin/webhooks/{id}"), &admin)
        .await;
    let (status, body) = app.get(&format!("/api/admin/webhooks/{id}"), &admin).await;
    assert_error(status, &body, 404, "NOT_FOUND");
    app.start_session(&app.user_token("u_gone"), Some("chat_gone"))
        .await;
    assert_eq!(
        app.count_rows("SELECT COUNT(*) FROM outbox_events"),
        0,
        "nobody wants events now"
    );
    assert_eq!(app.count_rows("SELECT COUNT(*) FROM webhook_deliveries"), 0);
}

#[tokio::test]
async fn bad_input_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.agent("owner@example.com", "super_admin").await;
    let long = "x".repeat(3000);
    let cases: Vec<(&str, Value)> = vec![
        ("no url", json!({ "events": ["message.created"] })),
        ("no events", json!({ "url": "https://a.example.com" })),
        (
            "no event at all",
            json!({ "url": "https://a.example.com", "events": [] }),
        ),
        (
            "an unknown event",
            json!({ "url": "https://a.example.com", "events": ["message.deleted"] }),
        ),
        (
            "events not a list",
            json!({ "url": "https://a.example.com", "events": "message.created" }),
        ),
        (
            "a url of numbers",
            json!({ "url": 12, "events": ["message.created"] }),
        ),
        (
            "a relative url",
            json!({ "url": "/hook", "events": ["message.created"] }),
        ),
        (
            "an ftp url",
            json!({ "url": "ftp://a.example.com/x", "events": ["message.created"] }),
        ),
        (
            "a script url",
            json!({ "url": "javascript:alert(1)", "events": ["message.created"] }),
        ),
        (
            "a huge url",
            json!({ "url": format!("https://a.example.com/{long}"), "events": ["message.created"] }),
        ),
        (
            "a huge description",
            json!({ "url": "https://a.example.com", "events": ["message.created"], "description": long }),
        ),
        (
            "active not a bool",
            json!({ "url": "https://a.example.com", "events": ["message.created"], "active": "yes" }),
        ),
        (
            "an unknown field",
            json!({ "url": "https://a.example.com", "events": ["message.created"], "secret": "whsec_mine" }),
        ),
        ("not an object", json!(["https://a.example.com"])),
    ];
    for (what, body) in cases {
        let (status, answer) = app.post("/api/admin/webhooks", &admin, body).await;
        assert_error(status, &answer, 400, "VALIDATION_ERROR");
        assert!(answer["message"].is_string(), "{what}: {answer}");
    }
    assert_eq!(app.count_rows("SELECT COUNT(*) FROM webhook_endpoints"), 0);

    // Unknown and malformed ids.
    for path in [
        "/api/admin/webhooks/wh_nope",
        "/api/admin/webhooks/wh_nope/deliveries",
    ] {
        let (status, body) = app.get(path, &admin).await;
        assert_error(status, &body, 404, "NOT_FOUND");
    }
    let (id, _) = create_endpoint(
        &app,
        &admin,
        "https://a.example.com/in",
        &["message.created"],
    )
    .await;
    let (status, body) = app
        .post(
            &format!("/api/admin/webhooks/{id}/deliveries/999999/redeliver"),
            &admin,
            json!({}),
        )
        .await;
    assert_error(status, &body, 404, "NOT_FOUND");
    let (status, body) = app
        .post(
            &format!("/api/admin/webhooks/{id}/deliveries/abc/redeliver"),
            &admin,
            json!({}),
        )
        .await;
    assert_error(status, &body, 400, "VALIDATION_ERROR");
    let (status, body) = app
        .post(
            &format!("/api/admin/webhooks/{id}/deliveries/99999999999999999999999/redeliver"),
            &admin,
            json!({}),
        )
        .await;
    assert_error(status, &body, 400, "VALIDATION_ERROR");
    let (status, body) = app
        .put(
            &format!("/api/admin/webhooks/{id}"),
            &admin,
            json!({ "url": "ftp://x" }),
        )
        .await;
    assert_error(status, &body, 400, "VALIDATION_ERROR");
    let read = app
        .get_ok(&format!("/api/admin/webhooks/{id}"), &admin)
        .await;
    assert_eq!(
        read["data"]["webhook"]["url"], "https://a.example.com/in",
        "unchanged"
    );
    let (status, body) = app
        .delete(&format!("/api/admin/webhooks/{id}x"), &admin)
        .await;
    assert_error(status, &body, 404, "NOT_FOUND");
}

#[tokio::test]
async fn another_endpoints_delivery_cannot_be_redelivered_through_this_one() {
    let app = app_allowing_private().await;
    let receiver = Receiver::start();
    let (_, admin) = app.agent("owner@example.com", "super_admin").await;
    let (a, secret) = create_endpoint(&app, &admin, &receiver.url(), &["session.created"]).await;
    let (b, _) = create_endpoint(
        &app,
        &admin,
        "https://b.example.com/in",
        &["rating.created"],
    )
    .await;
    receiver.control(&secret, 204).await;
    app.start_session(&app.user_token("u_x"), Some("chat_x"))
        .await;
    receiver.wait_for("a delivery", |r| r.len() == 1).await;
    let delivery = app.count_rows("SELECT id FROM webhook_deliveries");
    let (status, body) = app
        .post(
            &format!("/api/admin/webhooks/{b}/deliveries/{delivery}/redeliver"),
            &admin,
            json!({}),
        )
        .await;
    assert_error(status, &body, 404, "NOT_FOUND");
    let (status, _) = app
        .post(
            &format!("/api/admin/webhooks/{a}/deliveries/{delivery}/redeliver"),
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}
