//! `frontdesk backup` copies the files too, and `frontdesk restore` puts both back.

use std::path::Path;
use std::process::Command;

use reqwest::StatusCode;

use super::{PDF, fetch, id_of, send_files, upload_ok};
use crate::helpers::{JWT_SECRET, TestApp, expect_ok, on_postgres, postgres_url_of};

fn frontdesk(db: &Path, args: &[&str]) -> (bool, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_frontdesk"));
    command
        .env_clear()
        .env("JWT_SECRET", JWT_SECRET)
        .arg("--db")
        .arg(db)
        .args(args);
    if let Some(url) = postgres_url_of(db) {
        command.env("DATABASE_URL", url);
    }
    let out = command.output().expect("run frontdesk");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[tokio::test]
async fn a_backup_of_a_live_server_restores_with_every_file() {
    let app = TestApp::spawn().await;
    let token = app.user_token("u1");
    let session = app.start_session(&token, Some("chat_backup")).await;
    let session = session["sessionId"].as_str().unwrap().to_string();
    let pdf = upload_ok(&app, &token, &session, "a.pdf", PDF).await;
    let text = upload_ok(&app, &token, &session, "b.txt", b"kept across a restore\n").await;
    expect_ok(
        "send",
        send_files(
            &app,
            &token,
            &session,
            "msg_b",
            None,
            &[id_of(&pdf), id_of(&text)],
        )
        .await,
    );

    let spare = tempfile::tempdir().unwrap();
    let backup = spare.path().join("backup.db");
    let live = app.dir.path().join("frontdesk.db");
    if on_postgres() {
        // PostgreSQL is backed up and restored with its own tools; the commands say so and
        // write nothing.
        let (ok, said) = frontdesk(&live, &["backup", backup.to_str().unwrap()]);
        assert!(!ok && said.contains("pg_dump"), "{said}");
        let (ok, said) = frontdesk(&live, &["restore", "--from", backup.to_str().unwrap()]);
        assert!(!ok && said.contains("pg_restore"), "{said}");
        assert!(!backup.exists(), "nothing was written");
        return;
    }
    let (ok, said) = frontdesk(&live, &["backup", backup.to_str().unwrap()]);
    assert!(ok, "{said}");
    assert!(said.contains("2 attachment files"), "{said}");
    let (ok, said) = frontdesk(&live, &["backup", backup.to_str().unwrap()]);
    assert!(!ok && said.contains("already exists"), "{said}");

    let restored_dir = tempfile::tempdir().unwrap();
    let restored = restored_dir.path().join("frontdesk.db");
    let (ok, said) = frontdesk(&restored, &["restore", "--from", backup.to_str().unwrap()]);
    assert!(ok, "{said}");
    let (ok, said) = frontdesk(&restored, &["restore", "--from", backup.to_str().unwrap()]);
    assert!(
        !ok && said.contains("already exists"),
        "restore never overwrites: {said}"
    );
    drop(app);

    let back = TestApp::spawn_in(restored_dir, |_| {}).await;
    let token = back.user_token("u1");
    let page = back
        .get_ok(&format!("/api/chat/messages/{session}"), &token)
        .await;
    let files = page["data"]["messages"][1]["attachments"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(files.len(), 2);
    let (status, _, bytes) = fetch(&back, files[0]["url"].as_str().unwrap(), None).await;
    assert_eq!((status, bytes.as_slice()), (StatusCode::OK, PDF));
    let (status, _, bytes) = fetch(&back, files[1]["url"].as_str().unwrap(), None).await;
    assert_eq!(
        (status, bytes.as_slice()),
        (StatusCode::OK, &b"kept across a restore\n"[..])
    );
}

#[tokio::test]
async fn a_damaged_backup_is_refused_and_nothing_is_restored() {
    if crate::helpers::sqlite_only("a SQLite backup file; PostgreSQL refuses `backup` (above)") {
        return;
    }
    let app = TestApp::spawn().await;
    let token = app.user_token("u1");
    let session = app.start_session(&token, Some("chat_damaged")).await;
    let session = session["sessionId"].as_str().unwrap().to_string();
    upload_ok(&app, &token, &session, "a.pdf", PDF).await;
    let spare = tempfile::tempdir().unwrap();
    let backup = spare.path().join("backup.db");
    let (ok, said) = frontdesk(
        &app.dir.path().join("frontdesk.db"),
        &["backup", backup.to_str().unwrap()],
    );
    assert!(ok, "{said}");

    // Flip the content of the one stored file.
    let objects = spare.path().join("backup.db.files/objects");
    let shard = std::fs::read_dir(&objects)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let file = std::fs::read_dir(&shard)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    std::fs::write(&file, b"%PDF-tampered").unwrap();

    let target = spare.path().join("restored.db");
    let (ok, said) = frontdesk(&target, &["restore", "--from", backup.to_str().unwrap()]);
    assert!(!ok && said.contains("does not match"), "{said}");
    assert!(!target.exists(), "no database restored");
    let (ok, said) = frontdesk(
        &target,
        &[
            "restore",
            "--from",
            spare.path().join("nothing.db").to_str().unwrap(),
        ],
    );
    assert!(!ok && said.contains("not a backup"), "{said}");
    assert!(!target.exists());
}
