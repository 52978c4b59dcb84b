//! `frontdesk user erase` at the command line: the same erasure as the API, beside a running
//! server on the same database, audited as the command line's.

use serde_json::Value;

use super::*;
use crate::process::run;

/// Runs `frontdesk user erase` with `args` against the app's database.
async fn erase_at_command_line(app: &TestApp, args: &[&str]) -> (bool, String, String) {
    let db = app.dir.path().join("frontdesk.db");
    let args: Vec<String> = ["user", "erase"]
        .iter()
        .chain(args)
        .map(|a| a.to_string())
        .collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run(&db, &args, &[], None)
    })
    .await
    .expect("the command ran")
}

#[tokio::test]
async fn the_command_line_erases_one_person_beside_a_running_server() {
    let app = TestApp::spawn().await;
    let (_, root) = app.agent("root@example.com", "super_admin").await;
    let (cleo, dan) = (app.user_token("cleo"), app.user_token("dan"));
    app.start_session(&cleo, Some("chat_cleo")).await;
    app.send_ok(&cleo, "chat_cleo", "msg_cleo", "my blender hums")
        .await;
    app.start_session(&dan, Some("chat_dan")).await;
    app.send_ok(&dan, "chat_dan", "msg_dan", "my fridge hums")
        .await;

    let (ok, out, err) = erase_at_command_line(&app, &["--user-id", "cleo"]).await;
    assert!(ok, "{err}");
    assert!(
        out.starts_with("erased 1 chats, "),
        "one line of counts: {out}"
    );
    let (status, body) = chat_as_agent(&app, &root, "chat_cleo").await;
    assert_error(status, &body, 404, "SESSION_NOT_FOUND");
    assert_eq!(history_total(&app, &cleo).await, (0, 0));
    assert_eq!(history_total(&app, &dan).await, (1, 1), "Dan's chat stays");

    let audit = app
        .get_ok("/api/admin/audit?action=user_erase", &root)
        .await;
    let event = &audit["data"]["events"][0];
    assert_eq!(event["detail"]["by"], "command_line", "{audit}");
    assert_eq!(event["detail"]["chats"], 1);
    assert_eq!(event["agentId"], Value::Null);
    assert!(
        !event.to_string().contains("cleo"),
        "who it was is not kept: {event}"
    );

    // A guest's id needs --guest: Dan the user is not erased by it.
    let (ok, out, err) = erase_at_command_line(&app, &["--user-id", "dan", "--guest"]).await;
    assert!(ok, "{err}");
    assert!(out.starts_with("erased 0 chats, "), "{out}");
    assert_eq!(history_total(&app, &dan).await, (1, 1));

    // A bad id is one line and a failing exit, and erases nothing.
    let long = "d".repeat(129);
    let (ok, out, err) = erase_at_command_line(&app, &["--user-id", &long]).await;
    assert!(!ok && out.is_empty(), "{out}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("userId must be 1 to 128 characters"), "{err}");
    assert_eq!(history_total(&app, &dan).await, (1, 1));
}
