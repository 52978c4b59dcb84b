//! POST /api/chat/session/end, POST /api/chat/rating, GET /api/chat/history.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn ending_is_idempotent_and_reports_the_session() {
    let app = TestApp::spawn().await;
    let token = app.user_token("u1");
    app.start_session(&token, Some("chat_e1")).await;
    app.send_ok(&token, "chat_e1", "msg_e1", "hi").await;
    let body = json!({
        "sessionId": "chat_e1", "endTime": "2025-12-06T15:45:00.000Z", "status": "ended_by_user",
        "rating": null, "feedback": null
    });
    let (status, first) = app
        .post("/api/chat/session/end", &token, body.clone())
        .await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let d = &first["data"];
    assert_eq!(d["sessionId"], "chat_e1");
    assert_eq!(d["status"], "ended_by_user");
    assert_eq!(d["endedBy"], "user");
    assert_eq!(d["messageCount"], 1, "system messages are not counted");
    assert!(d["duration"].as_i64().unwrap() >= 0);
    let (status, second) = app.post("/api/chat/session/end", &token, body).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(second["data"]["endTime"], d["endTime"]);
}

#[tokio::test]
async fn a_rating_sent_with_the_end_is_stored() {
    let app = TestApp::spawn().await;
    let token = app.user_token("u1");
    app.start_session(&token, Some("chat_e2")).await;
    let (status, _) = app
        .post(
            "/api/chat/session/end",
            &token,
            json!({ "sessionId": "chat_e2", "rating": 4, "feedback": "Quick" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        app.count_rows("SELECT rating FROM ratings WHERE session_id = 'chat_e2'"),
        4
    );
    let (status, body) = app
        .post(
            "/api/chat/rating",
            &token,
            json!({ "sessionId": "chat_e2", "rating": 5 }),
        )
        .await;
    assert_error(status, &body, 409, "ALREADY_RATED");
}

#[tokio::test]
async fn bad_end_requests_change_nothing() {
    let app = TestApp::spawn().await;
    let token = app.user_token("u1");
    app.start_session(&token, Some("chat_e3")).await;
    for (body, status_code, code) in [
        (json!({}), 400, "VALIDATION_ERROR"),
        (
            json!({ "sessionId": "chat_e3", "status": "ended_by_admin" }),
            400,
            "VALIDATION_ERROR",
        ),
        (
            json!({ "sessionId": "chat_e3", "rating": 9 }),
            400,
            "INVALID_RATING",
        ),
        (
            json!({ "sessionId": "chat_e3", "rating": "five" }),
            400,
            "INVALID_RATING",
        ),
        (
            json!({ "sessionId": "chat_e3", "endReason": "x".repeat(501) }),
            400,
            "VALIDATION_ERROR",
        ),
        (
            json!({ "sessionId": "chat_other" }),
            404,
            "SESSION_NOT_FOUND",
        ),
    ] {
        let (status, answer) = app.post("/api/chat/session/end", &token, body).await;
        assert_error(status, &answer, status_code, code);
    }
    let (status, body) = app
        .post(
            "/api/chat/session/end",
            &app.user_token("mallory"),
            json!({ "sessionId": "chat_e3" }),
        )
        .await;
    assert_error(status, &body, 404, "SESSION_NOT_FOUND");
    assert_eq!(
        app.count_rows("SELECT COUNT(*) FROM sessions WHERE status = 'active'"),
        1
    );
}

#[tokio::test]
async fn ratings_follow_the_rules() {
    let app = TestApp::spawn().await;
    let token = app.user_token("u1");
    app.start_session(&token, Some("chat_r1")).await;
    let rate = |body: serde_json::Value| app.post("/api/chat/rating", &token, body);

    let (status, body) = rate(json!({ "sessionId": "chat_r1", "rating": 5 })).await;
    assert_error(status, &body, 409, "SESSION_ACTIVE");

    app.post_ok(
        "/api/chat/session/end",
        &token,
        json!({ "sessionId": "chat_r1" }),
    )
    .await;
    for bad in [
        "0",
        "6",
        "-1",
        "3.5",
        "\"5\"",
        "null",
        "99999999999999999999999999",
        "1e308",
        "[5]",
        "{}",
    ] {
        let body = format!(r#"{{"sessionId": "chat_r1", "rating": {bad}}}"#);
        let (status, answer) = app
            .post_raw(
                "/api/chat/rating",
                Some(&token),
                Some("application/json"),
                body.into_bytes(),
            )
            .await;
        assert_error(status, &answer, 400, "INVALID_RATING");
    }
    for (body, field) in [
        (
            json!({ "sessionId": "chat_r1", "rating": 5, "feedback": "f".repeat(2001) }),
            "feedback",
        ),
        (
            json!({ "sessionId": "chat_r1", "rating": 5, "categories": "helpful" }),
            "categories",
        ),
        (
            json!({ "sessionId": "chat_r1", "rating": 5, "categories": [1, 2] }),
            "categories",
        ),
        (
            json!({ "sessionId": "chat_r1", "rating": 5, "categories": vec!["c"; 11] }),
            "categories",
        ),
    ] {
        let (status, answer) = rate(body).await;
        assert_error(status, &answer, 400, "VALIDATION_ERROR");
        assert_eq!(answer["error"]["details"]["field"], field);
    }
    assert_eq!(app.count_rows("SELECT COUNT(*) FROM ratings"), 0);

    let (status, body) = rate(json!({
        "sessionId": "chat_r1", "rating": 5, "feedback": "<b>Great</b>",
        "categories": ["helpful", "quick_response"], "timestamp": "2025-12-06T15:46:00.000Z"
    }))
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let d = &body["data"];
    assert!(d["ratingId"].as_str().unwrap().starts_with("rating_"));
    assert_eq!(d["rating"], 5);
    assert_eq!(d["feedback"], "<b>Great</b>");
    assert_eq!(d["categories"], json!(["helpful", "quick_response"]));
    assert!(d["submittedAt"].is_string());

    let (status, body) = rate(json!({ "sessionId": "chat_r1", "rating": 4 })).await;
    assert_error(status, &body, 409, "ALREADY_RATED");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("already submitted")
    );

    let (status, body) = app
        .post(
            "/api/chat/rating",
            &app.user_token("mallory"),
            json!({ "sessionId": "chat_r1", "rating": 1 }),
        )
        .await;
    assert_error(status, &body, 404, "SESSION_NOT_FOUND");
}

#[tokio::test]
async fn history_lists_only_the_users_sessions_newest_first() {
    let app = TestApp::spawn().await;
    let token = app.user_token("u1");
    let (_, agent) = app.agent("sarah@example.com", "chat_admin").await;
    for i in 0..3 {
        let id = format!("chat_h{i}");
        app.start_session(&token, Some(&id)).await;
        app.send_ok(&token, &id, &format!("msg_h{i}"), "help").await;
        app.agent_reply(&agent, &id, &format!("answer {i}")).await;
        app.post_ok(
            "/api/chat/session/end",
            &token,
            json!({ "sessionId": id, "rating": 5, "feedback": "ok" }),
        )
        .await;
    }
    app.start_session(&app.user_token("someone_else"), Some("chat_not_mine"))
        .await;

    let (status, body) = app.get("/api/chat/history?limit=2", &token).await;
    assert_eq!(status, StatusCode::OK);
    let sessions = body["data"]["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions[0]["sessionId"], "chat_h2");
    assert_eq!(sessions[0]["rating"], 5);
    assert_eq!(sessions[0]["feedback"], "ok");
    assert_eq!(sessions[0]["messageCount"], 2);
    assert_eq!(sessions[0]["adminInfo"]["name"], "sarah");
    assert_eq!(sessions[0]["lastMessage"]["message"], "answer 2");
    assert_eq!(sessions[0]["lastMessage"]["sender"], "admin");
    let p = &body["data"]["pagination"];
    assert_eq!(
        (p["totalSessions"].as_i64(), p["totalPages"].as_i64()),
        (Some(3), Some(2))
    );
    let page2 = app.get_ok("/api/chat/history?page=2&limit=2", &token).await;
    assert_eq!(page2["data"]["sessions"][0]["sessionId"], "chat_h0");
    let capped = app.get_ok("/api/chat/history?limit=5000", &token).await;
    assert_eq!(capped["data"]["sessions"].as_array().unwrap().len(), 3);
    for bad in ["page=0", "limit=x", "page=1e9"] {
        let (status, body) = app.get(&format!("/api/chat/history?{bad}"), &token).await;
        assert_error(status, &body, 400, "VALIDATION_ERROR");
    }
    let empty = app
        .get_ok("/api/chat/history", &app.user_token("nobody"))
        .await;
    assert_eq!(empty["data"]["sessions"], json!([]));
}
