//! Searching chats from the dashboard: the top bar's box on any page leads to the search page,
//! whose hits mark the matched words, show what customers typed as text (never as markup), link
//! to their chats, and narrow with the page's own filters. Without a query the page is only the
//! form; a malformed filter in the address gets the error page naming it.

use fantoccini::key::Key;
use fantoccini::{Client, Locator};
use serde_json::{Value, json};

use super::*;

const ZANZIBAR: &str = "chat_search_zanzibar";
const HOSTILE_CHAT: &str = "chat_search_hostile";
const ZANZIBAR_TEXT: &str = "Where is my zanzibar refund?";
/// Markup a customer typed: it must come out as these very characters, and its handler must
/// never run.
const HOSTILE: &str = r#"<b>refund</b><img src=x onerror="window.__pwned=1">"#;
/// A query that would break out of the boxes it is shown in, were it not escaped.
const HOSTILE_QUERY: &str = r#""><img src=x onerror="window.__pwned=2"> refund"#;

/// Every hit on the page: its link, its source line, its snippet's text, the words in its
/// `<mark>`s and the tag of every element inside the snippet.
const HITS: &str = "
    return [...document.querySelectorAll('#search-results li.hit')].map(li => ({
        href: li.querySelector('a').getAttribute('href'),
        who: li.querySelector('a').textContent,
        meta: li.querySelector('small').textContent,
        text: li.querySelector('.snippet').textContent,
        marks: [...li.querySelectorAll('.snippet mark')].map(m => m.textContent),
        tags: [...li.querySelectorAll('.snippet *')].map(e => e.tagName.toLowerCase()),
    }));";

async fn hits(c: &Client) -> Vec<Value> {
    js(c, HITS)
        .await
        .as_array()
        .expect("a list of hits")
        .clone()
}

/// The one hit linking to `chat`.
fn hit_for<'a>(hits: &'a [Value], chat: &str) -> &'a Value {
    let href = format!("/admin/chats/{chat}");
    let mut found = hits.iter().filter(|h| h["href"] == href.as_str());
    let hit = found
        .next()
        .unwrap_or_else(|| panic!("a hit for {chat}: {hits:?}"));
    assert!(found.next().is_none(), "one hit for {chat}: {hits:?}");
    hit
}

/// Submits the search page's filter form and waits for the page it loads.
async fn submit_filters(c: &Client, what: &str) {
    mark_page(c).await;
    click(c, "form.search-form button[type=submit]").await;
    wait_for_next_page(c, what).await;
    c.wait()
        .at_most(WAIT)
        .for_element(Locator::Css("#search-results"))
        .await
        .unwrap_or_else(|e| panic!("{what}: results: {e}"));
}

/// Replaces the words in the search page's own box.
async fn type_query(c: &Client, q: &str) {
    let input = c.find(Locator::Css("#search-q")).await.unwrap();
    input.clear().await.unwrap();
    input.send_keys(q).await.unwrap();
}

#[tokio::test]
async fn the_top_bar_search_finds_chats_marks_words_and_narrows_with_filters() {
    let Some(driver) = start_driver().await else {
        return;
    };
    let app = TestApp::spawn().await;
    // The least role that reads chats: searching needs nothing more.
    app.create_agent("rosa@example.com", "Rosa Diaz", "support_admin")
        .await;
    user_chat(&app, "zoe", ZANZIBAR, "Zoe Park", ZANZIBAR_TEXT).await;
    user_chat(&app, "mallory", HOSTILE_CHAT, "Mallory", HOSTILE).await;
    // The hostile chat has ended; the other goes on (the status filter tells them apart).
    let (status, body) = app
        .post(
            "/api/chat/session/end",
            &app.user_token("mallory"),
            json!({ "sessionId": HOSTILE_CHAT, "rating": 2 }),
        )
        .await;
    assert_eq!(status.as_u16(), 200, "{body}");

    let profile = tempfile::tempdir().unwrap();
    let c = browser(&driver, profile.path()).await;
    sign_in(&c, &app, "rosa@example.com").await;

    // From the queue: type into the top bar's box and press Enter.
    mark_page(&c).await;
    let topbar = "form.topsearch[role=search] input[name=q][type=search]";
    fill(&c, topbar, "refund").await;
    fill(&c, topbar, &char::from(Key::Enter).to_string()).await;
    wait_for_next_page(&c, "Enter in the top bar's box loads the search page").await;
    c.wait()
        .at_most(WAIT)
        .for_element(Locator::Css("#search-results"))
        .await
        .expect("the search page with results");
    let (path, query) = path_of(&c).await;
    assert_eq!(path, "/admin/search");
    assert_eq!(query, vec![("q".to_string(), "refund".to_string())]);
    // Both boxes say what was searched for.
    assert_eq!(value_of(&c, topbar).await, "refund");
    assert_eq!(value_of(&c, "#search-q").await, "refund");

    // Both chats are found, the matched word marked in each.
    let found = hits(&c).await;
    assert_eq!(found.len(), 2, "{found:?}");
    let zanzibar = hit_for(&found, ZANZIBAR);
    assert_eq!(zanzibar["who"], "Zoe Park", "{zanzibar}");
    assert!(
        zanzibar["text"]
            .as_str()
            .unwrap()
            .contains("zanzibar refund"),
        "{zanzibar}"
    );
    assert_eq!(zanzibar["marks"], json!(["refund"]), "{zanzibar}");
    assert_eq!(zanzibar["tags"], json!(["mark"]), "{zanzibar}");
    let meta = zanzibar["meta"].as_str().unwrap();
    assert!(
        meta.contains("Message") && meta.contains("Active") && meta.contains("UTC"),
        "{zanzibar}"
    );

    // What the hostile customer typed is text: the same characters, no element but the mark,
    // and its handler never ran.
    let hostile = hit_for(&found, HOSTILE_CHAT);
    assert_eq!(hostile["text"], HOSTILE, "{hostile}");
    assert_eq!(hostile["marks"], json!(["refund"]), "{hostile}");
    assert_eq!(hostile["tags"], json!(["mark"]), "{hostile}");
    assert!(
        c.find_all(Locator::Css("#search-results img, #search-results b"))
            .await
            .unwrap()
            .is_empty(),
        "no markup got through"
    );
    assert_eq!(js(&c, "return typeof window.__pwned").await, "undefined");
    save_screenshot(&c, "search").await;

    // On a phone the filters and hits fit the screen.
    c.set_window_size(375, 812).await.unwrap();
    wait_for_js(
        &c,
        "return window.innerWidth <= 375",
        "the window narrows to 375 px",
    )
    .await;
    let width = js(&c, "return document.documentElement.scrollWidth").await;
    assert!(
        width.as_u64().unwrap() <= 375,
        "the search page is {width} px wide at 375 px"
    );
    save_screenshot(&c, "search-mobile").await;
    c.set_window_size(1280, 900).await.unwrap();

    // Ended chats only: the hostile one alone; the filter stays picked on the new page.
    select(&c, "#search-status", "ended").await;
    submit_filters(&c, "searching ended chats").await;
    let found = hits(&c).await;
    assert_eq!(found.len(), 1, "{found:?}");
    hit_for(&found, HOSTILE_CHAT);
    assert_eq!(value_of(&c, "#search-status").await, "ended");
    assert_eq!(value_of(&c, "#search-q").await, "refund");

    // A word only the active chat has, still among ended chats: nothing.
    type_query(&c, "zanzibar").await;
    submit_filters(&c, "searching ended chats for zanzibar").await;
    wait_for_text(&c, "#search-results", "Nothing found.").await;
    assert!(hits(&c).await.is_empty());

    // Any status, by the word's start: the active chat alone, the whole word marked.
    select(&c, "#search-status", "").await;
    type_query(&c, "zanz*").await;
    submit_filters(&c, "searching every chat for zanz*").await;
    let found = hits(&c).await;
    assert_eq!(found.len(), 1, "{found:?}");
    let zanzibar = hit_for(&found, ZANZIBAR);
    assert_eq!(zanzibar["marks"], json!(["zanzibar"]), "{zanzibar}");

    // The hit's link opens its chat.
    mark_page(&c).await;
    click(&c, "#search-results li.hit a").await;
    wait_for_next_page(&c, "the hit's link loads its chat").await;
    wait_for_text(&c, "#transcript", ZANZIBAR_TEXT).await;
    assert_eq!(path_of(&c).await.0, format!("/admin/chats/{ZANZIBAR}"));
    c.close().await.unwrap();
}

#[tokio::test]
async fn the_search_page_without_words_is_the_form_and_a_bad_filter_is_named() {
    let Some(driver) = start_driver().await else {
        return;
    };
    let app = TestApp::spawn().await;
    app.create_agent("rosa@example.com", "Rosa Diaz", "support_admin")
        .await;
    user_chat(&app, "zoe", ZANZIBAR, "Zoe Park", ZANZIBAR_TEXT).await;
    let profile = tempfile::tempdir().unwrap();
    let c = browser(&driver, profile.path()).await;
    sign_in(&c, &app, "rosa@example.com").await;

    // No words: the form with every filter, and no results list at all.
    c.goto(&app.url("/admin/search")).await.unwrap();
    c.wait()
        .at_most(WAIT)
        .for_element(Locator::Css("form.search-form"))
        .await
        .expect("the search form");
    for field in [
        "#search-q",
        "#search-from",
        "#search-to",
        "#search-agent",
        "#search-status",
        "#search-rating",
        "#search-channel",
    ] {
        c.find(Locator::Css(&format!("form.search-form {field}")))
            .await
            .unwrap_or_else(|e| panic!("{field} in the form: {e}"));
    }
    // The signed-in agent is one the agent filter offers.
    assert!(
        text_of(&c, "#search-agent").await.contains("Rosa Diaz"),
        "the agent filter lists the agents"
    );
    assert!(
        c.find_all(Locator::Css("#search-results, li.hit"))
            .await
            .unwrap()
            .is_empty(),
        "no results without words"
    );
    // Only blanks is no words either.
    c.goto(&app.url("/admin/search?q=%20%20")).await.unwrap();
    c.wait()
        .at_most(WAIT)
        .for_element(Locator::Css("form.search-form"))
        .await
        .expect("the search form for blank words");
    assert!(
        c.find_all(Locator::Css("#search-results"))
            .await
            .unwrap()
            .is_empty(),
        "no results for blank words"
    );

    // Markup searched for comes back in both boxes as the very characters typed.
    let mut hostile = reqwest::Url::parse(&app.url("/admin/search")).unwrap();
    hostile.query_pairs_mut().append_pair("q", HOSTILE_QUERY);
    c.goto(hostile.as_str()).await.unwrap();
    c.wait()
        .at_most(WAIT)
        .for_element(Locator::Css("#search-results"))
        .await
        .expect("the results for a hostile query");
    assert_eq!(value_of(&c, "#search-q").await, HOSTILE_QUERY);
    assert_eq!(
        value_of(&c, "form.topsearch input[name=q]").await,
        HOSTILE_QUERY
    );
    assert!(
        c.find_all(Locator::Css("main img, header img"))
            .await
            .unwrap()
            .is_empty(),
        "no markup got through"
    );
    assert_eq!(js(&c, "return typeof window.__pwned").await, "undefined");

    // A date that is not one, typed into the address: the error page says which and how.
    c.goto(&app.url("/admin/search?q=zanzibar&from=yesterday"))
        .await
        .unwrap();
    wait_for_text(&c, "h1", "Please check the form").await;
    let message = text_of(&c, ".error-text").await;
    assert!(
        message.contains("from must be a date like"),
        "names the field and the format: {message}"
    );
    assert!(
        c.find_all(Locator::Css("#search-results"))
            .await
            .unwrap()
            .is_empty(),
        "no results beside the error"
    );
    c.close().await.unwrap();
}
