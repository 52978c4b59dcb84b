//! The client API (SPEC.md section 4): what phones and the website widget call.

mod chat;
mod stream;
pub mod views;

use axum::Router;
use axum::routing::{get, post};

use super::extract::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/chat/session", post(chat::start_session))
        .route("/api/chat/message", post(chat::send_message))
        .route("/api/chat/poll/{session_id}", get(chat::poll))
        .route("/api/chat/messages/{session_id}", get(chat::messages))
        .route("/api/chat/session/end", post(chat::end_session))
        .route("/api/chat/rating", post(chat::rate))
        .route("/api/chat/history", get(chat::history))
        .route("/api/chat/personas", get(chat::personas))
        .route("/api/chat/typing", post(chat::typing))
        .route("/api/chat/read", post(chat::read))
        .route("/api/chat/stream/{session_id}", get(stream::stream))
}
