//! The client event stream (SSE): what poll would send, resumption without repeats, refusals.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::realtime::chat_with_message;

/// A tiny server-sent-events reader.
struct Events {
    response: reqwest::Response,
    buffer: String,
}

#[derive(Debug, Clone, PartialEq)]
struct Event {
    name: String,
    id: String,
    data: Value,
}

impl Events {
    async fn open(
        app: &TestApp,
        token: &str,
        session: &str,
        last_event_id: Option<&str>,
    ) -> Result<Events, (StatusCode, Value)> {
        let mut request = app
            .client
            .get(app.url(&format!("/api/chat/stream/{session}")))
            .bearer_auth(token);
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id);
        }
        let response = request.send().await.unwrap();
        if response.status() != StatusCode::OK {
            return Err(decode(response).await);
        }
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/event-stream")
        );
        Ok(Events {
            response,
            buffer: String::new(),
        })
    }

    /// The next event, or `None` once the server has closed the stream. Fails the test if
    /// neither comes within the safety net.
    async fn next(&mut self) -> Option<Event> {
        within("the next event or the end of the stream", self.read_event()).await
    }

    async fn read_event(&mut self) -> Option<Event> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let (mut name, mut id, mut data) = (String::new(), String::new(), String::new());
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        name = v.trim().to_string();
                    } else if let Some(v) = line.strip_prefix("id:") {
                        id = v.trim().to_string();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim());
                    }
                }
                if name.is_empty() {
                    continue; // a heartbeat comment
                }
                return Some(Event {
                    name,
                    id,
                    data: serde_json::from_str(&data).unwrap(),
                });
            }
            match self
                .response
                .chunk()
                .await
                .expect("the stream reads cleanly")
            {
                Some(chunk) => self.buffer.push_str(&String::from_utf8_lossy(&chunk)),
                None => {
                    assert!(
                        self.buffer.trim().is_empty(),
                        "cut short: {:?}",
                        self.buffer
                    );
                    return None;
                }
            }
        }
    }
}

#[tokio::test]
async fn the_stream_sends_what_poll_would_and_resumes_without_repeats() {
    let app = TestApp::spawn().await;
    let (token, mine) = chat_with_message(&app, "u1", "chat_sse").await;
    let (_, agent) = app.agent("sarah@example.com", "chat_admin").await;

    let mut events = Events::open(&app, &token, "chat_sse", None).await.unwrap();
    let welcome = events.next().await.unwrap();
    assert_eq!(
        (welcome.name.as_str(), welcome.data["sender"].as_str()),
        ("message", Some("system"))
    );
    let own = events.next().await.unwrap();
    assert_eq!(own.data["messageId"], mine.as_str());

    app.agent_reply(&agent, "chat_sse", "live answer").await;
    let reply = events.next().await.unwrap();
    assert_eq!(reply.data["message"], "live answer");
    assert_eq!(reply.data["adminInfo"]["name"], "sarah");
    // The event carries the very object a poll returns for that message: same keys, same values.
    let poll = app.get_ok("/api/chat/poll/chat_sse", &token).await;
    let polled = poll["data"]["messages"]
        .as_array()
        .expect("poll lists messages")
        .iter()
        .find(|m| m["messageId"] == reply.data["messageId"])
        .cloned()
        .expect("the reply is in the poll");
    assert_eq!(reply.data, polled, "stream and poll send one message shape");

    app.post_ok(
        "/api/admin/chat/typing",
        &agent,
        json!({ "sessionId": "chat_sse", "isTyping": true }),
    )
    .await;
    let typing = events.next().await.unwrap();
    assert_eq!(
        (typing.name.as_str(), &typing.data),
        ("typing", &json!({ "agentTyping": true }))
    );

    // The agent opens the chat: the user's messages are read.
    app.get_ok("/api/admin/chat/session/chat_sse", &agent).await;
    let read = events.next().await.unwrap();
    assert_eq!(
        (read.name.as_str(), &read.data["upTo"]),
        ("read", &json!(mine))
    );
    let resume_from = read.id.clone();
    drop(events);

    // While disconnected: two answers and the end.
    app.agent_reply(&agent, "chat_sse", "missed one").await;
    app.agent_reply(&agent, "chat_sse", "missed two").await;
    app.post_ok(
        "/api/admin/chat/session/end",
        &agent,
        json!({ "sessionId": "chat_sse", "endReason": "done" }),
    )
    .await;

    let mut events = Events::open(&app, &token, "chat_sse", Some(&resume_from))
        .await
        .unwrap();
    let mut got = Vec::new();
    // After the end the server closes the stream, which ends this loop.
    while let Some(e) = events.next().await {
        got.push(e);
    }
    let summary: Vec<(String, Value)> = got
        .iter()
        .map(|e| {
            (
                e.name.clone(),
                e.data
                    .get("message")
                    .cloned()
                    .unwrap_or(e.data["sessionStatus"].clone()),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("message".to_string(), json!("missed one")),
            ("message".to_string(), json!("missed two")),
            ("ended".to_string(), json!("ended_by_admin")),
        ],
        "exactly what was missed, once, in order"
    );
    assert_eq!(got[2].data["endReason"], "done");
    // Resuming after the end sends nothing more: the stream closes without an event.
    let mut after_end = Events::open(&app, &token, "chat_sse", Some(&got[2].id))
        .await
        .unwrap();
    assert_eq!(after_end.next().await, None);
}

#[tokio::test]
async fn the_stream_refuses_strangers_and_bad_cursors() {
    let app = TestApp::spawn().await;
    let (token, _) = chat_with_message(&app, "u1", "chat_sse2").await;
    let (status, body) = Events::open(&app, &app.user_token("mallory"), "chat_sse2", None)
        .await
        .err()
        .unwrap();
    assert_error(status, &body, 404, "SESSION_NOT_FOUND");
    let (status, body) = Events::open(&app, &token, "chat_sse2", Some("garbage"))
        .await
        .err()
        .unwrap();
    assert_error(status, &body, 400, "INVALID_CURSOR");
    let (status, body) = Events::open(&app, &token, "chat_none", None)
        .await
        .err()
        .unwrap();
    assert_error(status, &body, 404, "SESSION_NOT_FOUND");
}
