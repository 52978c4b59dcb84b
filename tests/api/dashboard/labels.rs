//! Labels in the dashboard: the labels page (super admins edit, everyone reads), the chat's
//! details panel (chips, add and remove for those who may label), the queue, search and
//! analytics filters, and open chats hearing that a label changed. Names are escaped everywhere.

use reqwest::{StatusCode, header};
use serde_json::{Value, json};

use super::client::Browser;
use crate::helpers::*;

const PAGE: &str = "/admin/labels";
const HOSTILE: &str = "<b>Refund</b>";

/// A label made over the admin API; returns its id.
async fn label(app: &TestApp, root: &str, name: &str, colour: &str) -> String {
    let body = app
        .post_ok(
            "/api/admin/labels",
            root,
            json!({ "name": name, "colour": colour }),
        )
        .await;
    body["data"]["label"]["labelId"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn labels(app: &TestApp, root: &str) -> Value {
    app.get_ok("/api/admin/labels", root).await["data"]["labels"].clone()
}

/// The names of a chat's labels, as the admin API shows them.
async fn chat_label_names(app: &TestApp, root: &str, session: &str) -> Vec<String> {
    let body = app
        .get_ok(&format!("/api/admin/chat/session/{session}"), root)
        .await;
    body["data"]["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap().to_string())
        .collect()
}

/// Asserts `html` shows [`HOSTILE`] as text and never as markup.
fn shows_hostile_as_text(what: &str, html: &str) {
    assert!(!html.contains(HOSTILE), "{what} let markup through");
    assert!(
        html.contains("&#60;b&#62;Refund&#60;/b&#62;") || html.contains("&lt;b&gt;Refund"),
        "{what} shows the name as text"
    );
}

#[tokio::test]
async fn the_labels_page_lets_super_admins_edit_and_everyone_else_read() {
    let app = TestApp::spawn().await;
    app.create_agent("root@example.com", "Root", "super_admin")
        .await;
    app.create_agent("ann@example.com", "Ann", "chat_admin")
        .await;
    app.create_agent("sue@example.com", "Sue", "support_admin")
        .await;
    let root = app.login("root@example.com").await;
    let id = label(&app, &root, HOSTILE, "#3b82f6").await;

    let mut b = Browser::sign_in(&app, "root@example.com").await;
    let queue = b.get_ok("/admin/queue").await;
    assert!(
        queue.contains(&format!("href=\"{PAGE}\"")),
        "the nav links the page"
    );
    let html = b.get_ok(PAGE).await;
    assert!(html.contains("aria-current=\"page\">Labels</a>"));
    shows_hostile_as_text("the labels page", &html);
    for form in [
        format!("action=\"{PAGE}/{id}\""),
        format!("action=\"{PAGE}/{id}/delete\" data-confirm=\"Delete the label"),
        format!("action=\"{PAGE}\""),
        "type=\"color\" value=\"#3b82f6\"".to_string(),
        "name=\"csrf\"".to_string(),
    ] {
        assert!(html.contains(&form), "a super admin gets {form}");
    }

    for email in ["ann@example.com", "sue@example.com"] {
        let mut b = Browser::sign_in(&app, email).await;
        assert!(
            b.get_ok("/admin/queue")
                .await
                .contains(&format!("href=\"{PAGE}\""))
        );
        let html = b.get_ok(PAGE).await;
        shows_hostile_as_text(email, &html);
        assert!(html.contains("fill=\"#3b82f6\""), "{email} sees the chip");
        assert!(
            !html.contains("<form class=\"grid-form\""),
            "{email}: no forms"
        );
        assert!(!html.contains("/delete"), "{email}: no delete");
        // Posting anyway is refused and changes nothing.
        let before = labels(&app, &root).await;
        let csrf = b.csrf();
        let fields = [("name", "Sneaky"), ("colour", "#000000")];
        for path in [
            PAGE.to_string(),
            format!("{PAGE}/{id}"),
            format!("{PAGE}/{id}/delete"),
        ] {
            let answer = b.post(&path, &fields, Some(&csrf)).await;
            assert_eq!(answer.status, StatusCode::FORBIDDEN, "{email} {path}");
        }
        assert_eq!(
            labels(&app, &root).await,
            before,
            "{email}: nothing changed"
        );
    }
}

#[tokio::test]
async fn label_forms_create_change_and_delete_and_bad_input_changes_nothing() {
    let app = TestApp::spawn().await;
    app.create_agent("root@example.com", "Root", "super_admin")
        .await;
    let root = app.login("root@example.com").await;
    let mut b = Browser::sign_in(&app, "root@example.com").await;
    b.get_ok(PAGE).await;
    let csrf = b.csrf();
    let back = |answer: super::client::Answer| {
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
        assert_eq!(answer.headers[header::LOCATION], PAGE);
    };
    back(
        b.post(
            PAGE,
            &[("name", " Refund "), ("colour", "#3B82F6")],
            Some(&csrf),
        )
        .await,
    );
    let list = labels(&app, &root).await;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!(
        (&list[0]["name"], &list[0]["colour"]),
        (&json!("Refund"), &json!("#3b82f6"))
    );
    let id = list[0]["labelId"].as_str().unwrap().to_string();

    let before = labels(&app, &root).await;
    let long = "x".repeat(41);
    for (fields, status, says) in [
        (
            [("name", "REFUND"), ("colour", "#000000")],
            StatusCode::CONFLICT,
            "Another label already has this name",
        ),
        (
            [("name", "Bug"), ("colour", "red")],
            StatusCode::BAD_REQUEST,
            "colour must be a hex colour",
        ),
        (
            [("name", long.as_str()), ("colour", "#000000")],
            StatusCode::BAD_REQUEST,
            "name",
        ),
        (
            [("name", "  "), ("colour", "#000000")],
            StatusCode::BAD_REQUEST,
            "name must not be empty",
        ),
    ] {
        let answer = b.post(PAGE, &fields, Some(&csrf)).await;
        assert_eq!(answer.status, status, "{fields:?}: {}", answer.body);
        assert!(answer.body.contains(says), "{fields:?} says {says:?}");
        assert!(
            answer.body.contains("role=\"alert\""),
            "{fields:?}: shown as an alert"
        );
    }
    let forged = b
        .post(PAGE, &[("name", "Forged"), ("colour", "#000000")], None)
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(
        labels(&app, &root).await,
        before,
        "refused forms change nothing"
    );

    back(
        b.post(
            &format!("{PAGE}/{id}"),
            &[("name", "Money back"), ("colour", "#16a34a")],
            Some(&csrf),
        )
        .await,
    );
    let list = labels(&app, &root).await;
    assert_eq!(
        (&list[0]["name"], &list[0]["colour"]),
        (&json!("Money back"), &json!("#16a34a"))
    );
    back(
        b.post(&format!("{PAGE}/{id}/delete"), &[], Some(&csrf))
            .await,
    );
    assert_eq!(labels(&app, &root).await, json!([]));
    let gone = b
        .post(&format!("{PAGE}/{id}/delete"), &[], Some(&csrf))
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND, "{}", gone.body);
}

#[tokio::test]
async fn the_details_panel_shows_labels_and_only_those_who_may_label_change_them() {
    let app = TestApp::spawn().await;
    app.create_agent("root@example.com", "Root", "super_admin")
        .await;
    app.create_agent("ann@example.com", "Ann", "chat_admin")
        .await;
    app.create_agent("sue@example.com", "Sue", "support_admin")
        .await;
    let root = app.login("root@example.com").await;
    let refund = label(&app, &root, HOSTILE, "#3b82f6").await;
    let bug = label(&app, &root, "Bug", "#ef4444").await;
    app.start_session(&app.user_token("u1"), Some("chat_dl"))
        .await;
    let details = "/admin/chats/chat_dl/details";
    let change = "/admin/chats/chat_dl/labels";

    let mut ann = Browser::sign_in(&app, "ann@example.com").await;
    let html = ann.get_ok("/admin/chats/chat_dl").await;
    assert!(html.contains("No labels."));
    assert!(html.contains("id=\"add-label\""), "a chat admin may add");
    assert!(html.contains(&format!("<option value=\"{refund}\">")));
    assert!(html.contains(&format!("<option value=\"{bug}\">")));
    shows_hostile_as_text("the add select", &html);

    // Adding with htmx answers the new panel: the chip with its remove button, and the select
    // offers only the labels the chat does not have.
    let added = ann
        .post_raw(change, &format!("label_id={refund}&change=add"), true)
        .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.body);
    assert!(added.body.contains("id=\"details\""), "the details panel");
    assert!(added.body.contains("fill=\"#3b82f6\""), "the chip's colour");
    assert!(
        added
            .body
            .contains("aria-label=\"Remove the label &#60;b&#62;Refund&#60;/b&#62;\"")
            || added
                .body
                .contains("aria-label=\"Remove the label &lt;b&gt;Refund")
    );
    shows_hostile_as_text("the panel", &added.body);
    assert!(!added.body.contains(&format!("<option value=\"{refund}\">")));
    assert!(added.body.contains(&format!("<option value=\"{bug}\">")));
    assert_eq!(chat_label_names(&app, &root, "chat_dl").await, [HOSTILE]);

    // A plain form goes back to the chat; removing twice is fine.
    let csrf = ann.csrf();
    for _ in 0..2 {
        let removed = ann
            .post(
                change,
                &[("label_id", &refund), ("change", "remove")],
                Some(&csrf),
            )
            .await;
        assert_eq!(removed.status, StatusCode::SEE_OTHER, "{}", removed.body);
        assert_eq!(removed.headers[header::LOCATION], "/admin/chats/chat_dl");
    }
    assert!(chat_label_names(&app, &root, "chat_dl").await.is_empty());

    // Bad changes are refused and change nothing.
    let before = app.count_rows("SELECT COUNT(*) FROM chat_labels");
    for (fields, status) in [
        (
            vec![("label_id", bug.as_str()), ("change", "toggle")],
            StatusCode::BAD_REQUEST,
        ),
        (
            vec![("label_id", "label_missing"), ("change", "add")],
            StatusCode::NOT_FOUND,
        ),
        (vec![("change", "add")], StatusCode::BAD_REQUEST),
    ] {
        let answer = ann.post(change, &fields, Some(&csrf)).await;
        assert_eq!(answer.status, status, "{fields:?}: {}", answer.body);
    }
    let forged = ann
        .post(change, &[("label_id", &bug), ("change", "add")], None)
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(app.count_rows("SELECT COUNT(*) FROM chat_labels"), before);

    // A support admin sees the chip but nothing to change it with, and may not post.
    app.put_ok(
        &format!("/api/admin/chat/session/chat_dl/labels/{bug}"),
        &root,
        json!({}),
    )
    .await;
    let mut sue = Browser::sign_in(&app, "sue@example.com").await;
    let html = sue.get_ok(details).await;
    assert!(html.contains("fill=\"#ef4444\""), "the chip");
    assert!(!html.contains("add-label"), "no add select");
    assert!(!html.contains("name=\"change\""), "no add or remove form");
    assert!(!html.contains("Remove the label"), "no remove button");
    let csrf = sue.csrf();
    for change_to in ["add", "remove"] {
        let answer = sue
            .post(
                change,
                &[("label_id", &refund), ("change", change_to)],
                Some(&csrf),
            )
            .await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{change_to}");
    }
    assert_eq!(chat_label_names(&app, &root, "chat_dl").await, ["Bug"]);
}

#[tokio::test]
async fn the_queue_page_filters_by_label_and_its_live_rows_keep_the_filter() {
    let app = TestApp::spawn().await;
    app.create_agent("root@example.com", "Root", "super_admin")
        .await;
    let root = app.login("root@example.com").await;
    let refund = label(&app, &root, HOSTILE, "#3b82f6").await;
    for (user, id) in [("u1", "chat_qa"), ("u2", "chat_qb")] {
        app.start_session(&app.user_token(user), Some(id)).await;
    }
    app.put_ok(
        &format!("/api/admin/chat/session/chat_qa/labels/{refund}"),
        &root,
        json!({}),
    )
    .await;
    let mut b = Browser::sign_in(&app, "root@example.com").await;
    let rows = |html: &str| -> Vec<&str> {
        ["chat_qa", "chat_qb"]
            .into_iter()
            .filter(|id| html.contains(&format!("data-session=\"{id}\"")))
            .collect()
    };

    let all = b.get_ok("/admin/queue").await;
    assert_eq!(rows(&all), ["chat_qa", "chat_qb"]);
    assert!(all.contains("fill=\"#3b82f6\""), "the row's chip");
    shows_hostile_as_text("the queue", &all);
    assert!(all.contains("id=\"queue-label\""), "the filter");
    assert!(all.contains("hx-get=\"/admin/queue/rows\""));

    let filtered = b.get_ok(&format!("/admin/queue?label={refund}")).await;
    assert_eq!(rows(&filtered), ["chat_qa"]);
    assert!(filtered.contains(&format!("<option value=\"{refund}\" selected>")));
    let rows_url = format!("/admin/queue/rows?label={refund}");
    assert!(
        filtered.contains(&format!("hx-get=\"{rows_url}\"")),
        "live rows keep the filter"
    );
    let live = b.htmx_get(&rows_url).await.ok("the filtered rows");
    assert_eq!(rows(&live), ["chat_qa"]);

    // A label that does not exist (deleted since the link was made): the select shows all
    // chats, and so do the page and its live rows.
    let unknown = b.get_ok("/admin/queue?label=label_missing").await;
    assert_eq!(rows(&unknown), ["chat_qa", "chat_qb"]);
    assert!(unknown.contains("hx-get=\"/admin/queue/rows\""));
    assert!(!unknown.contains(" selected>"), "no label is picked");
}

#[tokio::test]
async fn search_and_analytics_pages_filter_by_label() {
    let app = TestApp::spawn().await;
    app.create_agent("root@example.com", "Root", "super_admin")
        .await;
    let root = app.login("root@example.com").await;
    let refund = label(&app, &root, "Refund", "#3b82f6").await;
    for (user, id) in [("u1", "chat_sa"), ("u2", "chat_sb")] {
        let token = app.user_token(user);
        app.start_session(&token, Some(id)).await;
        app.send_ok(&token, id, &format!("msg_{id}"), "my parcel never came")
            .await;
    }
    app.put_ok(
        &format!("/api/admin/chat/session/chat_sa/labels/{refund}"),
        &root,
        json!({}),
    )
    .await;
    let mut b = Browser::sign_in(&app, "root@example.com").await;
    let hits = |html: &str| -> Vec<&str> {
        ["chat_sa", "chat_sb"]
            .into_iter()
            .filter(|id| html.contains(&format!("href=\"/admin/chats/{id}\"")))
            .collect()
    };

    let both = b.get_ok("/admin/search?q=parcel").await;
    assert_eq!(hits(&both), ["chat_sa", "chat_sb"]);
    assert!(both.contains("id=\"search-label\""));
    let one = b
        .get_ok(&format!("/admin/search?q=parcel&label={refund}"))
        .await;
    assert_eq!(hits(&one), ["chat_sa"]);
    assert!(one.contains(&format!("<option value=\"{refund}\" selected>")));
    let unknown = b.get_ok("/admin/search?q=parcel&label=label_missing").await;
    assert_eq!(
        hits(&unknown),
        ["chat_sa", "chat_sb"],
        "the select shows any label"
    );

    // Links as the browser reads them (`&` is escaped in attributes).
    let unescaped = |html: String| html.replace("&#38;", "&").replace("&amp;", "&");
    let page = unescaped(b.get_ok(&format!("/admin/analytics?label={refund}")).await);
    assert!(page.contains(&format!("<option value=\"{refund}\" selected>")));
    for table in ["days", "agents", "sessions"] {
        assert!(
            page.contains(&format!("table={table}&label={refund}\"")),
            "the {table} download keeps the filter"
        );
    }
    assert!(page.contains("table=labels\">Per label (CSV)</a>"));
    let plain = unescaped(b.get_ok("/admin/analytics?label=label_missing").await);
    assert!(
        plain.contains("table=days\""),
        "an unknown label limits no download"
    );

    let csv = b.get_ok("/admin/analytics.csv?table=labels").await;
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let row = reader.records().next().expect("the label's row").unwrap();
    let cell = |name: &str| row[headers.iter().position(|h| h == name).unwrap()].to_string();
    assert_eq!(
        (
            cell("labelId"),
            cell("name"),
            cell("colour"),
            cell("totalSessions")
        ),
        (
            refund.clone(),
            "Refund".into(),
            "#3b82f6".into(),
            "1".into()
        )
    );
    let sessions = b
        .get_ok(&format!(
            "/admin/analytics.csv?table=sessions&label={refund}"
        ))
        .await;
    assert!(
        sessions.contains("chat_sa") && !sessions.contains("chat_sb"),
        "{sessions}"
    );
}

#[tokio::test]
async fn an_open_chat_hears_when_a_label_changes() {
    let app = TestApp::spawn().await;
    app.create_agent("root@example.com", "Root", "super_admin")
        .await;
    let root = app.login("root@example.com").await;
    app.start_session(&app.user_token("u1"), Some("chat_live"))
        .await;
    let refund = label(&app, &root, "Refund", "#3b82f6").await;
    app.put_ok(
        &format!("/api/admin/chat/session/chat_live/labels/{refund}"),
        &root,
        json!({}),
    )
    .await;
    let b = Browser::sign_in(&app, "root@example.com").await;
    let mut stream = b
        .open(b.request(reqwest::Method::GET, "/admin/chats/chat_live/events"))
        .await;
    assert_eq!(stream.status(), StatusCode::OK);
    app.put_ok(
        &format!("/api/admin/labels/{refund}"),
        &root,
        json!({ "name": "Money back", "colour": "#16a34a" }),
    )
    .await;
    let seen = within("a details event", async {
        let mut seen = String::new();
        while let Some(chunk) = stream.chunk().await.unwrap() {
            seen.push_str(&String::from_utf8_lossy(&chunk));
            if seen.contains("event: details") {
                break;
            }
        }
        seen
    })
    .await;
    assert!(seen.contains("event: details"), "{seen}");
    let mut b = b;
    let panel = b.get_ok("/admin/chats/chat_live/details").await;
    assert!(panel.contains("Money back") && panel.contains("fill=\"#16a34a\""));
}
