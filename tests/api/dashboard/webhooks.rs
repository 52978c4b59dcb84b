//! The webhooks page: a super admin adds, edits, rotates and deletes endpoints with plain forms;
//! a secret is shown once; other roles get 403 and no link; bad or hostile input is refused or
//! escaped, next to its form, and changes nothing.

use reqwest::{StatusCode, header};
use serde_json::Value;

use super::client::{Answer, Browser};
use crate::helpers::*;

const ROOT: &str = "root@example.com";

/// The secret a page reveals, if it shows one.
pub fn revealed_secret(html: &str) -> Option<String> {
    let marker = "data-secret>";
    let at = html.find(marker)? + marker.len();
    Some(html[at..].split('<').next()?.to_string())
}

/// The endpoints as the admin API lists them.
pub async fn endpoints(app: &TestApp) -> Vec<Value> {
    let admin = app.login(ROOT).await;
    app.get_ok("/api/admin/webhooks", &admin).await["data"]["webhooks"]
        .as_array()
        .unwrap()
        .clone()
}

/// Adds an endpoint through the page's form; answers its id and the secret the page showed.
pub async fn add_through_the_form(
    b: &mut Browser,
    app: &TestApp,
    url: &str,
    events: &[&str],
) -> (String, String) {
    let csrf = b.csrf();
    let mut fields = vec![
        ("url", url),
        ("description", "From the form"),
        ("active", "on"),
    ];
    fields.extend(events.iter().map(|e| ("events", *e)));
    let page = b.post("/admin/webhooks", &fields, Some(&csrf)).await;
    assert_eq!(
        page.headers[header::CACHE_CONTROL],
        "no-store",
        "no cache keeps the secret"
    );
    let page = page.ok("the add form");
    let secret = revealed_secret(&page).expect("the page shows the new secret");
    let id = endpoints(app)
        .await
        .iter()
        .find(|e| e["url"] == url)
        .expect("the endpoint is saved")["webhookId"]
        .as_str()
        .unwrap()
        .to_string();
    (id, secret)
}

/// Audit rows of webhook changes (sign-ins are audited too, and the checks here sign in).
fn webhook_actions(app: &TestApp) -> i64 {
    app.count_rows("SELECT COUNT(*) FROM audit_events WHERE action LIKE 'webhook%'")
}

fn redirected_to_the_list(answer: Answer, what: &str) {
    assert_eq!(
        answer.status,
        StatusCode::SEE_OTHER,
        "{what}: {}",
        answer.body
    );
    assert_eq!(
        answer.headers[header::LOCATION],
        "/admin/webhooks",
        "{what}"
    );
}

/// The part of the webhooks page from the add form's heading on.
fn add_section(html: &str) -> &str {
    &html[html.find("Add a webhook").expect("the add form")..]
}

fn is_checked(html: &str, event: &str) -> bool {
    html.contains(&format!("name=\"events\" value=\"{event}\" checked"))
}

#[tokio::test]
async fn a_super_admin_adds_edits_rotates_and_deletes_a_webhook() {
    let app = TestApp::spawn().await;
    app.create_agent(ROOT, "Root", "super_admin").await;
    let mut b = Browser::sign_in(&app, ROOT).await;
    let queue = b.get_ok("/admin/queue").await;
    assert!(queue.contains("href=\"/admin/webhooks\""), "a nav link");
    let empty = b.get_ok("/admin/webhooks").await;
    assert!(empty.contains("No webhooks yet."));

    // Add: the answer shows the secret, once, and says so.
    let url = "https://hooks.example.com/frontdesk";
    let (id, secret) =
        add_through_the_form(&mut b, &app, url, &["session.created", "message.created"]).await;
    assert!(
        secret.starts_with("whsec_") && secret.len() > 40,
        "{secret}"
    );
    assert_eq!(
        app.count_rows(&format!(
            "SELECT COUNT(*) FROM webhook_endpoints WHERE secret = '{secret}'"
        )),
        1,
        "the page showed the stored secret"
    );
    let saved = &endpoints(&app).await[0];
    assert_eq!(saved["url"], url);
    assert_eq!(saved["description"], "From the form");
    assert_eq!(saved["active"], true);
    assert_eq!(
        saved["events"],
        serde_json::json!(["session.created", "message.created"])
    );

    // The next load lists it without the secret.
    let list = b.get_ok("/admin/webhooks").await;
    assert!(!list.contains(&secret), "the secret is shown only once");
    assert!(revealed_secret(&list).is_none());
    assert!(list.contains(url));
    assert!(is_checked(&list, "session.created"));
    assert!(is_checked(&list, "message.created"));
    assert!(!is_checked(&list, "rating.created"));
    assert!(list.contains(&format!("href=\"/admin/webhooks/{id}/deliveries\"")));
    assert!(list.contains(&format!("action=\"/admin/webhooks/{id}/rotate-secret\"")));
    assert!(list.contains("data-confirm=\"Rotate the secret"));
    assert!(list.contains("data-confirm=\"Delete the webhook"));

    // Edit: new URL, description and events; the active box left unticked turns it off.
    let csrf = b.csrf();
    let edited = b
        .post(
            &format!("/admin/webhooks/{id}"),
            &[
                ("url", "https://hooks.example.com/v2"),
                ("description", "Second version"),
                ("events", "rating.created"),
                ("events", "session.ended"),
            ],
            Some(&csrf),
        )
        .await;
    redirected_to_the_list(edited, "save");
    let saved = &endpoints(&app).await[0];
    assert_eq!(saved["url"], "https://hooks.example.com/v2");
    assert_eq!(saved["description"], "Second version");
    assert_eq!(saved["active"], false);
    assert_eq!(
        saved["events"],
        serde_json::json!(["session.ended", "rating.created"])
    );
    let list = b.get_ok("/admin/webhooks").await;
    assert!(is_checked(&list, "session.ended") && !is_checked(&list, "session.created"));
    assert!(!list.contains(&format!(
        "id=\"wa-{id}\" name=\"active\" type=\"checkbox\" checked"
    )));

    // Rotate: a new secret, shown once; the old one is gone.
    let csrf = b.csrf();
    let rotated = b
        .post(
            &format!("/admin/webhooks/{id}/rotate-secret"),
            &[],
            Some(&csrf),
        )
        .await
        .ok("rotate");
    let new_secret = revealed_secret(&rotated).expect("the rotated secret");
    assert_ne!(new_secret, secret);
    assert!(rotated.contains("New signing secret"));
    assert!(rotated.contains("not shown again"));
    assert_eq!(
        app.count_rows(&format!(
            "SELECT COUNT(*) FROM webhook_endpoints WHERE secret = '{new_secret}'"
        )),
        1
    );
    let list = b.get_ok("/admin/webhooks").await;
    assert!(!list.contains(&new_secret) && !list.contains(&secret));

    // Delete.
    let csrf = b.csrf();
    let deleted = b
        .post(&format!("/admin/webhooks/{id}/delete"), &[], Some(&csrf))
        .await;
    redirected_to_the_list(deleted, "delete");
    assert!(endpoints(&app).await.is_empty());
    assert!(
        b.get_ok("/admin/webhooks")
            .await
            .contains("No webhooks yet.")
    );
    let gone = b.get(&format!("/admin/webhooks/{id}/deliveries")).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bad_input_shows_the_error_next_to_the_form_and_changes_nothing() {
    let app = TestApp::spawn().await;
    app.create_agent(ROOT, "Root", "super_admin").await;
    let mut b = Browser::sign_in(&app, ROOT).await;
    b.get_ok("/admin/webhooks").await;
    let (id, _) = add_through_the_form(
        &mut b,
        &app,
        "https://hooks.example.com/kept",
        &["message.created"],
    )
    .await;
    let before = endpoints(&app).await;
    let audit_before = webhook_actions(&app);
    let long_url = format!("https://hooks.example.com/{}", "a".repeat(2048));
    let long_description = "d".repeat(501);
    let ok_event = ("events", "message.created");
    // What is wrong, the fields posted, the message the page shows.
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a str);
    let cases: Vec<Case> = vec![
        (
            "an ftp URL",
            vec![("url", "ftp://files.example.com/in"), ok_event],
            "url must be an http or https URL",
        ),
        (
            "no events",
            vec![("url", "https://hooks.example.com/none")],
            "events must name at least one event",
        ),
        (
            "an unknown event",
            vec![
                ("url", "https://hooks.example.com/x"),
                ("events", "message.deleted"),
            ],
            "unknown event",
        ),
        (
            "no URL",
            vec![("url", "  "), ok_event],
            "url must not be empty",
        ),
        ("no fields at all", vec![], "url must not be empty"),
        (
            "not a URL",
            vec![("url", "hooks.example.com/in"), ok_event],
            "url must be an absolute URL",
        ),
        (
            "a loopback address",
            vec![("url", "http://127.0.0.1:9000/in"), ok_event],
            "WEBHOOK_ALLOW_PRIVATE",
        ),
        (
            "a private address",
            vec![("url", "http://[::ffff:10.0.0.1]/in"), ok_event],
            "WEBHOOK_ALLOW_PRIVATE",
        ),
        (
            "a URL too long",
            vec![("url", &long_url), ok_event],
            "url must be at most 2048 characters",
        ),
        (
            "a description too long",
            vec![
                ("url", "https://hooks.example.com/y"),
                ("description", &long_description),
                ok_event,
            ],
            "description must be at most 500 characters",
        ),
    ];
    for (what, fields, message) in &cases {
        // Adding: the message shows in the add form, which keeps what was typed.
        let csrf = b.csrf();
        let answer = b.post("/admin/webhooks", fields, Some(&csrf)).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "add {what}");
        let add = add_section(&answer.body);
        assert!(
            add.contains("class=\"alert\" role=\"alert\"") && add.contains(message),
            "add {what}: the message next to the form: {add}"
        );
        assert!(revealed_secret(&answer.body).is_none(), "add {what}");
        if let Some((_, url)) = fields.iter().find(|(k, _)| *k == "url")
            && url.len() < 100
        {
            assert!(
                add.contains(&format!("value=\"{}\"", url.trim())) || add.contains(url),
                "add {what}: the form keeps the URL typed"
            );
        }
        // Editing: the message shows in that endpoint's form, before the add form.
        let answer = b
            .post(&format!("/admin/webhooks/{id}"), fields, Some(&csrf))
            .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "edit {what}");
        let html = &answer.body;
        let own = &html[html.find(&format!("id=\"wh-head-{id}\"")).unwrap()
            ..html.find("Add a webhook").unwrap()];
        assert!(own.contains(message), "edit {what}: next to its form");
        assert!(!add_section(html).contains(message), "edit {what}");
    }
    assert_eq!(endpoints(&app).await, before, "nothing changed");
    assert_eq!(webhook_actions(&app), audit_before);

    // Another endpoint's actions on one that does not exist: a 404 with the page.
    let csrf = b.csrf();
    for path in [
        "/admin/webhooks/wh_nope",
        "/admin/webhooks/wh_nope/rotate-secret",
        "/admin/webhooks/wh_nope/delete",
    ] {
        let answer = b
            .post(
                path,
                &[("url", "https://hooks.example.com/z"), ok_event],
                Some(&csrf),
            )
            .await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
        assert!(
            answer.body.contains("Webhook endpoint"),
            "{path}: says what"
        );
    }
    // A body that is not a form is refused with the dashboard's page.
    let request = b
        .request(reqwest::Method::POST, "/admin/webhooks")
        .header("x-csrf-token", csrf)
        .header(header::CONTENT_TYPE, "application/json")
        .body("{\"url\": \"https://hooks.example.com/json\"}");
    let answer = b.send(request).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(answer.body.contains("not sent as a web form"));
    assert_eq!(endpoints(&app).await, before, "nothing changed");
}

#[tokio::test]
async fn hostile_urls_and_descriptions_are_escaped() {
    let app = TestApp::spawn().await;
    app.create_agent(ROOT, "Root", "super_admin").await;
    let mut b = Browser::sign_in(&app, ROOT).await;
    b.get_ok("/admin/webhooks").await;
    let url = "https://hooks.example.com/<script>alert(1)</script>?q=\"'><b>";
    let description = "<img src=x onerror=alert(1)>";
    let csrf = b.csrf();
    let created = b
        .post(
            "/admin/webhooks",
            &[
                ("url", url),
                ("description", description),
                ("events", "session.created"),
                ("active", "on"),
            ],
            Some(&csrf),
        )
        .await
        .ok("a hostile endpoint is still a valid URL");
    let saved = &endpoints(&app).await[0];
    assert_eq!(saved["url"], url, "stored as typed");
    let id = saved["webhookId"].as_str().unwrap().to_string();
    let list = b.get_ok("/admin/webhooks").await;
    let deliveries = b.get_ok(&format!("/admin/webhooks/{id}/deliveries")).await;
    // A refused edit shows the typed values again.
    let csrf = b.csrf();
    let refused = b
        .post(
            &format!("/admin/webhooks/{id}"),
            &[("url", url), ("description", description)],
            Some(&csrf),
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    for (page, html) in [
        ("after the add", &created),
        ("the list", &list),
        ("the deliveries", &deliveries),
        ("a refused edit", &refused.body),
    ] {
        assert!(!html.contains("<script>alert"), "{page}: a script tag");
        assert!(!html.contains("<img src=x"), "{page}: markup");
        assert!(
            !html.contains("'><b>"),
            "{page}: an attribute broken out of"
        );
        assert!(
            html.contains("&#60;script&#62;") || html.contains("&lt;script&gt;"),
            "{page}: the URL is shown, escaped"
        );
    }
    assert!(list.contains("&#60;img src=x") || list.contains("&lt;img src=x"));
}

#[tokio::test]
async fn other_roles_get_403_and_no_link() {
    let app = TestApp::spawn().await;
    app.create_agent(ROOT, "Root", "super_admin").await;
    let mut root = Browser::sign_in(&app, ROOT).await;
    root.get_ok("/admin/webhooks").await;
    let (id, secret) = add_through_the_form(
        &mut root,
        &app,
        "https://hooks.example.com/private",
        &["message.created"],
    )
    .await;
    let before = endpoints(&app).await;
    for role in ["chat_admin", "support_admin"] {
        let email = format!("{role}@example.com");
        app.create_agent(&email, role, role).await;
        let mut b = Browser::sign_in(&app, &email).await;
        let queue = b.get_ok("/admin/queue").await;
        assert!(!queue.contains("/admin/webhooks"), "{role}: no nav link");
        for path in [
            "/admin/webhooks".to_string(),
            format!("/admin/webhooks/{id}/deliveries"),
        ] {
            let page = b.get(&path).await;
            assert_eq!(page.status, StatusCode::FORBIDDEN, "{role} GET {path}");
            assert!(
                page.body.contains("Not allowed"),
                "{role} {path}: the 403 page"
            );
            assert!(!page.body.contains("hooks.example.com"), "{role} {path}");
        }
        let csrf = b.csrf();
        for path in [
            "/admin/webhooks".to_string(),
            format!("/admin/webhooks/{id}"),
            format!("/admin/webhooks/{id}/rotate-secret"),
            format!("/admin/webhooks/{id}/delete"),
            format!("/admin/webhooks/{id}/deliveries/1/redeliver"),
        ] {
            let answer = b
                .post(
                    &path,
                    &[
                        ("url", "https://evil.example.com/in"),
                        ("events", "message.created"),
                    ],
                    Some(&csrf),
                )
                .await;
            assert_eq!(answer.status, StatusCode::FORBIDDEN, "{role} POST {path}");
            assert!(revealed_secret(&answer.body).is_none(), "{role} {path}");
            assert!(!answer.body.contains(&secret));
        }
    }
    assert_eq!(endpoints(&app).await, before, "nothing changed");
    assert_eq!(
        app.count_rows(&format!(
            "SELECT COUNT(*) FROM webhook_endpoints WHERE secret = '{secret}'"
        )),
        1,
        "the secret was not rotated"
    );
}

#[tokio::test]
async fn webhook_forms_need_this_sessions_csrf_token() {
    let app = TestApp::spawn().await;
    app.create_agent(ROOT, "Root", "super_admin").await;
    app.create_agent("other@example.com", "Other", "super_admin")
        .await;
    let mut b = Browser::sign_in(&app, ROOT).await;
    b.get_ok("/admin/webhooks").await;
    let (id, secret) = add_through_the_form(
        &mut b,
        &app,
        "https://hooks.example.com/guarded",
        &["message.created"],
    )
    .await;
    let others_token = Browser::sign_in(&app, "other@example.com").await.csrf();
    let before = endpoints(&app).await;
    let audit_before = webhook_actions(&app);
    let fields = [
        ("url", "https://evil.example.com/in"),
        ("events", "session.created"),
    ];
    for path in [
        "/admin/webhooks".to_string(),
        format!("/admin/webhooks/{id}"),
        format!("/admin/webhooks/{id}/rotate-secret"),
        format!("/admin/webhooks/{id}/delete"),
        format!("/admin/webhooks/{id}/deliveries/1/redeliver"),
    ] {
        for token in [None, Some(""), Some("made-up"), Some(others_token.as_str())] {
            let answer = b.post(&path, &fields, token).await;
            assert_eq!(
                answer.status,
                StatusCode::FORBIDDEN,
                "{path} with {token:?}"
            );
            assert!(revealed_secret(&answer.body).is_none(), "{path}");
        }
    }
    assert_eq!(endpoints(&app).await, before, "nothing changed");
    assert_eq!(webhook_actions(&app), audit_before);
    assert_eq!(
        app.count_rows(&format!(
            "SELECT COUNT(*) FROM webhook_endpoints WHERE secret = '{secret}'"
        )),
        1
    );
}
