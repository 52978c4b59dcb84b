//! What travels on the chat WebSocket: the client's frames, parsed with the HTTP bodies'
//! field names and the same domain parsers, and the server's frames, built from the same
//! answer structs as poll and SSE.

use serde::Deserialize;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::domain::{SessionStatus, Timestamp};
use crate::error::Error;
use crate::http::api::answers::ClientMessage;
use crate::http::envelope::{ApiError, ErrorObject};

/// `authenticate`: the first frame of a client that sent no `Authorization` header.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticateFrame {
    pub session_id: Option<String>,
    pub token: Option<String>,
}

/// `send_message`: the fields of `POST /api/chat/message` (`sessionId` may be left out: the
/// socket's chat).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SendFrame {
    pub session_id: Option<String>,
    pub message_id: Option<String>,
    pub message: Option<String>,
    pub timestamp: Option<String>,
    pub message_type: Option<String>,
    pub attachments: Option<Vec<String>>,
}

/// `typing`: the fields of `POST /api/chat/typing`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TypingFrame {
    pub session_id: Option<String>,
    pub is_typing: Option<bool>,
}

/// `read`: the fields of `POST /api/chat/read`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadFrame {
    pub session_id: Option<String>,
    pub up_to: Option<String>,
}

/// A client frame: its `type`, the `requestId` to echo (any JSON value the client chose),
/// and the whole object for the type's own fields.
pub struct ClientFrame {
    pub kind: String,
    pub request_id: Option<Value>,
    fields: Map<String, Value>,
}

/// A frame that could not be read, with its `requestId` when that could be, for the answer.
pub struct Unreadable {
    pub kind: Option<String>,
    pub request_id: Option<Value>,
    pub error: Error,
}

impl ClientFrame {
    /// Parses a text frame: one JSON object with a string `type`.
    pub fn parse(text: &str) -> Result<ClientFrame, Box<Unreadable>> {
        let unreadable = |error| {
            Box::new(Unreadable {
                kind: None,
                request_id: None,
                error,
            })
        };
        let value: Value = serde_json::from_str(text)
            .map_err(|_| unreadable(Error::validation("frame", "The frame is not valid JSON")))?;
        let Value::Object(mut fields) = value else {
            return Err(unreadable(Error::validation(
                "frame",
                "The frame must be a JSON object",
            )));
        };
        let request_id = fields.remove("requestId");
        match fields.remove("type") {
            Some(Value::String(kind)) => Ok(ClientFrame {
                kind,
                request_id,
                fields,
            }),
            _ => Err(Box::new(Unreadable {
                kind: None,
                request_id,
                error: Error::validation("type", "type is required and must be a string"),
            })),
        }
    }

    /// The type's fields; a field of the wrong JSON type is a validation error naming it.
    pub fn fields<T: DeserializeOwned>(self) -> Result<T, Error> {
        serde_path_to_error::deserialize(Value::Object(self.fields)).map_err(|e| {
            let field = field_name(&e.path().to_string());
            Error::validation(field, format!("{field} has the wrong type"))
        })
    }
}

/// The frame fields, by name as the error names them (`frame` when the path is none of them).
const FIELDS: [&str; 9] = [
    "sessionId",
    "messageId",
    "message",
    "timestamp",
    "messageType",
    "attachments",
    "isTyping",
    "upTo",
    "token",
];

fn field_name(path: &str) -> &'static str {
    FIELDS
        .iter()
        .find(|f| path == **f || path.starts_with(&format!("{f}[")))
        .copied()
        .unwrap_or("frame")
}

/// What the server sends. Payloads are the same structs as poll and SSE answers.
#[derive(Serialize)]
#[serde(
    tag = "type",
    rename_all = "snake_case",
    rename_all_fields = "camelCase"
)]
pub enum ServerFrame<'a> {
    /// The socket is bound to the chat; replay and live events follow.
    Authenticated {
        session_id: &'a str,
    },
    NewMessage {
        message: ClientMessage,
    },
    Typing {
        agent_typing: bool,
    },
    Read {
        up_to: String,
    },
    SessionEnded {
        session_status: SessionStatus,
        end_reason: Option<String>,
    },
    /// The answer to a client frame that succeeded: the envelope's `success`, `message` and
    /// `data`.
    Ack {
        request_type: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        request_id: Option<Value>,
        success: bool,
        message: &'a str,
        data: Value,
    },
    /// The answer to a client frame that failed: the envelope's error.
    Error {
        #[serde(skip_serializing_if = "Option::is_none")]
        request_type: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        request_id: Option<Value>,
        success: bool,
        message: String,
        error: ErrorObject,
        timestamp: Timestamp,
    },
    /// The answer to `{"type": "ping"}` (for clients that cannot send protocol pings).
    Pong {},
}

impl<'a> ServerFrame<'a> {
    pub fn ack(
        request_type: &'a str,
        request_id: Option<Value>,
        message: &'a str,
        data: impl Serialize,
    ) -> Self {
        ServerFrame::Ack {
            request_type,
            request_id,
            success: true,
            message,
            data: serde_json::to_value(data).unwrap_or(Value::Object(Map::new())),
        }
    }

    pub fn error(request_type: Option<&'a str>, request_id: Option<Value>, error: Error) -> Self {
        if let Error::Internal(internal) = &error {
            // No middleware sees a socket's frames: log the cause here, once.
            tracing::error!(error = %internal, "chat socket frame failed");
        }
        Self::api_error(request_type, request_id, ApiError::from(error))
    }

    pub fn api_error(
        request_type: Option<&'a str>,
        request_id: Option<Value>,
        api: ApiError,
    ) -> Self {
        ServerFrame::Error {
            request_type,
            request_id,
            success: false,
            message: api.message.clone(),
            error: ErrorObject {
                code: api.code,
                message: api.message,
                details: *api.details,
            },
            timestamp: Timestamp(chrono::Utc::now().timestamp_millis()),
        }
    }

    /// As text; frames are plain structs of strings and numbers, which always serialise.
    pub fn to_text(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_objects_with_a_string_type() {
        for bad in [
            "",
            "nope",
            "[1,2]",
            "42",
            "\"send_message\"",
            "{}",
            r#"{"type":7}"#,
        ] {
            let err = ClientFrame::parse(bad).err().expect(bad);
            assert!(matches!(err.error, Error::Validation { .. }), "{bad}");
        }
        let frame = ClientFrame::parse(r#"{"type":"read","requestId":3,"upTo":"m1"}"#)
            .ok()
            .unwrap();
        assert_eq!(frame.kind, "read");
        assert_eq!(frame.request_id, Some(Value::from(3)));
        let read: ReadFrame = frame.fields().unwrap();
        assert_eq!(read.up_to.as_deref(), Some("m1"));
    }

    #[test]
    fn a_field_of_the_wrong_type_is_named() {
        let frame = ClientFrame::parse(r#"{"type":"typing","isTyping":"yes"}"#)
            .ok()
            .unwrap();
        match frame.fields::<TypingFrame>() {
            Err(Error::Validation { field, .. }) => assert_eq!(field, "isTyping"),
            _ => panic!("expected a validation error"),
        }
    }

    #[test]
    fn server_frames_name_their_type() {
        let text = ServerFrame::Typing { agent_typing: true }.to_text();
        assert_eq!(text, r#"{"type":"typing","agentTyping":true}"#);
        let text = ServerFrame::error(None, None, Error::SessionNotFound).to_text();
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["type"], "error");
        assert_eq!(value["error"]["code"], "SESSION_NOT_FOUND");
    }
}
