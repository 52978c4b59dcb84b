//! Uploading and sending files: every transport shows them, retries attach nothing twice, and
//! nobody can use another person's upload.

use reqwest::StatusCode;
use serde_json::json;

use super::{PDF, fetch, id_of, send_files, upload, upload_ok};
use crate::helpers::{TestApp, assert_error, expect_ok};

#[tokio::test]
async fn an_uploaded_file_sent_alone_reaches_poll_messages_and_the_admin_view() {
    let app = TestApp::spawn().await;
    let token = app.user_token("u1");
    let session = app.start_session(&token, Some("chat_files_1")).await;
    let session = session["sessionId"].as_str().unwrap();

    let answer = upload_ok(&app, &token, session, "invoice.pdf", PDF).await;
    assert_eq!(answer["name"], "invoice.pdf");
    assert_eq!(answer["contentType"], "application/pdf");
    assert_eq!(answer["size"], PDF.len());
    assert!(
        answer["url"].as_str().unwrap().starts_with("/files/att_"),
        "{answer}"
    );
    let id = id_of(&answer).to_string();

    let sent = expect_ok(
        "send",
        send_files(&app, &token, session, "msg_f1", None, &[&id]).await,
    );
    assert_eq!(sent["data"]["messageId"], "msg_f1");

    let poll = app.poll(&token, session, None).await;
    let message = poll["messages"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(message["messageId"], "msg_f1");
    assert_eq!(
        message["message"], "Sent a file: invoice.pdf",
        "old clients see the file named"
    );
    assert_eq!(message["fallbackText"], true);
    let file = &message["attachments"][0];
    assert_eq!(file["attachmentId"], id.as_str());
    assert_eq!(file["name"], "invoice.pdf");
    assert_eq!(file["contentType"], "application/pdf");
    assert!(
        file.get("thumbnailUrl").is_none(),
        "no thumbnail for a PDF: {file}"
    );
    let (status, _, bytes) = fetch(&app, file["url"].as_str().unwrap(), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(bytes, PDF, "the bytes come back as sent");

    // The welcome message carries an empty list, not a missing key.
    assert_eq!(poll["messages"][0]["attachments"], json!([]));

    let page = app
        .get_ok(&format!("/api/chat/messages/{session}"), &token)
        .await;
    assert_eq!(
        page["data"]["messages"][1]["attachments"][0]["attachmentId"],
        id.as_str()
    );

    let (_, agent) = app.agent("a@example.com", "chat_admin").await;
    let view = app
        .get_ok(&format!("/api/admin/chat/session/{session}"), &agent)
        .await;
    let shown = &view["data"]["messages"][1];
    assert_eq!(shown["attachments"][0]["name"], "invoice.pdf");
    assert_eq!(shown["fallbackText"], true);
}

#[tokio::test]
async fn words_and_files_travel_together_and_the_words_stay_as_written() {
    let app = TestApp::spawn().await;
    let token = app.user_token("u1");
    let session = app.start_session(&token, Some("chat_files_2")).await;
    let session = session["sessionId"].as_str().unwrap();
    let a = upload_ok(&app, &token, session, "a.txt", b"first file\n").await;
    let b = upload_ok(&app, &token, session, "b.csv", b"name,qty\nbolt,3\n").await;
    assert_eq!(b["contentType"], "text/csv");
    expect_ok(
        "send",
        send_files(
            &app,
            &token,
            session,
            "msg_f2",
            Some("see both"),
            &[id_of(&a), id_of(&b)],
        )
        .await,
    );
    let poll = app.poll(&token, session, None).await;
    let message = poll["messages"].as_array().unwrap().last().unwrap();
    assert_eq!(message["message"], "see both");
    assert!(message.get("fallbackText").is_none());
    let names: Vec<&str> = message["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["a.txt", "b.csv"], "in the order sent");
}

#[tokio::test]
async fn a_retried_send_attaches_nothing_twice_and_other_files_under_the_same_id_conflict() {
    let app = TestApp::spawn().await;
    let token = app.user_token("u1");
    let session = app.start_session(&token, Some("chat_files_3")).await;
    let session = session["sessionId"].as_str().unwrap();
    let a = upload_ok(&app, &token, session, "a.txt", b"alpha\n").await;
    let b = upload_ok(&app, &token, session, "b.txt", b"beta\n").await;

    let first = expect_ok(
        "send",
        send_files(&app, &token, session, "msg_r", None, &[id_of(&a)]).await,
    );
    let again = expect_ok(
        "retry",
        send_files(&app, &token, session, "msg_r", None, &[id_of(&a)]).await,
    );
    assert_eq!(again["data"]["duplicate"], true);
    assert_eq!(again["data"]["timestamp"], first["data"]["timestamp"]);
    let (status, body) = send_files(&app, &token, session, "msg_r", None, &[id_of(&b)]).await;
    assert_error(status, &body, 409, "DUPLICATE_MESSAGE_ID");

    assert_eq!(
        app.count_rows("SELECT COUNT(*) FROM messages WHERE id = 'msg_r'"),
        1
    );
    assert_eq!(
        app.count_rows("SELECT COUNT(*) FROM attachments WHERE message_id = 'msg_r'"),
        1,
        "only the first file was taken"
    );
    // A file a message took cannot be sent again by another message.
    let (status, body) = send_files(&app, &token, session, "msg_r2", None, &[id_of(&a)]).await;
    assert_error(status, &body, 400, "VALIDATION_ERROR");
    assert_eq!(body["error"]["details"]["field"], "attachments");
    // The untaken one still can.
    expect_ok(
        "send b",
        send_files(&app, &token, session, "msg_r3", None, &[id_of(&b)]).await,
    );
}

#[tokio::test]
async fn nobody_can_upload_to_send_or_fetch_what_is_not_theirs() {
    let app = TestApp::spawn().await;
    let alice = app.user_token("alice");
    let bob = app.user_token("bob");
    let alice_chat = app.start_session(&alice, Some("chat_alice")).await;
    let alice_chat = alice_chat["sessionId"].as_str().unwrap().to_string();
    let bob_chat = app.start_session(&bob, Some("chat_bob")).await;
    let bob_chat = bob_chat["sessionId"].as_str().unwrap().to_string();
    let file = upload_ok(&app, &alice, &alice_chat, "private.txt", b"alice only\n").await;

    // Bob cannot upload into Alice's chat: it does not exist for him.
    let (status, body) = upload(&app, &bob, &alice_chat, "x.txt", b"hi\n").await;
    assert_error(status, &body, 404, "SESSION_NOT_FOUND");
    // Bob cannot send Alice's upload, in his chat or in hers.
    let (status, body) =
        send_files(&app, &bob, &bob_chat, "msg_steal", None, &[id_of(&file)]).await;
    assert_error(status, &body, 400, "VALIDATION_ERROR");
    let (status, body) =
        send_files(&app, &bob, &alice_chat, "msg_steal2", None, &[id_of(&file)]).await;
    assert_error(status, &body, 404, "SESSION_NOT_FOUND");
    // Nor can a user fetch a file without its signed link, even with a valid token.
    let bare = format!("/files/{}", id_of(&file));
    let (status, _, bytes) = fetch(&app, &bare, Some(&bob)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!String::from_utf8_lossy(&bytes).contains("alice only"));
    let (status, _, _) = fetch(&app, &bare, Some(&alice)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "users need the signed link");
    // An agent may, with their token.
    let (_, agent) = app.agent("a@example.com", "support_admin").await;
    let (status, _, bytes) = fetch(&app, &bare, Some(&agent)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(bytes, b"alice only\n");
    // An agent's own upload cannot be sent by a user, and a user's cannot be sent by an agent.
    let (_, replier) = app.agent("r@example.com", "chat_admin").await;
    let agent_file = super::upload_to(
        &app,
        "/api/admin/chat/attachments",
        &replier,
        &alice_chat,
        "a.pdf",
        super::PDF.to_vec(),
    )
    .await;
    let agent_file = expect_ok("agent upload", agent_file)["data"].clone();
    let (status, body) = send_files(
        &app,
        &alice,
        &alice_chat,
        "msg_x",
        None,
        &[id_of(&agent_file)],
    )
    .await;
    assert_error(status, &body, 400, "VALIDATION_ERROR");
    let (status, body) = app
        .post(
            "/api/admin/chat/message",
            &replier,
            json!({"sessionId": alice_chat, "attachments": [id_of(&file)]}),
        )
        .await;
    assert_error(status, &body, 400, "VALIDATION_ERROR");
    assert_eq!(
        app.count_rows("SELECT COUNT(*) FROM attachments WHERE message_id IS NOT NULL"),
        0,
        "nothing was taken"
    );
}

#[tokio::test]
async fn agents_attach_files_to_replies_and_roles_that_cannot_reply_cannot_upload() {
    let app = TestApp::spawn().await;
    let token = app.user_token("u1");
    let session = app.start_session(&token, Some("chat_agent_files")).await;
    let session = session["sessionId"].as_str().unwrap();
    let (_, agent) = app.agent("a@example.com", "chat_admin").await;
    let up = super::upload_to(
        &app,
        "/api/admin/chat/attachments",
        &agent,
        session,
        "label.pdf",
        PDF.to_vec(),
    )
    .await;
    let up = expect_ok("agent upload", up)["data"].clone();
    expect_ok(
        "reply",
        app.post(
            "/api/admin/chat/message",
            &agent,
            json!({"sessionId": session, "message": "your label", "attachments": [id_of(&up)]}),
        )
        .await,
    );
    let poll = app.poll(&token, session, None).await;
    let reply = poll["messages"].as_array().unwrap().last().unwrap();
    assert_eq!(reply["sender"], "admin");
    assert_eq!(reply["attachments"][0]["name"], "label.pdf");
    let (status, _, bytes) =
        fetch(&app, reply["attachments"][0]["url"].as_str().unwrap(), None).await;
    assert_eq!((status, bytes.as_slice()), (StatusCode::OK, PDF));

    let (_, watcher) = app.agent("w@example.com", "support_admin").await;
    let (status, body) = super::upload_to(
        &app,
        "/api/admin/chat/attachments",
        &watcher,
        session,
        "x.pdf",
        PDF.to_vec(),
    )
    .await;
    assert_error(status, &body, 403, "FORBIDDEN");
    let (status, body) = upload(&app, &agent, session, "x.pdf", PDF).await;
    assert_error(status, &body, 401, "AUTHENTICATION_FAILED");
}

#[tokio::test]
async fn the_stream_carries_files_with_their_links() {
    let app = TestApp::spawn().await;
    let token = app.user_token("u1");
    let session = app.start_session(&token, Some("chat_stream_files")).await;
    let session = session["sessionId"].as_str().unwrap();
    let mut response = app
        .client
        .get(app.url(&format!("/api/chat/stream/{session}")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("stream opened");
    assert_eq!(response.status(), StatusCode::OK);
    let file = upload_ok(&app, &token, session, "notes.txt", b"streamed\n").await;
    expect_ok(
        "send",
        send_files(&app, &token, session, "msg_s", None, &[id_of(&file)]).await,
    );
    let mut seen = String::new();
    crate::helpers::within("the message event", async {
        // Until a whole event (ended by a blank line) names the message.
        while !seen
            .rsplit_once("\n\n")
            .is_some_and(|(whole, _)| whole.contains("msg_s"))
        {
            let chunk = response
                .chunk()
                .await
                .expect("stream chunk")
                .expect("stream open");
            seen.push_str(&String::from_utf8_lossy(&chunk));
        }
    })
    .await;
    let data = seen
        .split("\n\n")
        .find(|event| event.contains("msg_s"))
        .and_then(|event| event.lines().find_map(|l| l.strip_prefix("data: ")))
        .expect("a data line");
    let event: serde_json::Value = serde_json::from_str(data).expect("JSON event");
    assert_eq!(event["attachments"][0]["name"], "notes.txt");
    let (status, _, bytes) =
        fetch(&app, event["attachments"][0]["url"].as_str().unwrap(), None).await;
    assert_eq!(
        (status, bytes.as_slice()),
        (StatusCode::OK, &b"streamed\n"[..])
    );
}
