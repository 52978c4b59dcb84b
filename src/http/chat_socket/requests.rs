//! The client's frames once the socket is authenticated: each gets exactly one answer, an
//! `ack` or an `error`, from the same service functions as the HTTP endpoints (so the same
//! rate limits, length limits, idempotency and commit-before-answer hold).

use serde_json::Value;

use super::frames::{
    AuthenticateFrame, ClientFrame, ReadFrame, SendFrame, ServerFrame, TypingFrame,
};
use crate::auth::UserPrincipal;
use crate::domain::attachment::parse_message_attachments;
use crate::domain::{ClientTimestamp, MessageId, MessageText, SessionId};
use crate::error::{Error, Result};
use crate::http::api::answers::{Nothing, ReadAnswer, SendAnswer};
use crate::http::extract::{AppState, required};
use crate::service::chat::{self, UserSend};
use crate::service::{receipts, typing};

/// The answer frame (as text) to one client text frame.
pub async fn answer(ctx: &AppState, user: &UserPrincipal, session_id: &str, text: &str) -> String {
    let frame = match ClientFrame::parse(text) {
        Ok(frame) => frame,
        Err(bad) => {
            return ServerFrame::error(bad.kind.as_deref(), bad.request_id, bad.error).to_text();
        }
    };
    let kind = frame.kind.clone();
    let request_id = frame.request_id.clone();
    let outcome = match kind.as_str() {
        "send_message" => send_message(ctx, user, session_id, frame).await,
        "typing" => typing(ctx, user, session_id, frame).await,
        "read" => read(ctx, user, session_id, frame).await,
        "authenticate" => authenticate_again(ctx, user, session_id, frame),
        "ping" => return ServerFrame::Pong {}.to_text(),
        _ => Err(Error::validation(
            "type",
            "type must be send_message, typing, read, authenticate or ping",
        )),
    };
    match outcome {
        Ok((message, data)) => ServerFrame::ack(&kind, request_id, message, data).to_text(),
        Err(error) => ServerFrame::error(Some(&kind), request_id, error).to_text(),
    }
}

type Answered = Result<(&'static str, Value)>;

fn data(value: impl serde::Serialize) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// A frame may name the chat; it must be the socket's (the socket carries one chat).
fn same_session(socket_session: &str, named: Option<&str>) -> Result<SessionId> {
    match named {
        Some(named) if named != socket_session => Err(Error::validation(
            "sessionId",
            "sessionId must be this socket's chat (or left out)",
        )),
        _ => SessionId::parse(socket_session),
    }
}

async fn send_message(
    ctx: &AppState,
    user: &UserPrincipal,
    session_id: &str,
    frame: ClientFrame,
) -> Answered {
    let body: SendFrame = frame.fields()?;
    let session_id = same_session(session_id, body.session_id.as_deref())?;
    let message_id = body
        .message_id
        .as_deref()
        .map(MessageId::parse)
        .transpose()?;
    let text =
        MessageText::parse_optional(body.message.as_deref(), ctx.settings.max_message_length)?;
    let attachments = parse_message_attachments(&body.attachments.unwrap_or_default())?;
    let client_timestamp = ClientTimestamp::parse_optional("timestamp", body.timestamp.as_deref())?;
    match body.message_type.as_deref() {
        None | Some("text") => {}
        Some(_) => {
            return Err(Error::validation(
                "messageType",
                "messageType must be \"text\"",
            ));
        }
    }
    // Answered only once the service returns, that is after the commit.
    let sent = chat::send_user_message(
        ctx,
        user,
        UserSend {
            session_id,
            message_id,
            text,
            attachments,
            client_timestamp,
        },
    )
    .await?;
    Ok((
        "Message sent successfully",
        data(SendAnswer::of(sent.message, sent.duplicate)),
    ))
}

async fn typing(
    ctx: &AppState,
    user: &UserPrincipal,
    session_id: &str,
    frame: ClientFrame,
) -> Answered {
    let body: TypingFrame = frame.fields()?;
    let session_id = same_session(session_id, body.session_id.as_deref())?;
    let is_typing = required("isTyping", body.is_typing)?;
    typing::user_typing(ctx, user, &session_id, is_typing).await?;
    Ok(("Typing state updated", data(Nothing {})))
}

async fn read(
    ctx: &AppState,
    user: &UserPrincipal,
    session_id: &str,
    frame: ClientFrame,
) -> Answered {
    let body: ReadFrame = frame.fields()?;
    let session_id = same_session(session_id, body.session_id.as_deref())?;
    let up_to = MessageId::parse(&required("upTo", body.up_to)?)
        .map_err(|_| Error::validation("upTo", "upTo must be a message id"))?;
    let read_count = receipts::user_read(ctx, user, session_id, up_to).await?;
    Ok(("Messages marked as read", data(ReadAnswer { read_count })))
}

/// A second authenticate frame (a client that sent the header and the frame both): acked when
/// its token is valid and names the same caller; the socket's caller never changes.
fn authenticate_again(
    ctx: &AppState,
    user: &UserPrincipal,
    session_id: &str,
    frame: ClientFrame,
) -> Answered {
    let body: AuthenticateFrame = frame.fields()?;
    same_session(session_id, body.session_id.as_deref())?;
    let token = required("token", body.token)?;
    let again = ctx.user_tokens.verify(token.trim())?;
    if again.owner() != user.owner() {
        return Err(Error::Forbidden(
            "This socket is already authenticated as another caller",
        ));
    }
    Ok((
        "Already authenticated",
        serde_json::json!({ "sessionId": session_id }),
    ))
}
