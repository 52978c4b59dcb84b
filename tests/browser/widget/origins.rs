//! A site that is not in ALLOWED_ORIGINS gets no working chat: the browser refuses to frame
//! the panel there (its Content-Security-Policy's frame-ancestors) and to hand the page the
//! client API's answers (no CORS headers for it).

use super::*;

#[tokio::test]
async fn a_site_not_in_allowed_origins_gets_no_panel() {
    let Some(Visit {
        host,
        app,
        c,
        _keep,
    }) = visit(|s| s.widget.allowed_origins.clear()).await
    else {
        return;
    };
    open_shop(&c, &host, "").await;
    launcher(&c).await.click().await.unwrap();
    // The iframe exists on the page, but the browser never shows the panel in it.
    wait_for_js(
        &c,
        "return performance.getEntriesByType('resource').some(e => e.name.includes('/widget/frame'))",
        "the frame was asked for",
    )
    .await;
    enter_panel(&c).await;
    let panel = js(&c, "return !!document.getElementById('panel')").await;
    assert_eq!(panel, json!(false), "no panel inside a refused frame");
    c.enter_parent_frame().await.unwrap();
    // Nor may the page call the client API itself: the browser refuses the answer (no CORS).
    let call = format!(
        "window.apiCall = 'pending'; fetch('{}/api/chat/availability').then(\
         () => {{ window.apiCall = 'read'; }}, () => {{ window.apiCall = 'refused'; }}); return true",
        app.base
    );
    js(&c, &call).await;
    wait_for_js(
        &c,
        "return window.apiCall !== 'pending'",
        "the page's own API call settled",
    )
    .await;
    assert_eq!(js(&c, "return window.apiCall").await, json!("refused"));
    c.close().await.unwrap();
}
