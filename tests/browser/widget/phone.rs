//! Phone width (full screen) and keyboard-only use.

use serde_json::json;

use super::*;

#[tokio::test]
async fn on_a_phone_the_panel_is_full_screen_and_works_by_keyboard() {
    let Some(Visit {
        host,
        app,
        c,
        _keep,
    }) = visit(|_| {}).await
    else {
        return;
    };
    let (_, agent) = app.agent("ada@example.com", "chat_admin").await;
    c.set_window_size(375, 812).await.unwrap();
    open_shop(&c, &host, "").await;
    assert!(js(&c, "return window.innerWidth < 640").await == json!(true));

    // Tab reaches the launcher after the page's own controls; Enter opens the panel with the
    // focus inside it.
    let launcher_focused = format!(
        "{IN_SHADOW} return document.activeElement && document.activeElement.id === 'frontdesk-widget' \
         && root.activeElement === root.querySelector('button')"
    );
    let mut reached = false;
    for _ in 0..6 {
        press(&c, TAB).await;
        if js(&c, &launcher_focused).await == json!(true) {
            reached = true;
            break;
        }
    }
    assert!(reached, "Tab reaches the launcher");
    press(&c, ENTER).await;
    wait_for_js(
        &c,
        &format!(
            "{IN_SHADOW} const f = root.querySelector('iframe'); \
         return !!f && root.activeElement === f"
        ),
        "the focus moves into the panel",
    )
    .await;
    enter_panel(&c).await;
    wait_for_js(
        &c,
        "return document.activeElement && document.activeElement.id === 'prechat-name'",
        "the first field has the focus",
    )
    .await;
    c.active_element()
        .await
        .unwrap()
        .send_keys("Kim")
        .await
        .unwrap();
    press(&c, TAB).await; // email (optional)
    press(&c, TAB).await; // Start chat
    press(&c, ENTER).await;
    wait_for_js(
        &c,
        "return document.activeElement && document.activeElement.id === 'message'",
        "the message box has the focus",
    )
    .await;
    c.active_element()
        .await
        .unwrap()
        .send_keys(&format!("Typed with keys only{ENTER}"))
        .await
        .unwrap();
    wait_for_text(&c, "#transcript", "Typed with keys only").await;
    let session = wait_for_session(&app, &agent).await;
    app.agent_reply(&agent, &session, "Happy to help on your phone")
        .await;
    wait_for_text(&c, "#transcript", "Happy to help on your phone").await;
    // The new agent message is announced.
    wait_for_text(&c, "#live", "Happy to help on your phone").await;

    c.enter_parent_frame().await.unwrap();
    let covers = js(
        &c,
        &format!(
            "{IN_SHADOW} const r = root.querySelector('iframe').getBoundingClientRect(); \
         return [r.left, r.top, r.width, r.height, innerWidth, innerHeight];"
        ),
    )
    .await;
    let v: Vec<f64> = covers
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_f64().unwrap())
        .collect();
    assert_eq!((v[0], v[1]), (0.0, 0.0), "{covers}");
    assert_eq!((v[2], v[3]), (v[4], v[5]), "full screen: {covers}");
    save_screenshot(&c, "widget-phone").await;

    enter_panel(&c).await;
    press(&c, ESCAPE).await;
    c.enter_parent_frame().await.unwrap();
    wait_for_js(
        &c,
        &launcher_focused,
        "Escape returns the focus to the launcher",
    )
    .await;

    c.close().await.unwrap();
}
