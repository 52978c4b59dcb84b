//! Uploads nobody sent are swept after a day, with their files; sent files stay.

use std::time::Duration;

use reqwest::StatusCode;

use super::{PDF, fetch, id_of, send_files, upload_ok};
use crate::helpers::{TestApp, expect_ok};

#[tokio::test]
async fn unsent_uploads_are_removed_after_a_day_and_sent_ones_stay() {
    let app = TestApp::spawn().await;
    let token = app.user_token("u1");
    let session = app.start_session(&token, Some("chat_sweep")).await;
    let session = session["sessionId"].as_str().unwrap();
    let kept = upload_ok(&app, &token, session, "kept.pdf", PDF).await;
    let dropped = upload_ok(&app, &token, session, "dropped.txt", b"never sent\n").await;
    expect_ok(
        "send",
        send_files(&app, &token, session, "msg_keep", None, &[id_of(&kept)]).await,
    );

    // Before a day has passed nothing goes.
    app.clock.advance(Duration::from_secs(23 * 3600));
    let done = frontdesk::service::attachments::sweep(&app.services)
        .await
        .expect("sweep");
    assert_eq!(done.unsent_uploads, 0);

    app.clock.advance(Duration::from_secs(2 * 3600));
    let done = frontdesk::service::attachments::sweep(&app.services)
        .await
        .expect("sweep");
    assert_eq!(done.unsent_uploads, 1);
    assert_eq!(done.files, 1, "the unsent file's bytes went too");
    assert_eq!(app.count_rows("SELECT COUNT(*) FROM attachments"), 1);
    assert_eq!(app.count_rows("SELECT COUNT(*) FROM blobs"), 1);

    // The sent file is still served (with a fresh link), the swept one is gone.
    let (_, agent) = app.agent("a@example.com", "chat_admin").await;
    let (status, _, bytes) = fetch(&app, &format!("/files/{}", id_of(&kept)), Some(&agent)).await;
    assert_eq!((status, bytes.as_slice()), (StatusCode::OK, PDF));
    let (status, _, _) = fetch(&app, &format!("/files/{}", id_of(&dropped)), Some(&agent)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
