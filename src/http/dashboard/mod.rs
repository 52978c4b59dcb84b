//! The dashboard: server-rendered pages under /admin (askama templates compiled into the
//! binary, htmx for live updates). Pages call the same service functions as the admin API.
//! Every response carries a strict Content-Security-Policy: scripts and styles only from this
//! server, no inline script or style, no framing.

mod analytics_page;
mod auth_pages;
mod charts;
mod chat_page;
mod error;
mod events;
mod form;
mod manage_pages;
mod queue_page;
mod session;
mod views;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use tower_http::set_header::SetResponseHeaderLayer;

use super::extract::AppState;

pub use error::PageError;

const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data: https:; connect-src 'self'; font-src 'self'; object-src 'none'; \
    base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

pub fn routes(ctx: AppState) -> Router<AppState> {
    let pages = Router::new()
        .route("/admin", get(auth_pages::root))
        .route("/admin/", get(auth_pages::root))
        .route(
            "/admin/login",
            get(auth_pages::login_page).post(auth_pages::login),
        )
        .route("/admin/logout", post(auth_pages::logout))
        .route(
            "/admin/setup",
            get(auth_pages::setup_page).post(auth_pages::setup),
        )
        .route("/admin/queue", get(queue_page::page))
        .route("/admin/queue/rows", get(queue_page::rows))
        .route("/admin/events", get(events::queue_events))
        .route("/admin/chats/{id}", get(chat_page::page))
        .route(
            "/admin/chats/{id}/transcript",
            get(chat_page::transcript_partial),
        )
        .route("/admin/chats/{id}/details", get(chat_page::details_partial))
        .route(
            "/admin/chats/{id}/typing",
            get(chat_page::typing_partial).post(chat_page::agent_typing),
        )
        .route("/admin/chats/{id}/events", get(events::chat_events))
        .route("/admin/chats/{id}/reply", post(chat_page::reply))
        .route("/admin/chats/{id}/assign", post(chat_page::assign))
        .route("/admin/chats/{id}/release", post(chat_page::release))
        .route("/admin/chats/{id}/transfer", post(chat_page::transfer))
        .route("/admin/chats/{id}/end", post(chat_page::end))
        .route("/admin/chats/{id}/priority", post(chat_page::priority))
        .route("/admin/chats/{id}/notes", post(chat_page::add_note))
        .route("/admin/analytics", get(analytics_page::page))
        .route("/admin/analytics.csv", get(analytics_page::csv))
        .route(
            "/admin/agents",
            get(manage_pages::agents).post(manage_pages::create_agent),
        )
        .route("/admin/agents/{id}", post(manage_pages::update_agent))
        .route(
            "/admin/agents/{id}/disable",
            post(manage_pages::disable_agent),
        )
        .route(
            "/admin/personas",
            get(manage_pages::personas_list).post(manage_pages::create_persona),
        )
        .route("/admin/personas/{id}", post(manage_pages::update_persona))
        .route(
            "/admin/personas/{id}/delete",
            post(manage_pages::delete_persona),
        )
        .route(
            "/admin/canned",
            get(manage_pages::canned_list).post(manage_pages::create_canned),
        )
        .route("/admin/canned/{id}", post(manage_pages::update_canned))
        .route(
            "/admin/canned/{id}/delete",
            post(manage_pages::delete_canned),
        )
        .route("/admin/audit", get(manage_pages::audit))
        .route("/admin/{*rest}", get(not_found).post(not_found));
    pages
        .layer(middleware::from_fn_with_state(ctx, session::csrf_guard))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        ))
}

async fn not_found() -> impl IntoResponse {
    PageError::NotFound("There is no such page.".into())
}
