//! Labels in the dashboard: a super admin makes one on the labels page (a name with markup
//! stays text), puts it on a chat from the details panel, takes it off with the chip's ×, puts
//! it on again, and filters the live queue by it; a support admin sees the chip and nothing to
//! change it with.

use fantoccini::{Client, Locator};
use serde_json::{Value, json};

use super::*;

const ZOE: &str = "chat_label_zoe";
const KAI: &str = "chat_label_kai";
/// Markup in a label's name: it must come out as these very characters.
const NAME: &str = "<b>Refund</b>";
const GREEN: &str = "#16a34a";

/// The label chips in the details panel: each one's text and its dot's colour.
const CHIPS: &str = "
    return [...document.querySelectorAll('#details .label-chip')].map(chip => ({
        text: chip.textContent,
        fill: chip.querySelector('circle').getAttribute('fill'),
    }));";

async fn chips(c: &Client) -> Vec<Value> {
    js(c, CHIPS)
        .await
        .as_array()
        .expect("a list of chips")
        .clone()
}

/// The sessions of the queue's rows, in order.
async fn queue_rows(c: &Client) -> Vec<String> {
    let rows = js(
        c,
        "return [...document.querySelectorAll('#queue-rows li[data-session]')]
            .map(li => li.dataset.session);",
    )
    .await;
    serde_json::from_value(rows).expect("session ids")
}

/// Waits until the queue's rows are exactly `sessions`, in any order.
async fn wait_for_rows(c: &Client, sessions: &[&str], what: &str) {
    let mut wanted: Vec<String> = sessions.iter().map(|s| s.to_string()).collect();
    wanted.sort();
    let held = eventually(WAIT, || async {
        let mut rows = queue_rows(c).await;
        rows.sort();
        rows == wanted
    })
    .await;
    assert!(
        held,
        "{what}: rows {:?}, wanted {wanted:?}",
        queue_rows(c).await
    );
}

/// Does `act` in the details panel, again if live updates redrew the panel under it (the
/// elements it found are gone then, and the action fails before it reaches the page).
async fn in_live_panel<F, Fut>(what: &str, act: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), fantoccini::error::CmdError>>,
{
    let mut act = act;
    let done = eventually(WAIT, || {
        let attempt = act();
        async move { attempt.await.is_ok() }
    })
    .await;
    assert!(done, "{what} in the details panel");
}

/// Puts the label on the chat from the details panel's select and waits for its chip.
async fn add_from_panel(c: &Client, label: &str) {
    in_live_panel("picking the label and adding it", || async {
        c.find(Locator::Css("#details #add-label"))
            .await?
            .select_by_value(label)
            .await?;
        c.find(Locator::Css(
            "#details form.label-filter button[type=submit]",
        ))
        .await?
        .click()
        .await
    })
    .await;
    wait_for_text(c, "#details .label-chips", NAME).await;
}

#[tokio::test]
async fn a_super_admin_labels_a_chat_and_filters_the_queue_by_it() {
    let Some(driver) = start_driver().await else {
        return;
    };
    let app = TestApp::spawn().await;
    app.create_agent("dana@example.com", "Dana Lee", "super_admin")
        .await;
    app.create_agent("rosa@example.com", "Rosa Diaz", "support_admin")
        .await;
    user_chat(&app, "zoe", ZOE, "Zoe Park", "My refund never arrived").await;
    user_chat(&app, "kai", KAI, "Kai Moss", "Just saying hello").await;
    let root = app.login("dana@example.com").await;

    let profile = tempfile::tempdir().unwrap();
    let c = browser(&driver, profile.path()).await;
    sign_in(&c, &app, "dana@example.com").await;

    // The nav leads to the labels page, where the new label is made.
    mark_page(&c).await;
    click(&c, "nav a[href='/admin/labels']").await;
    wait_for_next_page(&c, "the nav's Labels link").await;
    wait_for_text(&c, "h1", "Labels").await;
    assert!(text_of(&c, "main").await.contains("No labels yet."));
    let swatch = js(
        &c,
        "return document.getElementById('nl-colour').getBoundingClientRect().height",
    )
    .await;
    assert!(
        swatch.as_f64().unwrap() >= 24.0,
        "a colour swatch one can see: {swatch}"
    );
    fill(&c, "#nl-name", NAME).await;
    js(
        &c,
        &format!("document.getElementById('nl-colour').value = '{GREEN}'; return true"),
    )
    .await;
    mark_page(&c).await;
    click(&c, "form[action='/admin/labels'] button[type=submit]").await;
    wait_for_next_page(&c, "the label is made and the page comes back").await;
    let list = app.get_ok("/api/admin/labels", &root).await;
    let label = &list["data"]["labels"][0];
    assert_eq!(
        (&label["name"], &label["colour"]),
        (&json!(NAME), &json!(GREEN))
    );
    let id = label["labelId"].as_str().unwrap().to_string();
    // The name is the very characters typed, in its field and in the delete question.
    assert_eq!(value_of(&c, &format!("#ln-{id}")).await, NAME);
    assert_eq!(value_of(&c, &format!("#lc-{id}")).await, GREEN);
    let question = js(
        &c,
        "return document.querySelector('form[data-confirm]').getAttribute('data-confirm')",
    )
    .await;
    assert!(question.as_str().unwrap().contains(NAME), "{question}");
    assert!(
        c.find_all(Locator::Css("main b")).await.unwrap().is_empty(),
        "no markup got through"
    );
    save_screenshot(&c, "labels").await;

    // On the chat: no labels yet; add it from the details panel.
    c.goto(&app.url(&format!("/admin/chats/{ZOE}")))
        .await
        .unwrap();
    wait_for_text(&c, "#details .label-chips", "No labels.").await;
    add_from_panel(&c, &id).await;
    let shown = chips(&c).await;
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert!(
        shown[0]["text"].as_str().unwrap().starts_with(NAME),
        "{shown:?}"
    );
    assert_eq!(shown[0]["fill"], GREEN);
    assert!(
        c.find_all(Locator::Css("#details b"))
            .await
            .unwrap()
            .is_empty(),
        "no markup got through"
    );
    let names = |detail: &Value| -> Vec<Value> {
        detail["data"]["labels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["name"].clone())
            .collect()
    };
    let detail = app
        .get_ok(&format!("/api/admin/chat/session/{ZOE}"), &root)
        .await;
    assert_eq!(names(&detail), [json!(NAME)]);
    assert!(
        c.find_all(Locator::Css("#details #add-label"))
            .await
            .unwrap()
            .is_empty(),
        "nothing left to add"
    );
    save_screenshot(&c, "labels-chat").await;

    // The chip's × takes it off; the select offers it again, and it goes back on.
    in_live_panel("the chip's remove button", || async {
        c.find(Locator::Css("#details .label-chip button[title='Remove']"))
            .await?
            .click()
            .await
    })
    .await;
    wait_for_text(&c, "#details .label-chips", "No labels.").await;
    let detail = app
        .get_ok(&format!("/api/admin/chat/session/{ZOE}"), &root)
        .await;
    assert!(names(&detail).is_empty(), "{detail}");
    add_from_panel(&c, &id).await;
    assert_eq!(chips(&c).await.len(), 1);

    // The queue filtered by the label shows that chat alone, with its chip, and its live rows
    // keep the filter: a label put on the other chat brings it in, taking it off takes it out.
    c.goto(&app.url("/admin/queue")).await.unwrap();
    wait_for_rows(&c, &[ZOE, KAI], "the whole queue").await;
    select(&c, "#queue-label", &id).await;
    mark_page(&c).await;
    click(&c, ".page-head form.label-filter button[type=submit]").await;
    wait_for_next_page(&c, "the queue filtered by the label").await;
    let (path, query) = path_of(&c).await;
    assert_eq!(path, "/admin/queue");
    assert_eq!(query, vec![("label".to_string(), id.clone())]);
    wait_for_rows(&c, &[ZOE], "only the labelled chat").await;
    assert_eq!(value_of(&c, "#queue-label").await, id);
    let row = text_of(&c, &format!("li[data-session='{ZOE}']")).await;
    assert!(row.contains(NAME), "the row's chip: {row}");
    mark_page(&c).await;
    let chat_labels = format!("/api/admin/chat/session/{KAI}/labels/{id}");
    app.put_ok(&chat_labels, &root, json!({})).await;
    wait_for_rows(&c, &[ZOE, KAI], "the newly labelled chat joins").await;
    app.delete_ok(&chat_labels, &root).await;
    wait_for_rows(&c, &[ZOE], "the unlabelled chat leaves").await;
    assert_eq!(
        js(&c, "return window.fdSamePage === true").await,
        json!(true),
        "the rows changed without a reload"
    );
    save_screenshot(&c, "labels-queue").await;
    c.close().await.unwrap();

    // A support admin sees the chip and nothing to change it with.
    let profile = tempfile::tempdir().unwrap();
    let c = browser(&driver, profile.path()).await;
    sign_in(&c, &app, "rosa@example.com").await;
    c.goto(&app.url(&format!("/admin/chats/{ZOE}")))
        .await
        .unwrap();
    wait_for_text(&c, "#details .label-chips", NAME).await;
    let shown = chips(&c).await;
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert_eq!(shown[0]["text"], NAME, "a chip without a remove button");
    for control in [
        "#details #add-label",
        "#details .label-chip button",
        "#details input[name=change]",
    ] {
        assert!(
            c.find_all(Locator::Css(control)).await.unwrap().is_empty(),
            "a support admin gets no {control}"
        );
    }
    c.close().await.unwrap();
}
