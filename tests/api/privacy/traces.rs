//! The marker scan: one unique word wherever a person leaves text, an erasure, and then not
//! one byte of that word in the vacuumed database or the files folder, while a second
//! person's word is still found there.

use std::path::{Path, PathBuf};

use frontdesk::clock::Clock;
use frontdesk::config::{EmailSettings, PushSettings, SecretString};
use frontdesk::domain::Timestamp;

use super::*;
use crate::attachments::{id_of, send_files, upload_ok};

/// Every file under `root`, recursively.
fn files_under(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("a readable folder") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                found.push(path);
            }
        }
    }
    found
}

/// The files under `root` whose bytes contain `word`, ignoring ASCII case.
fn files_containing(root: &Path, word: &str) -> Vec<PathBuf> {
    let needle = word.to_ascii_lowercase().into_bytes();
    files_under(root)
        .into_iter()
        .filter(|path| {
            let bytes = std::fs::read(path)
                .expect("a readable file")
                .to_ascii_lowercase();
            bytes.windows(needle.len()).any(|w| w == needle.as_slice())
        })
        .collect()
}

/// A port nothing listens on: deliveries there fail at once and stay queued for a retry.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("an address").port()
}

/// Where a person's words can end up, checked before the erasure: each must hold `marker`,
/// or the scan after it would prove nothing.
const TRACES: &[(&str, &str)] = &[
    (
        "the user id",
        "SELECT COUNT(*) FROM sessions WHERE instr(user_id, ?1)",
    ),
    (
        "the name",
        "SELECT COUNT(*) FROM sessions WHERE instr(user_name, ?1)",
    ),
    (
        "the email",
        "SELECT COUNT(*) FROM sessions WHERE instr(user_email, ?1)",
    ),
    (
        "the phone",
        "SELECT COUNT(*) FROM sessions WHERE instr(user_phone, ?1)",
    ),
    (
        "the metadata",
        "SELECT COUNT(*) FROM sessions WHERE instr(metadata, ?1)",
    ),
    (
        "the end reason",
        "SELECT COUNT(*) FROM sessions WHERE instr(end_reason, ?1)",
    ),
    (
        "messages",
        "SELECT COUNT(*) FROM messages WHERE instr(body, ?1)",
    ),
    (
        "a message's files",
        "SELECT COUNT(*) FROM messages WHERE instr(attachments, ?1)",
    ),
    ("notes", "SELECT COUNT(*) FROM notes WHERE instr(body, ?1)"),
    (
        "the rating",
        "SELECT COUNT(*) FROM ratings WHERE instr(feedback, ?1)",
    ),
    (
        "the rating's categories",
        "SELECT COUNT(*) FROM ratings WHERE instr(categories, ?1)",
    ),
    (
        "uploads",
        "SELECT COUNT(*) FROM attachments WHERE instr(name, ?1)",
    ),
    (
        "the uploader",
        "SELECT COUNT(*) FROM attachments WHERE instr(uploader_id, ?1)",
    ),
    (
        "webhook deliveries",
        "SELECT COUNT(*) FROM webhook_deliveries WHERE instr(body, ?1)",
    ),
    (
        "queued emails",
        "SELECT COUNT(*) FROM email_outbox WHERE instr(text_body, ?1)",
    ),
    (
        "queued pushes",
        "SELECT COUNT(*) FROM push_outbox WHERE instr(body, ?1)",
    ),
    (
        "devices",
        "SELECT COUNT(*) FROM push_tokens WHERE instr(token, ?1)",
    ),
    (
        "audit details",
        "SELECT COUNT(*) FROM audit_events WHERE instr(detail, ?1)",
    ),
    (
        "search documents",
        "SELECT COUNT(*) FROM search_docs WHERE instr(body, ?1)",
    ),
    (
        "the message index",
        "SELECT COUNT(*) FROM message_search WHERE message_search MATCH ?1",
    ),
    (
        "the document index",
        "SELECT COUNT(*) FROM doc_search WHERE doc_search MATCH ?1",
    ),
];

fn trace_count(app: &TestApp, sql: &str, marker: &str) -> i64 {
    match app.db() {
        TestDb::Sqlite(db) => {
            let conn = rusqlite::Connection::open(db).unwrap();
            conn.query_row(sql, [marker], |r| r.get(0))
                .unwrap_or_else(|e| panic!("{sql}: {e}"))
        }
        postgres => postgres.number(&on_postgres_sql(sql, marker)),
    }
}

/// A trace query in PostgreSQL's words: `strpos` for `instr`, and the text search columns for
/// SQLite's FTS5 tables. The marker is letters and digits only, so it is quoted as is.
fn on_postgres_sql(sql: &str, marker: &str) -> String {
    let search = |table: &str| {
        format!(
            "SELECT COUNT(*) FROM {table} \
             WHERE search_words @@ plainto_tsquery('frontdesk_search', '{marker}')"
        )
    };
    if sql.contains("message_search") {
        return search("messages");
    }
    if sql.contains("doc_search") {
        return search("search_docs");
    }
    sql.replace("instr(", "strpos(")
        .replace(", ?1)", &format!(", '{marker}') > 0"))
}

/// On PostgreSQL: how many values of every text column of every table hold `marker`.
fn postgres_rows_holding(db: &TestDb, marker: &str) -> Vec<String> {
    let columns = db.texts(
        "SELECT table_name || '.' || column_name FROM information_schema.columns \
         WHERE table_schema = 'public' AND data_type = 'text'",
    );
    columns
        .into_iter()
        .flatten()
        .filter(|column| {
            let (table, column) = column.split_once('.').expect("table.column");
            db.number(&format!(
                "SELECT COUNT(*) FROM {table} WHERE strpos({column}, '{marker}') > 0"
            )) > 0
        })
        .collect()
}

#[tokio::test]
async fn an_erased_person_leaves_no_trace_on_disk() {
    let marker = format!("zqxmarker{:016x}", rand::random::<u64>());
    let control = format!("zqxcontrol{:016x}", rand::random::<u64>());

    // Webhooks, email and push all pointed at a closed port: everything queued stays queued.
    let account_dir = tempfile::tempdir().unwrap();
    let account = account_dir.path().join("service-account.json");
    let port = closed_port();
    std::fs::write(
        &account,
        json!({
            "type": "service_account",
            "project_id": "shop-project",
            "private_key_id": "key-1",
            "private_key": std::fs::read_to_string(fixture("rsa_a.pem")).unwrap(),
            "client_email": "push@shop-project.iam.example",
            "token_uri": format!("http://127.0.0.1:{port}/token"),
        })
        .to_string(),
    )
    .unwrap();
    let clock = Clock::fixed(Timestamp((now_secs() * 1000) as i64));
    let app = TestApp::spawn_with(move |s| {
        s.clock = clock;
        s.webhook_allow_private = true;
        s.email = Some(EmailSettings {
            smtp_url: SecretString::from(format!("smtp://127.0.0.1:{port}")),
            from: "Shop Support <support@shop.example>".into(),
            notify: Some("team@shop.example".into()),
            alert_after: None,
        });
        s.push = Some(PushSettings {
            service_account_file: account,
            endpoint: Some(format!("http://127.0.0.1:{port}/fcm")),
        });
    })
    .await;
    let (_, root) = app.agent("root@example.com", "super_admin").await;
    let (_, ada) = app.agent("ada@example.com", "chat_admin").await;
    let (bea_id, _) = app.agent("bea@example.com", "chat_admin").await;
    let hook = app
        .post_ok(
            "/api/admin/webhooks",
            &root,
            json!({
                "url": format!("http://127.0.0.1:{port}/hook"),
                "events": ["session.created", "message.created", "session.ended", "rating.created"],
                "description": "nobody listens",
            }),
        )
        .await["data"]["webhook"]["webhookId"]
        .as_str()
        .unwrap()
        .to_string();
    let label = app
        .post_ok(
            "/api/admin/labels",
            &root,
            json!({ "name": "Follow up", "colour": "#3b82f6" }),
        )
        .await["data"]["label"]["labelId"]
        .as_str()
        .unwrap()
        .to_string();

    // The person leaves the marker everywhere a person can.
    let person_id = format!("{marker}-id");
    let pat = token_for(
        &app,
        &person_id,
        &format!("Pat {marker}"),
        &format!("{marker}@example.com"),
    );
    app.post_ok(
        "/api/chat/push-token",
        &pat,
        json!({ "token": format!("{marker}-device"), "platform": "android" }),
    )
    .await;
    app.post_ok(
        "/api/chat/session",
        &pat,
        json!({
            "sessionId": "chat_pat_done",
            "userInfo": { "name": format!("Pat {marker}"), "email": format!("{marker}@example.com"), "phone": marker },
            "metadata": { "page": format!("https://shop.example/{marker}") },
        }),
    )
    .await;
    app.send_ok(
        &pat,
        "chat_pat_done",
        "msg_pat_1",
        &format!("I am {marker}"),
    )
    .await;
    app.agent_reply(
        &ada,
        "chat_pat_done",
        &format!("Hello {marker}, one moment"),
    )
    .await;
    app.post_ok(
        "/api/admin/chat/session/chat_pat_done/notes",
        &ada,
        json!({ "note": format!("{marker} is a regular") }),
    )
    .await;
    app.post_ok(
        "/api/admin/chat/session/transfer",
        &ada,
        json!({ "sessionId": "chat_pat_done", "toAdminId": bea_id, "note": format!("{marker} needs bea") }),
    )
    .await;
    app.put_ok(
        &format!("/api/admin/chat/session/chat_pat_done/labels/{label}"),
        &root,
        json!({}),
    )
    .await;
    let sent = upload_ok(
        &app,
        &pat,
        "chat_pat_done",
        &format!("{marker}.txt"),
        format!("receipt of {marker}\n").as_bytes(),
    )
    .await;
    expect_ok(
        "the file is sent",
        send_files(
            &app,
            &pat,
            "chat_pat_done",
            "msg_pat_file",
            None,
            &[id_of(&sent)],
        )
        .await,
    );
    upload_ok(
        &app,
        &pat,
        "chat_pat_done",
        &format!("{marker}-draft.txt"),
        format!("draft of {marker}\n").as_bytes(),
    )
    .await;
    end_as_user(
        &app,
        &pat,
        "chat_pat_done",
        json!({ "endReason": format!("{marker} solved") }),
    )
    .await;
    app.post_ok(
        "/api/chat/rating",
        &pat,
        json!({
            "sessionId": "chat_pat_done",
            "rating": 5,
            "feedback": format!("thanks {marker}"),
            "categories": [format!("{marker}-speed")],
        }),
    )
    .await;
    app.post_ok(
        "/api/chat/transcript",
        &pat,
        json!({ "sessionId": "chat_pat_done" }),
    )
    .await;
    // An open chat an agent writes to while the person is away: a push is queued.
    app.start_session(&pat, Some("chat_pat_open")).await;
    app.send_ok(
        &pat,
        "chat_pat_open",
        "msg_pat_2",
        &format!("{marker} again"),
    )
    .await;
    app.agent_reply(&ada, "chat_pat_open", &format!("{marker}: we are on it"))
        .await;
    // A message left through the offline form.
    app.post_ok(
        "/api/chat/offline",
        &pat,
        json!({
            "sessionId": "chat_pat_offline",
            "name": format!("Pat {marker}"),
            "email": format!("{marker}@example.com"),
            "message": format!("call me, {marker}"),
        }),
    )
    .await;

    // Someone else, who is not erased: the control that the scan finds what is there.
    let quinn = token_for(
        &app,
        "quinn",
        &format!("Quinn {control}"),
        "quinn@example.com",
    );
    app.start_session(&quinn, Some("chat_quinn")).await;
    app.send_ok(
        &quinn,
        "chat_quinn",
        "msg_quinn",
        &format!("I am {control}"),
    )
    .await;
    let quinn_file = upload_ok(
        &app,
        &quinn,
        "chat_quinn",
        "notes.txt",
        format!("notes of {control}\n").as_bytes(),
    )
    .await;
    expect_ok(
        "quinn's file is sent",
        send_files(
            &app,
            &quinn,
            "chat_quinn",
            "msg_quinn_file",
            None,
            &[id_of(&quinn_file)],
        )
        .await,
    );

    // Wait until everything queued for delivery is queued.
    wait_until("the outbox fanned out", || async {
        app.count_rows("SELECT COUNT(*) FROM outbox_events") == 0
    })
    .await;
    for (what, sql) in [
        (
            "a delivery naming the person",
            "SELECT COUNT(*) FROM webhook_deliveries WHERE instr(body, ?1)",
        ),
        (
            "a queued email",
            "SELECT COUNT(*) FROM email_outbox WHERE instr(text_body, ?1)",
        ),
        (
            "a queued push",
            "SELECT COUNT(*) FROM push_outbox WHERE instr(body, ?1)",
        ),
    ]
    .iter()
    // The message index may trail the send by a moment (SQLite indexes behind it).
    .chain(TRACES)
    {
        wait_until(
            &format!("before the erasure, {what} hold the marker"),
            || async { trace_count(&app, sql, &marker) > 0 },
        )
        .await;
    }
    assert_eq!(
        app.count_rows(&format!(
            "SELECT COUNT(*) FROM chat_labels WHERE label_id = '{label}'"
        )),
        1
    );
    let deliveries = app
        .get_ok(&format!("/api/admin/webhooks/{hook}/deliveries"), &root)
        .await;
    assert!(
        !deliveries["data"]["deliveries"]
            .as_array()
            .unwrap()
            .is_empty(),
        "{deliveries}"
    );
    let files_dir = app.dir.path().join("frontdesk.db.files");
    assert_eq!(
        files_containing(&files_dir, &marker).len(),
        2,
        "the sent file and the draft are on disk"
    );
    let chats = app.count_rows(&format!(
        "SELECT COUNT(*) FROM sessions WHERE user_id = '{person_id}'"
    ));
    assert_eq!(chats, 3, "the finished, the open and the offline chat");

    let data = erase_ok(&app, &root, &person(&person_id, "")).await;
    assert_eq!(counts(&data)[0], 3, "{data}");
    assert_eq!(counts(&data)[2], 2, "both files: {data}");
    assert_eq!(counts(&data)[3], 1, "the device: {data}");
    assert_eq!(
        app.count_rows(&format!(
            "SELECT COUNT(*) FROM chat_labels WHERE label_id = '{label}'"
        )),
        0,
        "the label is off the erased chat (and the label itself stays)"
    );
    let labels = app.get_ok("/api/admin/labels", &root).await;
    assert!(labels.to_string().contains(&label), "{labels}");

    if let db @ TestDb::Postgres(_) = app.db() {
        // No row of any table holds the marker, nor any file; the control is still there.
        // (PostgreSQL keeps deleted rows' bytes in its pages and WAL until they are reused:
        // docs/scale.md, "Erasure".)
        assert_eq!(postgres_rows_holding(&db, &marker), Vec::<String>::new());
        for (what, sql) in TRACES {
            assert_eq!(trace_count(&app, sql, &marker), 0, "{what} hold the marker");
        }
        assert!(!postgres_rows_holding(&db, &control).is_empty());
        let files = app.dir.path().join("frontdesk.db.files");
        assert_eq!(files_containing(&files, &marker), Vec::<PathBuf>::new());
        assert!(!files_containing(&files, &control).is_empty());
        return;
    }
    // The database file, compacted, and every file in the folder, byte by byte.
    let dir = app.stop().await;
    let db = dir.path().join("frontdesk.db");
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute_batch("VACUUM").unwrap();
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
            r.get::<_, i64>(0)
        })
        .unwrap();
    }
    let left = files_containing(dir.path(), &marker);
    if !left.is_empty() {
        let conn = rusqlite::Connection::open(&db).unwrap();
        let mut where_ = Vec::new();
        for (what, sql) in TRACES {
            if let Ok(n) = conn.query_row(sql, [&marker], |r| r.get::<_, i64>(0))
                && n > 0
            {
                where_.push(*what);
            }
        }
        panic!("the marker is still in {left:?} (rows: {where_:?})");
    }
    let db_hits = files_containing(dir.path(), &control);
    assert!(
        db_hits.iter().any(|p| p == &db),
        "the control marker is found in the database: {db_hits:?}"
    );
    assert!(
        db_hits
            .iter()
            .any(|p| p.starts_with(dir.path().join("frontdesk.db.files"))),
        "and in the files folder: {db_hits:?}"
    );
}
