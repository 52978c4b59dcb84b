//! Personas (and replies under them), canned responses, internal notes, the audit log.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

async fn persona(app: &TestApp, root: &str, name: &str) -> String {
    let (status, body) = app
        .post("/api/admin/personas", root, json!({ "name": name, "bio": "Loves helping", "avatarUrl": "https://cdn.example.com/a.png" }))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["data"]["persona"]["personaId"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn persona_crud_and_validation() {
    let app = TestApp::spawn().await;
    let (_, root) = app.agent("root@example.com", "super_admin").await;
    let id = persona(&app, &root, "Emma").await;
    let list = app
        .get_ok("/api/chat/personas", &app.user_token("u1"))
        .await;
    assert_eq!(
        list["data"]["personas"][0],
        json!({ "personaId": id, "name": "Emma", "avatarUrl": "https://cdn.example.com/a.png", "bio": "Loves helping" })
    );
    let (status, body) = app
        .put(
            &format!("/api/admin/personas/{id}"),
            &root,
            json!({ "name": "Emma B." }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["persona"]["name"], "Emma B.");
    assert_eq!(body["data"]["persona"]["bio"], Value::Null, "PUT replaces");
    for (body, field) in [
        (json!({}), "name"),
        (json!({ "name": "" }), "name"),
        (json!({ "name": "n".repeat(101) }), "name"),
        (json!({ "name": "X", "bio": "b".repeat(1001) }), "bio"),
        (
            json!({ "name": "X", "avatarUrl": "javascript:alert(1)" }),
            "avatarUrl",
        ),
        (json!({ "name": 5 }), "name"),
    ] {
        let (status, answer) = app.post("/api/admin/personas", &root, body.clone()).await;
        assert_error(status, &answer, 400, "VALIDATION_ERROR");
        assert_eq!(answer["error"]["details"]["field"], field, "{body}");
    }
    let (status, _) = app
        .delete(&format!("/api/admin/personas/{id}"), &root)
        .await;
    assert_eq!(status, StatusCode::OK);
    let list = app.get_ok("/api/admin/personas", &root).await;
    assert_eq!(list["data"]["personas"], json!([]));
    for (status, body) in [
        app.get(&format!("/api/admin/personas/{id}"), &root).await,
        app.delete(&format!("/api/admin/personas/{id}"), &root)
            .await,
        app.put(
            &format!("/api/admin/personas/{id}"),
            &root,
            json!({ "name": "Back" }),
        )
        .await,
    ] {
        assert_error(status, &body, 404, "NOT_FOUND");
    }
    let (status, body) = app
        .post(
            "/api/chat/session",
            &app.user_token("u1"),
            json!({ "personaId": id }),
        )
        .await;
    assert_error(status, &body, 404, "NOT_FOUND");
}

#[tokio::test]
async fn users_see_the_persona_and_agents_see_the_real_agent() {
    let app = TestApp::spawn().await;
    let (_, root) = app.agent("root@example.com", "super_admin").await;
    let (sarah_id, sarah) = app.agent("sarah@example.com", "chat_admin").await;
    let emma = persona(&app, &root, "Emma").await;
    let user = app.user_token("u1");
    let (status, body) = app
        .post(
            "/api/chat/session",
            &user,
            json!({ "sessionId": "chat_emma", "personaId": emma }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.send_ok(&user, "chat_emma", "msg_hi", "Hi Emma!").await;
    let (status, sent) = app
        .post(
            "/api/admin/chat/message",
            &sarah,
            json!({ "sessionId": "chat_emma", "message": "Hello! I'm doing great.", "sendAs": "persona" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{sent}");
    assert_eq!(sent["data"]["shownAs"], "Emma");
    app.agent_reply(&sarah, "chat_emma", "(this one as myself)")
        .await;

    let poll = app.poll(&user, "chat_emma", Some("msg_hi")).await;
    assert_eq!(
        poll["messages"][0]["adminInfo"],
        json!({ "name": "Emma", "department": null })
    );
    assert_eq!(poll["messages"][1]["adminInfo"]["name"], "sarah");
    assert!(
        !poll.to_string().contains(&sarah_id),
        "the user never learns who is behind the persona"
    );

    let detail = app
        .get_ok("/api/admin/chat/session/chat_emma", &sarah)
        .await;
    let reply = &detail["data"]["messages"][2];
    assert_eq!(reply["shownAs"], "Emma");
    assert_eq!(reply["sendAs"], "persona");
    assert_eq!(reply["agentId"], sarah_id.as_str());
    assert_eq!(reply["agentName"], "sarah");
    assert_eq!(detail["data"]["persona"]["name"], "Emma");

    let audit = app
        .get_ok("/api/admin/audit?sessionId=chat_emma&action=reply", &root)
        .await;
    let events = audit["data"]["events"].as_array().unwrap();
    assert_eq!(events.len(), 2);
    assert!(events.iter().all(|e| e["agentId"] == sarah_id.as_str()));
    assert!(events.iter().any(|e| e["detail"]["shownAs"] == "Emma"));

    // sendAs persona on a chat without one is refused.
    app.start_session(&user, Some("chat_plain")).await;
    let (status, body) = app
        .post(
            "/api/admin/chat/message",
            &sarah,
            json!({ "sessionId": "chat_plain", "message": "x", "sendAs": "persona" }),
        )
        .await;
    assert_error(status, &body, 400, "VALIDATION_ERROR");
    let (status, body) = app
        .post(
            "/api/admin/chat/message",
            &sarah,
            json!({ "sessionId": "chat_plain", "message": "x", "sendAs": "girlfriend" }),
        )
        .await;
    assert_error(status, &body, 400, "VALIDATION_ERROR");
}

#[tokio::test]
async fn canned_responses_for_chat_admins() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.agent("ann@example.com", "chat_admin").await;
    let (_, sue) = app.agent("sue@example.com", "support_admin").await;
    let (status, body) = app
        .post("/api/admin/canned-responses", &ann, json!({ "title": "Refund", "shortcut": "refund", "text": "Your refund is on its way." }))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let row = &body["data"]["cannedResponse"];
    assert_eq!(row["shortcut"], "/refund", "a leading slash is added");
    let id = row["id"].as_str().unwrap().to_string();
    let list = app.get_ok("/api/admin/canned-responses", &sue).await;
    assert_eq!(
        list["data"]["cannedResponses"][0]["text"],
        "Your refund is on its way."
    );
    let (status, body) = app
        .post(
            "/api/admin/canned-responses",
            &ann,
            json!({ "title": "Again", "shortcut": "/REFUND", "text": "dup" }),
        )
        .await;
    assert_error(status, &body, 409, "CONFLICT");
    for (body, field) in [
        (json!({ "shortcut": "/a", "text": "t" }), "title"),
        (
            json!({ "title": "t", "shortcut": "/has space", "text": "t" }),
            "shortcut",
        ),
        (
            json!({ "title": "t", "shortcut": "/", "text": "t" }),
            "shortcut",
        ),
        (
            json!({ "title": "t", "shortcut": "/ok", "text": "x".repeat(2001) }),
            "text",
        ),
        (
            json!({ "title": "t".repeat(101), "shortcut": "/ok", "text": "t" }),
            "title",
        ),
        (
            json!({ "title": "t", "shortcut": "/ok", "text": "" }),
            "text",
        ),
    ] {
        let (status, answer) = app
            .post("/api/admin/canned-responses", &ann, body.clone())
            .await;
        assert_error(status, &answer, 400, "VALIDATION_ERROR");
        assert_eq!(answer["error"]["details"]["field"], field, "{body}");
    }
    let (status, body) = app
        .put(
            &format!("/api/admin/canned-responses/{id}"),
            &ann,
            json!({ "title": "Refund", "shortcut": "/refund", "text": "Updated" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["cannedResponse"]["text"], "Updated");
    assert_eq!(
        app.delete(&format!("/api/admin/canned-responses/{id}"), &ann)
            .await
            .0,
        StatusCode::OK
    );
    let (status, body) = app
        .get(&format!("/api/admin/canned-responses/{id}"), &ann)
        .await;
    assert_error(status, &body, 404, "NOT_FOUND");
    assert_eq!(app.count_rows("SELECT COUNT(*) FROM canned_responses"), 0);
}

#[tokio::test]
async fn notes_never_reach_users() {
    let app = TestApp::spawn().await;
    let (_, sue) = app.agent("sue@example.com", "support_admin").await;
    let user = app.user_token("u1");
    app.start_session(&user, Some("chat_n1")).await;
    app.send_ok(&user, "chat_n1", "msg_n1", "hi").await;
    let secret = "Customer is on the fraud watch list <script>x</script>";
    let (status, body) = app
        .post(
            "/api/admin/chat/session/chat_n1/notes",
            &sue,
            json!({ "note": secret }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["note"], secret);
    let detail = app.get_ok("/api/admin/chat/session/chat_n1", &sue).await;
    assert_eq!(detail["data"]["notes"][0]["note"], secret);
    assert_eq!(detail["data"]["notes"][0]["agentName"], "sue");
    // Nothing a user can call shows it.
    let poll = app.get_ok("/api/chat/poll/chat_n1", &user).await;
    let page = app.get_ok("/api/chat/messages/chat_n1", &user).await;
    let history = app.get_ok("/api/chat/history", &user).await;
    // Each answer does show the chat, so the note's absence means something.
    assert!(
        poll["data"]["messages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["messageId"] == "msg_n1"),
        "{poll}"
    );
    assert!(
        page["data"]["messages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["messageId"] == "msg_n1"),
        "{page}"
    );
    assert_eq!(
        history["data"]["sessions"][0]["sessionId"], "chat_n1",
        "{history}"
    );
    for answer in [poll, page, history] {
        assert!(!answer.to_string().contains("fraud watch"), "{answer}");
    }
    for (body, status_code, code) in [
        (json!({ "note": "" }), 400, "VALIDATION_ERROR"),
        (json!({ "note": "n".repeat(2001) }), 400, "VALIDATION_ERROR"),
        (json!({ "note": 12 }), 400, "VALIDATION_ERROR"),
        (json!({}), 400, "VALIDATION_ERROR"),
    ] {
        let (status, answer) = app
            .post("/api/admin/chat/session/chat_n1/notes", &sue, body)
            .await;
        assert_error(status, &answer, status_code, code);
    }
    let (status, body) = app
        .post(
            "/api/admin/chat/session/chat_none/notes",
            &sue,
            json!({ "note": "x" }),
        )
        .await;
    assert_error(status, &body, 404, "SESSION_NOT_FOUND");
    for path in [
        "/api/admin/chat/session/chat_none",
        "/api/admin/chat/session/%3Cscript%3E",
    ] {
        let (status, body) = app.get(path, &sue).await;
        assert_error(status, &body, 404, "SESSION_NOT_FOUND");
    }
    assert_eq!(app.count_rows("SELECT COUNT(*) FROM notes"), 1);
}

#[tokio::test]
async fn the_audit_log_records_who_did_what_to_which_session() {
    let app = TestApp::spawn().await;
    let (root_id, root) = app.agent("root@example.com", "super_admin").await;
    let (ann_id, ann) = app.agent("ann@example.com", "chat_admin").await;
    let user = app.user_token("u1");
    app.start_session(&user, Some("chat_au")).await;
    app.post_ok(
        "/api/admin/chat/session/assign",
        &ann,
        json!({ "sessionId": "chat_au" }),
    )
    .await;
    app.agent_reply(&ann, "chat_au", "hello").await;
    app.post_ok(
        "/api/admin/chat/session/chat_au/notes",
        &ann,
        json!({ "note": "n" }),
    )
    .await;
    app.put_ok(
        "/api/admin/chat/session/chat_au/priority",
        &ann,
        json!({ "priority": "high" }),
    )
    .await;
    app.post_ok(
        "/api/admin/chat/session/transfer",
        &ann,
        json!({ "sessionId": "chat_au", "toAdminId": root_id }),
    )
    .await;
    app.post_ok(
        "/api/admin/chat/session/release",
        &root,
        json!({ "sessionId": "chat_au" }),
    )
    .await;
    app.post_ok(
        "/api/admin/chat/session/end",
        &root,
        json!({ "sessionId": "chat_au", "endReason": "done" }),
    )
    .await;

    let (status, body) = app
        .get("/api/admin/audit?sessionId=chat_au&limit=50", &root)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let events = body["data"]["events"].as_array().unwrap();
    let trail: Vec<(String, String)> = events
        .iter()
        .rev()
        .map(|e| {
            (
                e["agentId"].as_str().unwrap_or("").to_string(),
                e["action"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = [
        (&ann_id, "assign"),
        (&ann_id, "reply"),
        (&ann_id, "note"),
        (&ann_id, "priority"),
        (&ann_id, "transfer"),
        (&root_id, "release"),
        (&root_id, "end"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(trail, expected);
    assert!(
        events
            .iter()
            .all(|e| e["at"].as_str().unwrap().ends_with('Z'))
    );
    let logins = app
        .get_ok(
            &format!("/api/admin/audit?agentId={ann_id}&action=login"),
            &root,
        )
        .await;
    assert_eq!(logins["data"]["events"].as_array().unwrap().len(), 1);
    for bad in ["page=0", "limit=abc"] {
        let (status, body) = app.get(&format!("/api/admin/audit?{bad}"), &root).await;
        assert_error(status, &body, 400, "VALIDATION_ERROR");
    }
}
