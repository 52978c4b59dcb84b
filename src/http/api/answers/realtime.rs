//! Live signals: the SSE event payloads other than `message`, and the typing and read answers.

use serde::Serialize;
use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};

use super::ClientMessage;
use crate::domain::SessionStatus;

/// SSE `typing`: whether an agent is typing.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TypingEvent {
    pub agent_typing: bool,
}

/// SSE `read`: an agent has read the user's messages up to this one.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReadEvent {
    pub up_to: String,
}

/// SSE `ended`: the chat is over; the stream closes after it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EndedEvent {
    /// Always `true`.
    pub session_ended: bool,
    pub session_status: SessionStatus,
    pub end_reason: Option<String>,
}

/// An answer with nothing to say beyond success: `data` is `{}`.
#[derive(Serialize, ToSchema)]
pub struct Nothing {}

/// `POST /api/chat/read`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReadAnswer {
    pub read_count: usize,
}

/// One server-sent event of `GET /api/chat/stream/{sessionId}`, as the document describes it:
/// `event` names the payload, `id` is the resume cursor, `data` is the payload as JSON.
pub struct StreamEvent;

impl StreamEvent {
    /// The events and their payloads, as `stream.rs` writes them.
    fn variants() -> [(&'static str, RefOr<Schema>); 4] {
        [
            (
                "message",
                Ref::from_schema_name(ClientMessage::name()).into(),
            ),
            ("typing", Ref::from_schema_name(TypingEvent::name()).into()),
            ("read", Ref::from_schema_name(ReadEvent::name()).into()),
            ("ended", Ref::from_schema_name(EndedEvent::name()).into()),
        ]
    }
}

impl PartialSchema for StreamEvent {
    fn schema() -> RefOr<Schema> {
        let text = || ObjectBuilder::new().schema_type(Type::String);
        let mut one_of = OneOfBuilder::new().description(Some(
            "One event: `event` names the payload, `id` resumes after it (`Last-Event-ID`), \
             `data` is the payload as JSON",
        ));
        for (name, payload) in Self::variants() {
            one_of = one_of.item(
                ObjectBuilder::new()
                    .property("event", text().enum_values(Some([name])))
                    .required("event")
                    .property("id", text())
                    .required("id")
                    .property(
                        "data",
                        text()
                            .content_media_type("application/json")
                            .content_schema(Some(payload)),
                    )
                    .required("data"),
            );
        }
        one_of.into()
    }
}

impl ToSchema for StreamEvent {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((ClientMessage::name().into(), ClientMessage::schema()));
        ClientMessage::schemas(schemas);
        schemas.push((TypingEvent::name().into(), TypingEvent::schema()));
        schemas.push((ReadEvent::name().into(), ReadEvent::schema()));
        schemas.push((EndedEvent::name().into(), EndedEvent::schema()));
        EndedEvent::schemas(schemas);
    }
}

/// `POST /api/chat/push-token`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PushTokenAnswer {
    pub registered: bool,
    /// Whether this server sends pushes (a device registered while it is off is kept).
    pub push_enabled: bool,
}
