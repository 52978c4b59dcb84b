//! A SQLite database with something in every part of the schema a business fills by using
//! the product, written through the real server's HTTP API, then the server stopped.

use serde_json::json;

use crate::attachments::{PDF, id_of, send_files, upload_ok};
use crate::helpers::{TestApp, expect_ok};

/// Chats seeded, each with a few messages both ways.
pub const CHATS: usize = 3;

/// The stopped server's folder: `frontdesk.db` and its `frontdesk.db.files`.
pub async fn seeded_database() -> tempfile::TempDir {
    // Always SQLite, whichever engine the rest of the suite runs on: this is the source.
    let app = TestApp::spawn_with(|s| s.database_url = None).await;
    let (_, root) = app.agent("root@example.com", "super_admin").await;
    let (_, ann) = app.agent("ann@example.com", "chat_admin").await;
    app.agent("bob@example.com", "support_admin").await;

    // Subscribed before the chats start, so the outbox has rows to copy.
    app.post_ok(
        "/api/admin/webhooks",
        &root,
        json!({
            "url": "https://hooks.example.com/in",
            "events": ["session.created", "message.created", "session.ended", "rating.created"],
            "description": "moved along",
        }),
    )
    .await;
    app.put_ok("/api/admin/settings/hours", &root, business_hours())
        .await;
    app.post_ok(
        "/api/admin/personas",
        &root,
        json!({ "name": "Emma", "bio": "Loves helping", "avatarUrl": "https://cdn.example.com/e.png" }),
    )
    .await;
    app.post_ok(
        "/api/admin/canned-responses",
        &ann,
        json!({ "title": "Refund", "shortcut": "refund", "text": "Your refund is on its way." }),
    )
    .await;
    let label = app
        .post_ok(
            "/api/admin/labels",
            &root,
            json!({ "name": "Billing", "colour": "#3b82f6" }),
        )
        .await["data"]["label"]["labelId"]
        .as_str()
        .expect("a label id")
        .to_string();

    for n in 0..CHATS {
        let session = format!("chat_move_{n}");
        let user = app.user_token(&format!("user{n}"));
        app.start_session(&user, Some(&session)).await;
        for m in 0..3 {
            app.send_ok(
                &user,
                &session,
                &format!("m{n}_{m}"),
                &format!("Crème brûlée n°{m} ✓"),
            )
            .await;
        }
        app.post_ok(
            "/api/admin/chat/session/assign",
            &ann,
            json!({ "sessionId": session }),
        )
        .await;
        app.agent_reply(&ann, &session, "Looking into it").await;
    }

    let first = "chat_move_0";
    let user = app.user_token("user0");
    let upload = upload_ok(&app, &user, first, "invoice.pdf", PDF).await;
    expect_ok(
        "send the file",
        send_files(
            &app,
            &user,
            first,
            "m_file",
            Some("the invoice"),
            &[id_of(&upload)],
        )
        .await,
    );
    app.post_ok(
        &format!("/api/admin/chat/session/{first}/notes"),
        &ann,
        json!({ "note": "Asked for a refund twice" }),
    )
    .await;
    app.put_ok(
        &format!("/api/admin/chat/session/{first}/labels/{label}"),
        &ann,
        json!({}),
    )
    .await;
    app.post_ok(
        "/api/chat/session/end",
        &user,
        json!({ "sessionId": first }),
    )
    .await;
    app.post_ok(
        "/api/chat/rating",
        &user,
        json!({ "sessionId": first, "rating": 4, "feedback": "Quick" }),
    )
    .await;
    app.stop().await
}

fn business_hours() -> serde_json::Value {
    let workday = json!([{ "open": "08:00", "close": "18:00" }]);
    json!({
        "enabled": true,
        "timeZone": "Europe/Paris",
        "weekly": {
            "mon": workday, "tue": workday, "wed": workday, "thu": workday, "fri": workday,
            "sat": [], "sun": [],
        },
        "closedDates": ["2030-12-25"],
        "awayMessage": "Back on Monday.",
    })
}
