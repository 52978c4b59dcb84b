//! The admin API (SPEC.md section 5): JSON endpoints for agents and integrations. Every
//! handler takes an `AgentAuth`; the permission check is in the service it calls.

pub mod answers;
mod auth;
mod chats;
mod manage;
mod reports;
mod settings;
mod webhooks;

use axum::Router;
use axum::routing::{get, post, put};

use super::extract::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/admin/login", post(auth::login))
        .route("/api/admin/logout", post(auth::logout))
        .route("/api/admin/me", get(auth::me))
        .route("/api/admin/me/status", put(auth::set_status))
        .route(
            "/api/admin/chat/active-sessions",
            get(chats::active_sessions),
        )
        .route(
            "/api/admin/chat/session/{session_id}",
            get(chats::session_detail),
        )
        .route("/api/admin/chat/message", post(chats::send_message))
        .route("/api/admin/chat/typing", post(chats::typing))
        .route("/api/admin/chat/session/assign", post(chats::assign))
        .route("/api/admin/chat/session/release", post(chats::release))
        .route("/api/admin/chat/session/transfer", post(chats::transfer))
        .route("/api/admin/chat/session/end", post(chats::end))
        .route(
            "/api/admin/chat/session/{session_id}/notes",
            post(chats::add_note),
        )
        .route(
            "/api/admin/chat/session/{session_id}/priority",
            put(chats::set_priority),
        )
        .route("/api/admin/chat/analytics", get(reports::analytics))
        .route("/api/admin/chat/reports", get(reports::reports))
        .route("/api/admin/stats", get(reports::stats))
        .route("/api/admin/audit", get(manage::audit))
        .route(
            "/api/admin/agents",
            get(manage::list_agents).post(manage::create_agent),
        )
        .route(
            "/api/admin/agents/{id}",
            get(manage::get_agent)
                .put(manage::update_agent)
                .delete(manage::disable_agent),
        )
        .route(
            "/api/admin/personas",
            get(manage::list_personas).post(manage::create_persona),
        )
        .route(
            "/api/admin/personas/{id}",
            get(manage::get_persona)
                .put(manage::update_persona)
                .delete(manage::delete_persona),
        )
        .route(
            "/api/admin/canned-responses",
            get(manage::list_canned).post(manage::create_canned),
        )
        .route(
            "/api/admin/canned-responses/{id}",
            get(manage::get_canned)
                .put(manage::update_canned)
                .delete(manage::delete_canned),
        )
        .route(
            "/api/admin/settings/hours",
            get(settings::get_hours).put(settings::put_hours),
        )
        .route(
            "/api/admin/webhooks",
            get(webhooks::list).post(webhooks::create),
        )
        .route(
            "/api/admin/webhooks/{id}",
            get(webhooks::get)
                .put(webhooks::update)
                .patch(webhooks::update)
                .delete(webhooks::delete),
        )
        .route(
            "/api/admin/webhooks/{id}/rotate-secret",
            post(webhooks::rotate_secret),
        )
        .route(
            "/api/admin/webhooks/{id}/deliveries",
            get(webhooks::deliveries),
        )
        .route(
            "/api/admin/webhooks/{id}/deliveries/{delivery_id}/redeliver",
            post(webhooks::redeliver),
        )
}
