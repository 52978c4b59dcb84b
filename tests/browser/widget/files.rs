//! Files in a chat, end to end: an agent pastes a screenshot into the dashboard's reply box and
//! the visitor's widget shows the image; a visitor picks a file in the widget and the agent's
//! dashboard offers it as a download link under its name, shown as text however it is spelt;
//! a file over the size limit and one of a refused type each get a clear message.

use fantoccini::{Client, Locator};
use serde_json::json;

use super::*;

/// The visitor opens the panel on the shop and sends `text`; returns the new chat's id.
async fn visitor_starts_chat(v: &Visit, agent: &str, text: &str) -> String {
    open_shop(&v.c, &v.host, "").await;
    open_panel(&v.c).await;
    wait_shown(&v.c, "chat", "the message box").await;
    fill(&v.c, "#message", &format!("{text}{ENTER}")).await;
    wait_for_text(&v.c, "#transcript", text).await;
    wait_for_session(&v.app, agent).await
}

/// A file the visitor picks with the panel's file input.
async fn pick(v: &Visit, path: &std::path::Path) {
    v.c.find(Locator::Css("#file"))
        .await
        .unwrap()
        .send_keys(path.to_str().unwrap())
        .await
        .unwrap();
}

/// A second browser, for the agent, on the chat's page in the dashboard.
async fn agent_on_chat(
    driver: &Driver,
    profile: &std::path::Path,
    app: &TestApp,
    email: &str,
    session: &str,
) -> Client {
    let c = browser(driver, profile).await;
    sign_in(&c, app, email).await;
    c.goto(&app.url(&format!("/admin/chats/{session}")))
        .await
        .unwrap();
    c.wait()
        .at_most(WAIT)
        .for_element(Locator::Css("#reply [data-upload-tools]:not([hidden])"))
        .await
        .expect("the reply box with its file tools");
    c
}

/// Whether the page ran an `alert` (a file name executed as markup would).
async fn no_alert(c: &Client) {
    assert!(c.get_alert_text().await.is_err(), "no alert ran");
}

#[tokio::test]
async fn an_agent_pastes_a_screenshot_and_the_visitor_sees_the_image() {
    let Some(v) = visit(|s| s.widget.prechat = frontdesk::config::Prechat::Off).await else {
        return;
    };
    let (_, agent) = v.app.agent("ada@example.com", "chat_admin").await;
    let session = visitor_starts_chat(&v, &agent, "My kettle arrived broken").await;
    let agent_profile = tempfile::tempdir().unwrap();
    let a = agent_on_chat(
        &v._keep.1,
        agent_profile.path(),
        &v.app,
        "ada@example.com",
        &session,
    )
    .await;

    // A screenshot pasted into the reply box: a PNG drawn in the page, on the clipboard.
    let pasted = js(
        &a,
        "const canvas = document.createElement('canvas'); canvas.width = 64; canvas.height = 48; \
         const g = canvas.getContext('2d'); g.fillStyle = '#c0392b'; g.fillRect(0, 0, 64, 48); \
         const bin = atob(canvas.toDataURL('image/png').split(',')[1]); \
         const bytes = new Uint8Array(bin.length); \
         for (let i = 0; i < bin.length; i++) { bytes[i] = bin.charCodeAt(i); } \
         const file = new File([bytes], 'screenshot.png', { type: 'image/png' }); \
         const data = new DataTransfer(); data.items.add(file); \
         const paste = new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }); \
         const box = document.getElementById('reply-text'); box.focus(); \
         return !box.dispatchEvent(paste);",
    )
    .await;
    assert_eq!(pasted, json!(true), "the reply box takes the pasted file");
    // Its chip, with an accessibly labelled progress bar while it uploads, then its id.
    wait_for_js(
        &a,
        "return document.querySelectorAll('#reply .chip').length === 1 && \
                document.querySelector('#reply .chip').textContent.includes('screenshot.png')",
        "a chip for the pasted file",
    )
    .await;
    wait_for_js(
        &a,
        "return document.querySelectorAll('#reply input[type=hidden][name=attachments]').length === 1 \
                && !document.querySelector('#reply progress')",
        "the upload finishes",
    )
    .await;
    assert_eq!(
        js(
            &a,
            "return document.querySelector('#reply [data-upload-error]').hidden"
        )
        .await,
        json!(true)
    );
    // A live update while the file waits to be sent leaves it where it is.
    fill(&v.c, "#message", &format!("Are you there?{ENTER}")).await;
    wait_for_text(&a, "#transcript", "Are you there?").await;
    assert_eq!(
        js(
            &a,
            "return document.querySelectorAll('#reply .chip input[name=attachments]').length"
        )
        .await,
        json!(1),
        "the prepared file survives the live update"
    );
    // A file alone may be sent: no text.
    click(&a, "#reply button[type=submit]").await;
    wait_for_js(
        &a,
        "const img = document.querySelector('#transcript .msg-agent .files img'); \
         return !!img && img.complete && img.naturalWidth > 0 && \
                img.closest('a').target === '_blank' && img.closest('a').rel === 'noopener' && \
                img.alt === 'screenshot.png'",
        "the dashboard shows the sent image as a thumbnail opening the full image",
    )
    .await;
    assert_eq!(
        js(
            &a,
            "return [document.querySelectorAll('#reply .chip').length, \
                     document.querySelector('#transcript .msg-agent:last-of-type .body') === null]"
        )
        .await,
        json!([0, true]),
        "the chip is gone after sending; a message of files alone shows no text"
    );
    save_screenshot(&a, "attachments-dashboard").await;

    // The visitor's widget shows the image itself, loaded, not the plain-text stand-in.
    wait_for_js(
        &v.c,
        "const img = document.querySelector('#transcript .msg.agent .files img'); \
         return !!img && img.complete && img.naturalWidth > 0",
        "the widget shows the agent's image",
    )
    .await;
    assert_eq!(
        js(
            &v.c,
            "const m = document.querySelector('#transcript .msg.agent:last-child'); \
             return [m.querySelector('.text') === null, m.querySelector('a').target, \
                     m.querySelector('img').alt]"
        )
        .await,
        json!([true, "_blank", "screenshot.png"])
    );
    save_screenshot(&v.c, "attachments-widget").await;
    a.close().await.unwrap();
    v.c.close().await.unwrap();
}

#[tokio::test]
async fn a_visitor_picks_a_file_and_the_agent_gets_a_download_link() {
    let Some(v) = visit(|s| s.widget.prechat = frontdesk::config::Prechat::Off).await else {
        return;
    };
    let (_, agent) = v.app.agent("ada@example.com", "chat_admin").await;
    let session = visitor_starts_chat(&v, &agent, "Here is my receipt").await;

    // A name that is markup (a file system allows all of it but "/"): it must stay text.
    let name = "<img src=x onerror=alert(1)> receipt.txt";
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, "Order 1042\nOne blue kettle\n").unwrap();
    pick(&v, &path).await;
    wait_for_js(
        &v.c,
        "const box = document.getElementById('outbox'); \
         return !box.hidden && box.children.length === 1 && !box.querySelector('progress')",
        "the picked file uploads",
    )
    .await;
    assert!(text_of(&v.c, "#outbox").await.contains(name));
    click(&v.c, "#send").await;
    wait_for_js(
        &v.c,
        "const link = document.querySelector('#transcript .msg.user .files a'); \
         return !!link && link.getAttribute('href').startsWith('/files/')",
        "the visitor's message shows its file as a link",
    )
    .await;
    assert_eq!(
        js(&v.c, "return document.getElementById('outbox').hidden").await,
        json!(true),
        "the outbox empties once sent"
    );
    assert_eq!(
        text_of(&v.c, "#transcript .msg.user:last-child .files a").await,
        name
    );

    let agent_profile = tempfile::tempdir().unwrap();
    let a = agent_on_chat(
        &v._keep.1,
        agent_profile.path(),
        &v.app,
        "ada@example.com",
        &session,
    )
    .await;
    wait_for_js(
        &a,
        "return !!document.querySelector('#transcript .msg-user .files a.file-link')",
        "the dashboard shows the visitor's file",
    )
    .await;
    assert_eq!(
        js(
            &a,
            "const link = document.querySelector('#transcript .msg-user .files a.file-link'); \
             return [link.textContent, link.getAttribute('download'), \
                     link.getAttribute('href').startsWith('/files/'), \
                     link.parentNode.querySelector('.file-size').textContent, \
                     document.querySelectorAll('#transcript img').length]"
        )
        .await,
        json!([name, name, true, "27 bytes", 0]),
        "a download link named as the file, its size, and no markup from the name"
    );
    no_alert(&a).await;
    no_alert(&v.c).await;
    // The file behind the link is the one the visitor picked.
    let href = js(
        &a,
        "return document.querySelector('#transcript .msg-user .files a.file-link').getAttribute('href')",
    )
    .await;
    let body = reqwest::get(v.app.url(href.as_str().unwrap()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(body, "Order 1042\nOne blue kettle\n");
    a.close().await.unwrap();
    v.c.close().await.unwrap();
}

#[tokio::test]
async fn a_file_too_big_or_of_a_refused_type_gets_a_clear_message() {
    let Some(v) = visit(|s| {
        s.widget.prechat = frontdesk::config::Prechat::Off;
        s.attachments.max_bytes = 2048;
    })
    .await
    else {
        return;
    };
    let (_, agent) = v.app.agent("ada@example.com", "chat_admin").await;
    visitor_starts_chat(&v, &agent, "Two files for you").await;
    let dir = tempfile::tempdir().unwrap();

    let big = dir.path().join("photo.txt");
    std::fs::write(&big, "x".repeat(4096)).unwrap();
    pick(&v, &big).await;
    wait_for_text(&v.c, "#send-error", "That file is too big (max 2 KB)").await;
    assert_eq!(
        js(
            &v.c,
            "return document.getElementById('outbox').children.length"
        )
        .await,
        json!(0)
    );

    // HTML under an innocent name: the content decides, and the server says what it is.
    let page = dir.path().join("invoice.png");
    std::fs::write(&page, "<!doctype html><html><body>hi</body></html>").unwrap();
    pick(&v, &page).await;
    wait_for_text(&v.c, "#send-error", "HTML").await;
    assert!(
        !text_of(&v.c, "#send-error").await.contains("too big"),
        "the earlier message is replaced"
    );
    assert_eq!(
        js(
            &v.c,
            "return document.getElementById('outbox').children.length"
        )
        .await,
        json!(0),
        "a refused file leaves nothing to send"
    );
    save_screenshot(&v.c, "attachments-refused").await;
    v.c.close().await.unwrap();
}
