//! The demo page: the widget on the server's own origin.

use super::*;

#[tokio::test]
async fn the_demo_page_chats_on_the_servers_own_origin() {
    let Some(Visit { app, c, _keep, .. }) = visit(|_| {}).await else {
        return;
    };
    let (_, agent) = app.agent("ada@example.com", "chat_admin").await;
    c.goto(&app.url("/widget/demo")).await.unwrap();
    wait_for_js(
        &c,
        "return !!document.getElementById('frontdesk-widget')",
        "the launcher on the demo page",
    )
    .await;
    open_panel(&c).await;
    wait_shown(&c, "prechat", "the pre-chat form").await;
    wait_for_text(&c, "#title", "Acme Tea support").await;
    click(&c, "#prechat-form button[type=submit]").await;
    wait_shown(&c, "chat", "the chat view").await;
    fill(&c, "#message", &format!("Hello from the demo{ENTER}")).await;
    wait_for_text(&c, "#transcript", "Hello from the demo").await;
    wait_for_session(&app, &agent).await;
    c.close().await.unwrap();
}
