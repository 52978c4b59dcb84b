//! The deliveries page: a delivery a real event made to the test receiver, sent again with the
//! same `webhook-id` by its Redeliver button; a failing endpoint and one the server turned off
//! say so.

use reqwest::{StatusCode, header};

use super::client::Browser;
use super::webhooks::{add_through_the_form, endpoints};
use crate::helpers::*;
use crate::webhooks::{Receiver, app_allowing_private};

const ROOT: &str = "root@example.com";

/// The delivery ids of the Redeliver forms on a deliveries page, in page order.
fn redeliver_ids(html: &str, endpoint_id: &str) -> Vec<i64> {
    let prefix = format!("action=\"/admin/webhooks/{endpoint_id}/deliveries/");
    html.split(&prefix)
        .skip(1)
        .map(|rest| rest.split('/').next().unwrap().parse().unwrap())
        .collect()
}

#[tokio::test]
async fn a_real_delivery_is_listed_and_redelivered_with_the_same_webhook_id() {
    let app = app_allowing_private().await;
    let receiver = Receiver::start();
    app.create_agent(ROOT, "Root", "super_admin").await;
    let mut b = Browser::sign_in(&app, ROOT).await;
    b.get_ok("/admin/webhooks").await;
    let (id, secret) =
        add_through_the_form(&mut b, &app, &receiver.url(), &["session.created"]).await;
    receiver.control(&secret, 200).await;
    let page = format!("/admin/webhooks/{id}/deliveries");
    assert!(b.get_ok(&page).await.contains("No deliveries yet"));

    app.start_session(&app.user_token("u_hook"), Some("chat_hook"))
        .await;
    let got = receiver.wait_for("the delivery", |r| r.len() == 1).await;
    assert_eq!(
        got[0]["verified"], true,
        "signed with the secret the page showed"
    );
    let webhook_id = got[0]["id"].as_str().unwrap().to_string();
    wait_until("the delivery recorded", || async {
        app.count_rows("SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'delivered'") == 1
    })
    .await;

    let html = b.get_ok(&page).await;
    assert!(html.contains("<code>session.created</code>"), "{html}");
    assert!(html.contains(&webhook_id), "the webhook-id is shown");
    assert!(html.contains("<td data-label=\"Status\">delivered</td>"));
    assert!(html.contains("<td data-label=\"Attempts\">1</td>"));
    assert!(html.contains("<td data-label=\"Response\">200</td>"));
    let ids = redeliver_ids(&html, &id);
    assert_eq!(ids.len(), 1, "one Redeliver button");

    // Redeliver: back to the list, and the receiver gets it again with the same id.
    let csrf = b.csrf();
    let answer = b
        .post(
            &format!("/admin/webhooks/{id}/deliveries/{}/redeliver", ids[0]),
            &[],
            Some(&csrf),
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    assert_eq!(answer.headers[header::LOCATION], page);
    let got = receiver.wait_for("the redelivery", |r| r.len() == 2).await;
    assert_eq!(got[1]["id"], webhook_id, "the same webhook-id");
    assert_eq!(got[1]["verified"], true);
    assert_eq!(got[1]["body"], got[0]["body"], "the same body");
    wait_until("the second attempt recorded", || async {
        app.count_rows(
            "SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'delivered' AND attempts = 2",
        ) == 1
    })
    .await;
    assert!(
        b.get_ok(&page)
            .await
            .contains("<td data-label=\"Attempts\">2</td>")
    );

    // A delivery that is not this endpoint's, or no number at all: refused, nothing sent.
    let csrf = b.csrf();
    let unknown = b
        .post(
            &format!("/admin/webhooks/{id}/deliveries/999999/redeliver"),
            &[],
            Some(&csrf),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(
        unknown.body.contains("role=\"alert\"") && unknown.body.contains("Delivery"),
        "the list with the message: {}",
        unknown.body
    );
    for path in [
        format!("/admin/webhooks/{id}/deliveries/abc/redeliver"),
        format!("/admin/webhooks/wh_nope/deliveries/{}/redeliver", ids[0]),
    ] {
        let answer = b.post(&path, &[], Some(&csrf)).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
    }
    // Without the CSRF token: refused.
    let forged = b
        .post(
            &format!("/admin/webhooks/{id}/deliveries/{}/redeliver", ids[0]),
            &[],
            None,
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.count_rows("SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'pending'"),
        0,
        "nothing queued again"
    );
    assert_eq!(receiver.received().await.len(), 2);
}

#[tokio::test]
async fn a_failing_endpoint_says_since_when_and_a_disabled_one_says_why() {
    let app = app_allowing_private().await;
    let receiver = Receiver::start();
    app.create_agent(ROOT, "Root", "super_admin").await;
    let mut b = Browser::sign_in(&app, ROOT).await;
    b.get_ok("/admin/webhooks").await;
    let (failing, secret) =
        add_through_the_form(&mut b, &app, &receiver.url(), &["session.created"]).await;
    let (disabled, _) = add_through_the_form(
        &mut b,
        &app,
        "https://hooks.example.com/gone",
        &["rating.created"],
    )
    .await;

    // Failing, for real: the receiver answers 500.
    receiver.control(&secret, 500).await;
    app.start_session(&app.user_token("u_fail"), Some("chat_fail"))
        .await;
    receiver
        .wait_for("a first attempt", |r| !r.is_empty())
        .await;
    wait_until("the failure recorded", || async {
        app.count_rows("SELECT COUNT(*) FROM webhook_endpoints WHERE failing_since IS NOT NULL")
            == 1
    })
    .await;

    // Turned off by the server: that takes a day of failures (tests/api/webhooks/failures.rs
    // walks through it), so this arranges the state it leaves, straight in the test's
    // database file, with the reason the delivery worker writes.
    let changed = app.db().execute(&format!(
        "UPDATE webhook_endpoints SET active = FALSE, failing_since = 1765000000000,
             disabled_reason = 'Every delivery failed for 24 hours; the last error: \
             the receiver answered 503'
         WHERE id = '{disabled}'"
    ));
    assert_eq!(changed, 1);

    let list = b.get_ok("/admin/webhooks").await;
    let section = |id: &str| {
        let start = list.find(&format!("id=\"wh-head-{id}\"")).unwrap();
        let end = list[start..].find("</section>").unwrap();
        list[start..start + end].to_string()
    };
    let failing_section = section(&failing);
    assert!(
        failing_section.contains("Failing since 20"),
        "{failing_section}"
    );
    assert!(!failing_section.contains("Turned off"));
    let disabled_section = section(&disabled);
    assert!(
        disabled_section.contains(
            "Turned off: Every delivery failed for 24 hours; the last error: the receiver answered 503"
        ),
        "{disabled_section}"
    );
    assert!(!disabled_section.contains("Failing since"));
    assert!(!disabled_section.contains("name=\"active\" type=\"checkbox\" checked"));

    // The deliveries page says so too, and shows the failed attempt.
    let html = b
        .get_ok(&format!("/admin/webhooks/{failing}/deliveries"))
        .await;
    assert!(html.contains("Failing since 20"));
    assert!(
        html.contains("<td data-label=\"Status\">pending</td>"),
        "{html}"
    );
    assert!(html.contains("<td data-label=\"Response\">500</td>"));
    assert!(html.contains("Next try 20"));
    let html = b
        .get_ok(&format!("/admin/webhooks/{disabled}/deliveries"))
        .await;
    assert!(html.contains("Turned off: Every delivery failed for 24 hours"));

    // Saving it switched on again clears the notice.
    let csrf = b.csrf();
    let answer = b
        .post(
            &format!("/admin/webhooks/{disabled}"),
            &[
                ("url", "https://hooks.example.com/gone"),
                ("events", "rating.created"),
                ("active", "on"),
            ],
            Some(&csrf),
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    let on = endpoints(&app)
        .await
        .into_iter()
        .find(|e| e["webhookId"] == disabled.as_str())
        .unwrap();
    assert_eq!(on["active"], true);
    assert_eq!(on["disabledReason"], serde_json::Value::Null);
    let list = b.get_ok("/admin/webhooks").await;
    assert!(!list.contains("Turned off"));
}
