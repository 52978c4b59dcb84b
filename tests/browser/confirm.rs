//! Destructive actions ask first: disabling an agent, deleting a persona, deleting a canned
//! reply. Cancelling sends nothing; accepting does the action.

use fantoccini::{Client, Locator};
use serde_json::{Value, json};

use super::*;

/// What the admin API says now, as a predicate over its `data`.
struct Check<'a> {
    path: &'a str,
    still_there: &'a dyn Fn(&Value) -> bool,
}

impl Check<'_> {
    async fn holds(&self, app: &TestApp, token: &str) -> bool {
        let (status, body) = app.get(self.path, token).await;
        assert_eq!(status.as_u16(), 200, "{}: {body}", self.path);
        (self.still_there)(&body["data"])
    }
}

/// Clicks `button` on `page`: the question must appear; cancelling must leave the page and the
/// data as they were; confirming must do the action and come back to the page.
async fn confirm_then_act(
    c: &Client,
    app: &TestApp,
    token: &str,
    page: &str,
    button: &str,
    question: &str,
    check: Check<'_>,
) {
    c.goto(&app.url(page)).await.unwrap();
    c.wait()
        .at_most(WAIT)
        .for_element(Locator::Css(button))
        .await
        .unwrap_or_else(|e| panic!("{button} on {page}: {e}"));
    // A mark on the window: it is gone if the page is ever loaded again.
    js(c, "window.fdStay = true; return true").await;
    assert!(check.holds(app, token).await, "{page}: present before");

    click(c, button).await;
    let asked = eventually(WAIT, || async {
        c.get_alert_text().await.is_ok_and(|t| t.contains(question))
    })
    .await;
    assert!(asked, "{page}: clicking {button} should ask {question:?}");
    c.dismiss_alert().await.unwrap();
    assert_eq!(
        js(c, "return window.fdStay === true").await,
        json!(true),
        "{page}: cancelling submits nothing"
    );
    assert!(
        check.holds(app, token).await,
        "{page}: cancelling changes nothing"
    );

    click(c, button).await;
    let accepted = eventually(WAIT, || async { c.accept_alert().await.is_ok() }).await;
    assert!(accepted, "{page}: the question comes back");
    wait_for_js(
        c,
        "return window.fdStay !== true && document.readyState === 'complete'",
        "confirming submits the form and the page comes back",
    )
    .await;
    assert!(!check.holds(app, token).await, "{page}: confirming acts");
}

#[tokio::test]
async fn destructive_actions_ask_first_and_cancel_changes_nothing() {
    let Some(driver) = start_driver().await else {
        return;
    };
    let app = TestApp::spawn().await;
    let (_, root) = app.agent("root@example.com", "super_admin").await;
    let bob = app
        .create_agent("bob@example.com", "Bob Stone", "chat_admin")
        .await;
    let (status, body) = app
        .post("/api/admin/personas", &root, json!({ "name": "Emma" }))
        .await;
    assert_eq!(status.as_u16(), 200, "{body}");
    let persona = body["data"]["persona"]["personaId"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, body) = app
        .post(
            "/api/admin/canned-responses",
            &root,
            json!({ "title": "Refund", "shortcut": "/refund", "text": "On its way." }),
        )
        .await;
    assert_eq!(status.as_u16(), 200, "{body}");
    let canned = body["data"]["cannedResponse"]["id"]
        .as_str()
        .unwrap()
        .to_string();

    let profile = tempfile::tempdir().unwrap();
    let c = browser(&driver, profile.path()).await;
    sign_in(&c, &app, "root@example.com").await;

    let bob_enabled = |data: &Value| {
        data["agents"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["email"] == "bob@example.com" && a["disabled"] == false)
    };
    confirm_then_act(
        &c,
        &app,
        &root,
        "/admin/agents",
        &format!("form[action='/admin/agents/{bob}/disable'] button"),
        "Disable Bob Stone?",
        Check {
            path: "/api/admin/agents",
            still_there: &bob_enabled,
        },
    )
    .await;

    let emma_listed = |data: &Value| {
        data["personas"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "Emma")
    };
    confirm_then_act(
        &c,
        &app,
        &root,
        "/admin/personas",
        &format!("form[action='/admin/personas/{persona}/delete'] button"),
        "Delete Emma?",
        Check {
            path: "/api/admin/personas",
            still_there: &emma_listed,
        },
    )
    .await;

    let refund_listed = |data: &Value| {
        data["cannedResponses"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["shortcut"] == "/refund")
    };
    confirm_then_act(
        &c,
        &app,
        &root,
        "/admin/canned",
        &format!("form[action='/admin/canned/{canned}/delete'] button"),
        "Delete /refund?",
        Check {
            path: "/api/admin/canned-responses",
            still_there: &refund_listed,
        },
    )
    .await;
    c.close().await.unwrap();
}
