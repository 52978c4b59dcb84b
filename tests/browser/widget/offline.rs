//! The offline form when the team is away.

use super::*;

/// Needs `GET /api/chat/availability` and `POST /api/chat/offline` (built beside this).
#[tokio::test]
#[ignore = "needs the availability and offline endpoints"]
async fn away_visitors_leave_a_message_and_later_see_the_reply() {
    let Some(driver) = start_driver().await else {
        return;
    };
    let host = HostSite::start().await;
    // No agent is online, and that counts as away.
    let app = spawn(&host, |s| s.widget.offline_when_no_agents = true).await;
    let profile = tempfile::tempdir().unwrap();
    let c = browser(&driver, profile.path()).await;
    // With data-hide-when-offline there is no launcher while away.
    open_shop(&c, &host, "?hide=1").await;
    wait_for_js(
        &c,
        &format!(
            "{IN_SHADOW} return root.host.dataset.availability === 'away' \
             && root.querySelector('button').style.display === 'none'"
        ),
        "the launcher hidden while away",
    )
    .await;
    open_shop(&c, &host, "").await;
    launcher(&c).await.click().await.unwrap();
    enter_panel(&c).await;
    wait_for_js(
        &c,
        "return !document.getElementById('offline').hidden",
        "the offline form",
    )
    .await;
    fill(&c, "#offline-name", "Olive").await;
    fill(&c, "#offline-email", "olive@example.com").await;
    fill(&c, "#offline-message", "Do you ship to Norway?").await;
    c.enter_parent_frame().await.unwrap();
    save_screenshot(&c, "widget-offline").await;
    enter_panel(&c).await;
    click(&c, "#offline-form button[type=submit]").await;
    wait_for_text(&c, "#offline-sent", "we got your message").await;
    wait_for_text(&c, "#transcript", "Do you ship to Norway?").await;

    // An agent answers later; the visitor sees it when they come back.
    let (_, agent) = app.agent("ada@example.com", "chat_admin").await;
    let session = wait_for_session(&app, &agent).await;
    app.agent_reply(&agent, &session, "Yes, within a week")
        .await;
    c.enter_parent_frame().await.unwrap();
    c.refresh().await.unwrap();
    wait_for_js(&c, "return window.widgetReady === true", "ready again").await;
    launcher(&c).await.click().await.unwrap();
    enter_panel(&c).await;
    wait_for_text(&c, "#transcript", "Yes, within a week").await;

    c.close().await.unwrap();
}
