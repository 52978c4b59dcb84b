//! Privacy requests (SPEC.md section 12): a super admin erases one person
//! (`DELETE /api/admin/users/{userId}`, `?guest=true` for a guest) and a person erases
//! themselves (`DELETE /api/chat/me`), or the command line does (`frontdesk user erase`). What is erased is gone from every answer, from the
//! database file and from the files folder; everyone else's chats stay as they were.
//!
//! `requests` drives the routes (who may, what goes, what stays, bad input); `traces` puts
//! one marker word everywhere a person leaves text and scans the disk for it afterwards.

mod command_line;
mod requests;
mod traces;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

const ME: &str = "/api/chat/me";

/// The admin route for `user_id` (percent-encoded as one path segment), with `query`.
fn person(user_id: &str, query: &str) -> String {
    let mut url =
        reqwest::Url::parse("http://frontdesk.invalid/api/admin/users").expect("a base URL");
    url.path_segments_mut()
        .expect("a URL with a path")
        .push(user_id);
    format!("{}{query}", url.path())
}

/// An erasure that must succeed; answers `data` after checking its shape.
async fn erase_ok(app: &TestApp, token: &str, path: &str) -> Value {
    let data = app.delete_ok(path, token).await["data"].clone();
    assert!(data["userId"].is_string(), "{path}: userId: {data}");
    assert!(data["isGuest"].is_boolean(), "{path}: isGuest: {data}");
    counts(&data);
    data
}

/// An erasure answer's counts: chats, messages, files, devices.
fn counts(data: &Value) -> [u64; 4] {
    [
        "chatsErased",
        "messagesErased",
        "filesErased",
        "devicesForgotten",
    ]
    .map(|key| {
        data[key]
            .as_u64()
            .unwrap_or_else(|| panic!("{key} is a count: {data}"))
    })
}

/// A user token with the given name and email claims.
fn token_for(app: &TestApp, user_id: &str, name: &str, email: &str) -> String {
    user_token_with(json!({
        "sub": user_id,
        "exp": app.clock_secs() + 3600,
        "name": name,
        "email": email,
    }))
}

/// The chat as an agent opens it: 200 and its `data`, or the error.
async fn chat_as_agent(app: &TestApp, agent: &str, session_id: &str) -> (StatusCode, Value) {
    app.get(&format!("/api/admin/chat/session/{session_id}"), agent)
        .await
}

/// Asserts the chat is gone for agents and for its former owner alike.
async fn assert_gone(app: &TestApp, agent: &str, owner: &str, session_id: &str) {
    let (status, body) = chat_as_agent(app, agent, session_id).await;
    assert_error(status, &body, 404, "SESSION_NOT_FOUND");
    let (status, body) = app
        .get(&format!("/api/chat/poll/{session_id}"), owner)
        .await;
    assert_error(status, &body, 404, "SESSION_NOT_FOUND");
    let (status, body) = app
        .get(&format!("/api/chat/messages/{session_id}"), owner)
        .await;
    assert_error(status, &body, 404, "SESSION_NOT_FOUND");
}

/// The messages of a chat as an agent sees them: (messageId, text).
async fn transcript(app: &TestApp, agent: &str, session_id: &str) -> Vec<(String, String)> {
    let (status, body) = chat_as_agent(app, agent, session_id).await;
    assert_eq!(status, StatusCode::OK, "{session_id}: {body}");
    body["data"]["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| {
            (
                m["messageId"].as_str().expect("an id").to_string(),
                m["message"].as_str().expect("a text").to_string(),
            )
        })
        .collect()
}

/// The sessions of the search results for `q`.
async fn search_hits(app: &TestApp, agent: &str, q: &str) -> Vec<String> {
    let mut url = reqwest::Url::parse("http://frontdesk.invalid/api/admin/chat/search").unwrap();
    url.query_pairs_mut().append_pair("q", q);
    let path = format!("{}?{}", url.path(), url.query().unwrap_or_default());
    let body = app.get_ok(&path, agent).await;
    body["data"]["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["sessionId"].as_str().expect("a chat").to_string())
        .collect()
}

/// The audit events of one action, newest first.
async fn audit_of(app: &TestApp, root: &str, action: &str) -> Vec<Value> {
    app.get_ok(&format!("/api/admin/audit?action={action}&limit=200"), root)
        .await["data"]["events"]
        .as_array()
        .expect("events")
        .clone()
}

/// Every audit event, newest first.
async fn audit_all(app: &TestApp, root: &str) -> Vec<Value> {
    app.get_ok("/api/admin/audit?limit=200", root).await["data"]["events"]
        .as_array()
        .expect("events")
        .clone()
}

/// How many active chats the agent holds, as the admin API says.
async fn load_of(app: &TestApp, root: &str, agent_id: &str) -> i64 {
    let agents = app.get_ok("/api/admin/agents", root).await;
    agents["data"]["agents"]
        .as_array()
        .expect("agents")
        .iter()
        .find(|a| a["id"] == agent_id)
        .unwrap_or_else(|| panic!("agent {agent_id} listed: {agents}"))["activeChatSessions"]
        .as_i64()
        .expect("a count")
}

async fn history_total(app: &TestApp, user: &str) -> (usize, i64) {
    let body = app.get_ok("/api/chat/history", user).await;
    (
        body["data"]["sessions"].as_array().expect("sessions").len(),
        body["data"]["pagination"]["totalSessions"]
            .as_i64()
            .expect("a total"),
    )
}

async fn end_as_user(app: &TestApp, user: &str, session_id: &str, body: Value) {
    let mut body = body;
    body["sessionId"] = Value::from(session_id);
    app.post_ok("/api/chat/session/end", user, body).await;
}
