//! The website widget's files over HTTP: their weight (widget.js under 10 KB, the whole panel
//! under 100 KB), compression, ETag revalidation and cache headers, the panel's
//! Content-Security-Policy (who may frame it), its settings escaped into the page, and the
//! demo page on and off.

use reqwest::StatusCode;
use reqwest::header::{
    ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG,
    IF_NONE_MATCH,
};

use crate::helpers::*;

struct Fetched {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

impl Fetched {
    fn header(&self, name: impl reqwest::header::AsHeaderName) -> &str {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap())
            .unwrap_or_default()
    }

    fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("text")
    }
}

/// GET with optional extra headers; the body as sent (the test client never decompresses).
async fn fetch(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> Fetched {
    let mut request = app.client.get(app.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("request sent");
    Fetched {
        status: response.status(),
        headers: response.headers().clone(),
        body: response.bytes().await.expect("body").to_vec(),
    }
}

/// The panel's own asset URLs, as the frame page links them.
fn linked_assets(frame: &str) -> Vec<String> {
    [
        "/static/widget/panel.css?v=",
        "/static/widget/panel-live.js?v=",
        "/static/widget/panel.js?v=",
    ]
    .iter()
    .map(|prefix| {
        let start = frame
            .find(prefix)
            .unwrap_or_else(|| panic!("{prefix} in {frame}"));
        let end = start + frame[start..].find('"').unwrap();
        frame[start..end].to_string()
    })
    .collect()
}

#[tokio::test]
async fn widget_js_is_small_and_the_whole_panel_is_under_100_kb() {
    let app = TestApp::spawn().await;
    let script = fetch(&app, "/widget.js", &[]).await;
    assert_eq!(script.status, StatusCode::OK);
    assert!(
        script.header(CONTENT_TYPE).contains("javascript"),
        "{}",
        script.header(CONTENT_TYPE)
    );
    assert!(
        script.body.len() < 10 * 1024,
        "widget.js is {} bytes",
        script.body.len()
    );
    // A plain script tag needs no CORS, and none is offered.
    assert!(script.headers.get("access-control-allow-origin").is_none());

    let frame = fetch(&app, "/widget/frame", &[]).await;
    assert_eq!(frame.status, StatusCode::OK);
    let mut total = frame.body.len();
    for asset in linked_assets(&frame.text()) {
        let file = fetch(&app, &asset, &[]).await;
        assert_eq!(file.status, StatusCode::OK, "{asset}");
        total += file.body.len();
    }
    assert!(total < 100 * 1024, "the panel is {total} bytes");
}

#[tokio::test]
async fn widget_files_are_compressed_with_gzip_or_brotli() {
    let app = TestApp::spawn().await;
    let raw = fetch(&app, "/widget.js", &[]).await;
    assert_eq!(raw.header(CONTENT_ENCODING), "", "identity unless asked");
    for encoding in ["gzip", "br"] {
        for path in ["/widget.js", "/static/widget/panel.js", "/widget/frame"] {
            let answer = fetch(&app, path, &[(ACCEPT_ENCODING.as_str(), encoding)]).await;
            assert_eq!(answer.status, StatusCode::OK, "{path}");
            assert_eq!(answer.header(CONTENT_ENCODING), encoding, "{path}");
            assert!(
                answer
                    .header("vary")
                    .to_ascii_lowercase()
                    .contains("accept-encoding")
            );
        }
        let packed = fetch(&app, "/widget.js", &[(ACCEPT_ENCODING.as_str(), encoding)]).await;
        assert!(
            packed.body.len() < raw.body.len() / 2,
            "{encoding}: {} of {} bytes",
            packed.body.len(),
            raw.body.len()
        );
    }
}

#[tokio::test]
async fn an_unchanged_file_answers_304_to_its_etag() {
    let app = TestApp::spawn().await;
    for path in ["/widget.js", "/static/widget/panel.css", "/static/app.css"] {
        let first = fetch(&app, path, &[]).await;
        let etag = first.header(ETAG).to_string();
        assert!(etag.starts_with("W/\""), "{path}: {etag:?}");
        let again = fetch(&app, path, &[(IF_NONE_MATCH.as_str(), &etag)]).await;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED, "{path}");
        assert!(again.body.is_empty(), "{path}");
        assert_eq!(again.header(ETAG), etag);
        // The compressed copy has the same (weak) validator as the plain one.
        let packed = fetch(
            &app,
            path,
            &[
                (ACCEPT_ENCODING.as_str(), "br"),
                (IF_NONE_MATCH.as_str(), &etag),
            ],
        )
        .await;
        assert_eq!(packed.status, StatusCode::NOT_MODIFIED, "{path} (br)");
        assert_eq!(packed.header(ETAG), etag);
        let stale = fetch(&app, path, &[(IF_NONE_MATCH.as_str(), "W/\"stale\"")]).await;
        assert_eq!(stale.status, StatusCode::OK, "{path}");
        assert_eq!(stale.body, first.body);
    }
}

#[tokio::test]
async fn cache_headers_are_short_for_widget_js_and_long_for_versioned_panel_files() {
    let app = TestApp::spawn().await;
    let script = fetch(&app, "/widget.js", &[]).await;
    assert_eq!(script.header(CACHE_CONTROL), "public, max-age=300");
    let frame = fetch(&app, "/widget/frame", &[]).await;
    assert_eq!(frame.header(CACHE_CONTROL), "no-cache");
    for asset in linked_assets(&frame.text()) {
        let file = fetch(&app, &asset, &[]).await;
        assert_eq!(
            file.header(CACHE_CONTROL),
            "public, max-age=31536000, immutable",
            "{asset}"
        );
    }
    let old = fetch(&app, "/static/widget/panel.js?v=0000", &[]).await;
    assert_eq!(old.header(CACHE_CONTROL), "public, max-age=3600");
}

#[tokio::test]
async fn the_frame_may_be_framed_by_this_server_only_without_allowed_origins() {
    let app = TestApp::spawn().await;
    let frame = fetch(&app, "/widget/frame", &[]).await;
    assert_eq!(frame.status, StatusCode::OK);
    assert_eq!(
        frame.header(CONTENT_SECURITY_POLICY),
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; \
         img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
    );
    assert!(frame.headers.get("x-frame-options").is_none());
    assert!(frame.text().contains("title>Support chat<"));
}

#[tokio::test]
async fn the_frame_lists_the_allowed_origins_as_ancestors() {
    let app = TestApp::spawn_with(|s| {
        s.widget.allowed_origins = vec![
            "https://shop.example".into(),
            "http://localhost:3000".into(),
        ];
    })
    .await;
    let frame = fetch(&app, "/widget/frame", &[]).await;
    assert!(
        frame
            .header(CONTENT_SECURITY_POLICY)
            .ends_with("frame-ancestors 'self' https://shop.example http://localhost:3000"),
        "{}",
        frame.header(CONTENT_SECURITY_POLICY)
    );
    assert!(frame.headers.get("x-frame-options").is_none());
    // The panel checks its parent against the same list.
    assert!(frame.text().contains("https://shop.example"));
}

#[tokio::test]
async fn settings_in_the_frame_are_escaped() {
    let evil = "\"><script>alert(1)</script>";
    let app = TestApp::spawn_with(|s| s.welcome_message = Some(evil.into())).await;
    let page = fetch(&app, "/widget/frame", &[]).await.text();
    assert!(!page.contains("<script>alert"), "{page}");
    assert!(page.contains("alert(1)&#60;/script&#62;"), "{page}");
}

#[tokio::test]
async fn the_demo_page_shows_the_snippet_and_can_be_turned_off() {
    let app = TestApp::spawn().await;
    let demo = fetch(&app, "/widget/demo", &[]).await;
    assert_eq!(demo.status, StatusCode::OK);
    assert!(demo.header(CONTENT_TYPE).starts_with("text/html"));
    let page = demo.text();
    assert!(page.contains("<script src=\"/widget.js\" defer"), "{page}");
    let snippet = format!("&lt;script src=\"{}/widget.js\" defer", app.base);
    assert!(page.contains(&snippet), "the snippet shown: {page}");
    assert!(
        demo.header(CONTENT_SECURITY_POLICY)
            .contains("frame-src 'self'")
    );

    let off = TestApp::spawn_with(|s| s.widget.demo = false).await;
    let (status, body) = off
        .request(reqwest::Method::GET, "/widget/demo", None, None)
        .await;
    assert_error(status, &body, 404, "NOT_FOUND");
    // The widget itself stays.
    assert_eq!(fetch(&off, "/widget.js", &[]).await.status, StatusCode::OK);
}
