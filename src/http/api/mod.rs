//! The client API (SPEC.md section 4): what phones and the website widget call.

pub mod answers;
mod availability;
mod ending;
mod messages;
mod offline;
mod session;
mod signals;
mod stream;

use axum::Router;
use axum::routing::{get, post};

use super::extract::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/chat/session", post(session::start_session))
        .route("/api/chat/message", post(messages::send_message))
        .route("/api/chat/poll/{session_id}", get(messages::poll))
        .route("/api/chat/messages/{session_id}", get(messages::messages))
        .route("/api/chat/session/end", post(ending::end_session))
        .route("/api/chat/rating", post(ending::rate))
        .route("/api/chat/transcript", post(ending::email_transcript))
        .route("/api/chat/history", get(session::history))
        .route("/api/chat/personas", get(session::personas))
        .route("/api/chat/typing", post(signals::typing))
        .route("/api/chat/read", post(signals::read))
        .route("/api/chat/push-token", post(signals::push_token))
        .route("/api/chat/stream/{session_id}", get(stream::stream))
        .route("/api/chat/offline", post(offline::leave_message))
        .route("/api/chat/availability", get(availability::availability))
}
