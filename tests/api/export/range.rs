//! `frontdesk export --from --to [--format jsonl|csv]`: the built binary against the database
//! of a server that keeps running, compared with what was sent; bad dates and an upside-down
//! range are one line and a failing exit.

use serde_json::{Value, json};

use crate::helpers::*;
use crate::process::run;
use crate::search::{move_to, person, quiet_app};

/// What the export must show of one message.
struct Expected {
    chat: &'static str,
    user: &'static str,
    seq: i64,
    id: String,
    sender: &'static str,
    agent_name: Option<&'static str>,
    body: &'static str,
    at: String,
}

/// Runs the export on the app's database while the app serves; answers (success, stdout,
/// stderr).
async fn export(app: &TestApp, args: &[&str]) -> (bool, String, String) {
    let db = app.dir.path().join("frontdesk.db");
    let mut argv = vec!["export".to_string()];
    argv.extend(args.iter().map(|a| a.to_string()));
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = argv.iter().map(String::as_str).collect();
        run(&db, &args, &[], None)
    })
    .await
    .expect("the export ran")
}

/// Three days of chats: the 4th (before the range), the 5th (the range: three chats, a reply
/// by an agent, text a spreadsheet would run) and the 6th (after it). User tokens are made
/// after each move of the clock: they expire an hour after they are made.
async fn three_days() -> (TestApp, Vec<Expected>) {
    let app = quiet_app("2030-03-04", "23:59:00").await;
    let (_, sam) = app.agent("sam@example.com", "chat_admin").await;
    let ann = person(&app, "ann");
    app.start_session(&ann, Some("chat_before")).await;
    app.send_ok(&ann, "chat_before", "msg_before", "the day before")
        .await;

    move_to(&app, "2030-03-05", "00:00:00");
    let ann = person(&app, "ann");
    app.start_session(&ann, Some("chat_ann")).await;
    app.send_ok(
        &ann,
        "chat_ann",
        "msg_a1",
        "first of the day, \"quoted\", with commas",
    )
    .await;
    move_to(&app, "2030-03-05", "00:01:00");
    let reply = app
        .agent_reply(&sam, "chat_ann", "on it\nsecond line")
        .await;
    let reply_id = reply["messageId"].as_str().unwrap().to_string();
    move_to(&app, "2030-03-05", "12:00:00");
    let bob = person(&app, "bob");
    app.start_session(&bob, Some("chat_bob")).await;
    app.send_ok(&bob, "chat_bob", "msg_b1", "=1+1").await;
    move_to(&app, "2030-03-05", "23:59:59");
    let ann = person(&app, "ann");
    app.start_session(&ann, Some("chat_late")).await;
    app.send_ok(&ann, "chat_late", "msg_l1", "last of the day")
        .await;

    move_to(&app, "2030-03-06", "00:00:00");
    app.send_ok(&ann, "chat_late", "msg_after", "the day after")
        .await;
    let on = |hms: &str| format!("2030-03-05T{hms}.000Z");
    let expected = vec![
        Expected {
            chat: "chat_ann",
            user: "ann",
            seq: 1,
            id: "msg_a1".into(),
            sender: "user",
            agent_name: None,
            body: "first of the day, \"quoted\", with commas",
            at: on("00:00:00"),
        },
        Expected {
            chat: "chat_ann",
            user: "ann",
            seq: 2,
            id: reply_id,
            sender: "admin",
            agent_name: Some("sam"),
            body: "on it\nsecond line",
            at: on("00:01:00"),
        },
        Expected {
            chat: "chat_bob",
            user: "bob",
            seq: 1,
            id: "msg_b1".into(),
            sender: "user",
            agent_name: None,
            body: "=1+1",
            at: on("12:00:00"),
        },
        Expected {
            chat: "chat_late",
            user: "ann",
            seq: 1,
            id: "msg_l1".into(),
            sender: "user",
            agent_name: None,
            body: "last of the day",
            at: on("23:59:59"),
        },
    ];
    (app, expected)
}

#[tokio::test]
async fn jsonl_holds_every_message_of_the_range_and_nothing_else() {
    let (app, expected) = three_days().await;
    let (ok, out, err) = export(&app, &["--from", "2030-03-05", "--to", "2030-03-05"]).await;
    assert!(ok, "{err}");
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(lines.len(), expected.len(), "{out}");
    for (line, want) in lines.iter().zip(&expected) {
        assert_eq!(
            *line,
            json!({
                "chatId": want.chat,
                "userId": want.user,
                "channel": "app",
                "seq": want.seq,
                "messageId": want.id,
                "sentAt": want.at,
                "sender": want.sender,
                "agentId": line["agentId"],
                "agentName": want.agent_name,
                "shownAs": want.agent_name,
                "body": want.body,
                "attachments": [],
            })
        );
        assert_eq!(
            line["agentId"].is_string(),
            want.agent_name.is_some(),
            "{line}"
        );
    }
    let text = out.clone();
    for outside in ["the day before", "the day after"] {
        assert!(!text.contains(outside), "{outside} is outside the range");
    }
    // The same range as instants: the last second of the day counts itself.
    let (ok, out, err) = export(
        &app,
        &[
            "--from",
            "2030-03-05T12:00:00Z",
            "--to",
            "2030-03-05T23:59:59Z",
        ],
    )
    .await;
    assert!(ok, "{err}");
    let ids: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["messageId"].clone())
        .collect();
    assert_eq!(ids, [json!("msg_b1"), json!("msg_l1")], "{out}");
}

#[tokio::test]
async fn csv_parses_back_to_the_same_messages() {
    let (app, expected) = three_days().await;
    let (ok, out, err) = export(
        &app,
        &[
            "--from",
            "2030-03-05",
            "--to",
            "2030-03-05",
            "--format",
            "csv",
        ],
    )
    .await;
    assert!(ok, "{err}");
    let mut reader = csv::Reader::from_reader(out.as_bytes());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "chatId",
            "userId",
            "channel",
            "seq",
            "messageId",
            "sentAt",
            "sender",
            "agentId",
            "agentName",
            "shownAs",
            "body",
            "attachments",
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("a row")).collect();
    assert_eq!(rows.len(), expected.len(), "{out}");
    for (row, want) in rows.iter().zip(&expected) {
        let body = if want.body.starts_with('=') {
            format!("'{}", want.body)
        } else {
            want.body.to_string()
        };
        let seq = want.seq.to_string();
        let agent = want.agent_name.unwrap_or_default();
        assert_eq!(
            [
                &row[0], &row[1], &row[2], &row[3], &row[4], &row[5], &row[6], &row[8], &row[9],
                &row[10], &row[11]
            ],
            [
                want.chat,
                want.user,
                "app",
                &seq,
                &want.id,
                &want.at,
                want.sender,
                agent,
                agent,
                &body,
                ""
            ],
            "{row:?}"
        );
    }
}

#[tokio::test]
async fn bad_ranges_are_one_line_and_a_failing_exit() {
    let (app, _) = three_days().await;
    for (args, says) in [
        (
            vec!["--from", "2030-03-06", "--to", "2030-03-05"],
            "--from must not be after --to",
        ),
        (
            vec!["--from", "yesterday", "--to", "2030-03-05"],
            "--from must be a day",
        ),
        (
            vec!["--from", "2030-03-05", "--to", "2030-02-30"],
            "--to must be a day",
        ),
        (
            vec!["--from", "2030-03-05T10:00:00", "--to", "2030-03-06"],
            "--from must be a day",
        ),
        (
            vec![
                "--from",
                "2030-03-05",
                "--to",
                "2030-03-05",
                "--format",
                "xml",
            ],
            "--format must be jsonl or csv",
        ),
    ] {
        let (ok, out, err) = export(&app, &args).await;
        assert!(!ok, "{args:?} fails");
        assert!(out.is_empty(), "{args:?} writes nothing: {out}");
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines.len(), 1, "{args:?}: one line: {err}");
        assert!(
            lines[0].starts_with("error: ") && lines[0].contains(says),
            "{args:?}: {err}"
        );
    }
    // A database that is not there is refused, not made (on PostgreSQL, a database of the
    // cluster that was never created).
    let missing = app.dir.path().join("nowhere.db");
    let nowhere = on_postgres().then(|| {
        let url =
            postgres_url_of(&app.dir.path().join("frontdesk.db")).expect("the app's database");
        let (cluster, _) = url.rsplit_once('/').expect("a database URL");
        let nowhere = format!("{cluster}/nowhere_{}", std::process::id());
        use_postgres_for(&missing, &nowhere);
        nowhere
    });
    let (ok, _, err) = tokio::task::spawn_blocking({
        let missing = missing.clone();
        move || {
            run(
                &missing,
                &["export", "--from", "2030-03-05", "--to", "2030-03-05"],
                &[],
                None,
            )
        }
    })
    .await
    .unwrap();
    match nowhere {
        Some(_) => assert!(!ok && err.contains("does not exist"), "{err}"),
        None => {
            assert!(!ok && err.contains("there is no database"), "{err}");
            assert!(!missing.exists(), "nothing was created");
        }
    }
}
