//! The offline form when the team is away: no agent online, or outside business hours.

use super::*;

#[tokio::test]
async fn away_visitors_leave_a_message_and_later_see_the_reply() {
    // No agent is online, and that counts as away.
    let Some(Visit {
        host,
        app,
        c,
        _keep,
    }) = visit(|s| s.widget.offline_when_no_agents = true).await
    else {
        return;
    };
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
    open_panel(&c).await;
    wait_shown(&c, "offline", "the offline form").await;
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
    let detail = chat_detail(&app, &agent, &session).await;
    assert_eq!(detail["channel"], "offline", "{detail}");
    app.agent_reply(&agent, &session, "Yes, within a week")
        .await;
    c.enter_parent_frame().await.unwrap();
    c.refresh().await.unwrap();
    wait_for_js(&c, "return window.widgetReady === true", "ready again").await;
    open_panel(&c).await;
    wait_for_text(&c, "#transcript", "Yes, within a week").await;

    c.close().await.unwrap();
}

#[tokio::test]
async fn outside_business_hours_the_panel_says_when_it_opens_again() {
    let Some(Visit {
        host,
        app,
        c,
        _keep,
    }) = visit(|_| {}).await
    else {
        return;
    };
    let (_, root) = app.agent("root@example.com", "super_admin").await;
    // Open every day, but closed today: away now, open again tomorrow morning.
    let day = json!([{ "open": "09:00", "close": "17:00" }]);
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let _ = app
        .put_ok(
            "/api/admin/settings/hours",
            &root,
            json!({
                "enabled": true,
                "timeZone": "UTC",
                "weekly": {
                    "mon": day, "tue": day, "wed": day, "thu": day,
                    "fri": day, "sat": day, "sun": day,
                },
                "closedDates": [today],
                "awayMessage": "Closed for stocktaking <b>today</b>.",
            }),
        )
        .await;
    open_shop(&c, &host, "").await;
    open_panel(&c).await;
    wait_shown(&c, "offline", "the offline form").await;
    wait_for_text(&c, "#away-message", "Closed for stocktaking <b>today</b>.").await;
    wait_for_text(&c, "#next-open", "We open again").await;
    c.close().await.unwrap();
}
