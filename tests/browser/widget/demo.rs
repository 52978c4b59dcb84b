//! The demo page: the widget on the server's own origin.

use super::*;

#[tokio::test]
async fn the_demo_page_chats_on_the_servers_own_origin() {
    let Some(driver) = start_driver().await else {
        return;
    };
    let app = TestApp::spawn_with(|s| s.allow_guests = true).await;
    let (_, agent) = app.agent("ada@example.com", "chat_admin").await;
    let profile = tempfile::tempdir().unwrap();
    let c = browser(&driver, profile.path()).await;
    c.goto(&app.url("/widget/demo")).await.unwrap();
    wait_for_js(
        &c,
        "return !!document.getElementById('frontdesk-widget')",
        "the launcher on the demo page",
    )
    .await;
    launcher(&c).await.click().await.unwrap();
    enter_panel(&c).await;
    wait_for_js(
        &c,
        "return !document.getElementById('prechat').hidden",
        "the pre-chat form",
    )
    .await;
    wait_for_text(&c, "#title", "Acme Tea support").await;
    click(&c, "#prechat-form button[type=submit]").await;
    wait_for_js(
        &c,
        "return !document.getElementById('chat').hidden",
        "the chat view",
    )
    .await;
    fill(&c, "#message", &format!("Hello from the demo{ENTER}")).await;
    wait_for_text(&c, "#transcript", "Hello from the demo").await;
    wait_for_session(&app, &agent).await;
    c.close().await.unwrap();
}
