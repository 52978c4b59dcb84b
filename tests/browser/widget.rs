//! The website widget in a real Chromium, on a shop page served from a second origin (a tiny
//! server in the test, listed in ALLOWED_ORIGINS): the launcher, nothing of the panel loaded
//! before the first click, a guest's chat with an agent answering over the admin API, the
//! unread badge while closed, continuity across a reload, an agent's HTML shown as text,
//! ending and rating, shutdown; an identified user with their history; phone width and
//! keyboard-only use; the offline form.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use axum::extract::{Query, State};
use axum::response::Html;
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::elements::Element;
use fantoccini::{Client, Locator};
use serde_json::Value;

use super::*;

mod demo;
mod files;
mod guest;
mod identified;
mod offline;
mod origins;
mod phone;

const ENTER: char = '\u{E007}';
const TAB: char = '\u{E004}';
const ESCAPE: char = '\u{E00C}';
const SHIFT: char = '\u{E008}';
/// Releases held modifier keys in `send_keys`.
const RELEASE: char = '\u{E000}';

/// The second origin: a shop page with the widget's snippet, pointing at the frontdesk server.
struct HostSite {
    origin: String,
    server: Arc<OnceLock<String>>,
}

impl HostSite {
    async fn start() -> HostSite {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = Arc::new(OnceLock::new());
        let router = axum::Router::new()
            .route("/", axum::routing::get(shop_page))
            .with_state(server.clone());
        tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        // "localhost" and the server's "127.0.0.1" are different sites, as in real life.
        HostSite {
            origin: format!("http://localhost:{port}"),
            server,
        }
    }

    fn serve_widget_of(&self, app: &TestApp) {
        self.server.set(app.base.clone()).unwrap();
    }
}

/// `?hide=1` puts `data-hide-when-offline` on the snippet; `?token=` identifies the visitor.
async fn shop_page(
    State(server): State<Arc<OnceLock<String>>>,
    Query(query): Query<HashMap<String, String>>,
) -> Html<String> {
    let server = server.get().cloned().unwrap_or_default();
    let hide = if query.contains_key("hide") {
        " data-hide-when-offline"
    } else {
        ""
    };
    Html(format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Tea shop</title></head>
<body><h1>Tea shop</h1><p><a href="/" id="home">Home</a> <button id="shop-button">Basket</button></p>
<script>
window.frontdesk = window.frontdesk || function(){{(frontdesk.q = frontdesk.q || []).push(arguments)}};
var t = new URLSearchParams(location.search).get('token');
if (t) frontdesk('identify', {{token: t}});
window.unreadSeen = 0;
frontdesk('on', 'unread', function (n) {{ window.unreadSeen = n; }});
frontdesk('on', 'ready', function () {{ window.widgetReady = true; }});
</script>
<script src="{server}/widget.js" defer data-title="Tea shop help"{hide}></script>
</body></html>"#
    ))
}

/// One test's world: the shop on its own origin, the server (guests allowed, the shop in
/// ALLOWED_ORIGINS, then `adjust`), and a fresh browser.
struct Visit {
    host: HostSite,
    app: TestApp,
    c: Client,
    _keep: (tempfile::TempDir, Driver),
}

/// None when the browser is missing (the test is skipped).
async fn visit(adjust: impl FnOnce(&mut frontdesk::config::Settings)) -> Option<Visit> {
    let driver = start_driver().await?;
    let host = HostSite::start().await;
    let origin = host.origin.clone();
    let app = TestApp::spawn_with(|s| {
        s.allow_guests = true;
        s.widget.allowed_origins = vec![origin];
        s.rate_limit_max_requests = 1000;
        adjust(s);
    })
    .await;
    host.serve_widget_of(&app);
    let profile = tempfile::tempdir().unwrap();
    let c = browser(&driver, profile.path()).await;
    Some(Visit {
        host,
        app,
        c,
        _keep: (profile, driver),
    })
}

/// Clicks the launcher and switches WebDriver into the panel.
async fn open_panel(c: &Client) {
    launcher(c).await.click().await.unwrap();
    enter_panel(c).await;
}

/// Waits until the panel shows the element with this id.
async fn wait_shown(c: &Client, id: &str, what: &str) {
    let script = format!("return !document.getElementById('{id}').hidden");
    wait_for_js(c, &script, what).await;
}

/// The chat as the admin API shows it (`data`).
async fn chat_detail(app: &TestApp, agent: &str, session: &str) -> Value {
    let path = format!("/api/admin/chat/session/{session}");
    app.get_ok(&path, agent).await["data"].clone()
}

async fn open_shop(c: &Client, host: &HostSite, query: &str) {
    c.goto(&format!("{}/{query}", host.origin)).await.unwrap();
    wait_for_js(
        c,
        "return window.widgetReady === true",
        "the widget is ready",
    )
    .await;
}

async fn shadow_find(c: &Client, css: &str) -> Option<Element> {
    let host = c.find(Locator::Css("#frontdesk-widget")).await.ok()?;
    host.shadow_root()
        .await
        .ok()?
        .find(Locator::Css(css))
        .await
        .ok()
}

async fn launcher(c: &Client) -> Element {
    shadow_find(c, "button").await.expect("the launcher")
}

/// Switches WebDriver into the panel's iframe (back out with `enter_parent_frame`).
async fn enter_panel(c: &Client) {
    let frame = shadow_find(c, "iframe").await.expect("the panel's iframe");
    frame.enter_frame().await.unwrap();
}

async fn press(c: &Client, key: char) {
    let keys = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value: key })
        .then(KeyAction::Up { value: key });
    c.perform_actions(keys).await.unwrap();
}

const IN_SHADOW: &str = "const root = document.getElementById('frontdesk-widget').shadowRoot;";

async fn badge_text(c: &Client) -> String {
    let script = format!(
        "{IN_SHADOW} const b = root.querySelector('button span'); \
         return b.style.display === 'none' ? '' : b.textContent;"
    );
    js(c, &script)
        .await
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// The active chats' rows in the admin API.
async fn queue(app: &TestApp, agent: &str) -> Vec<Value> {
    let body = app.get_ok("/api/admin/chat/active-sessions", agent).await;
    body["data"]["sessions"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

async fn wait_for_session(app: &TestApp, agent: &str) -> String {
    wait_until("the widget's chat reaches the queue", || async {
        !queue(app, agent).await.is_empty()
    })
    .await;
    queue(app, agent).await[0]["sessionId"]
        .as_str()
        .expect("a session id")
        .to_string()
}
