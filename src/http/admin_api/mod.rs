//! The admin API (SPEC.md section 5): JSON endpoints for agents and integrations. Every
//! handler takes an `AgentAuth`; the permission check is in the service it calls.

pub mod answers;
mod auth;
mod chats;
mod content;
mod erasure;
mod exports;
mod labels;
mod manage;
mod reports;
mod search;
mod settings;
mod webhooks;

use utoipa_axum::routes;

use super::openapi::ApiRouter;

/// Each route's path and methods come from its handlers' `#[utoipa::path]`; one `routes!`
/// per path.
pub fn routes() -> ApiRouter {
    ApiRouter::new()
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::me))
        .routes(routes!(auth::set_status))
        .routes(routes!(chats::active_sessions))
        .routes(routes!(chats::session_detail))
        .routes(routes!(chats::send_message))
        .routes(routes!(chats::broadcast))
        .routes(routes!(chats::typing))
        .routes(routes!(chats::assign))
        .routes(routes!(chats::release))
        .routes(routes!(chats::transfer))
        .routes(routes!(chats::end))
        .routes(routes!(chats::add_note))
        .routes(routes!(chats::set_priority))
        .routes(routes!(labels::add_to_chat, labels::remove_from_chat))
        .routes(routes!(search::search))
        .routes(routes!(exports::export_chat))
        .routes(routes!(exports::export_user))
        .routes(routes!(reports::analytics))
        .routes(routes!(reports::reports))
        .routes(routes!(reports::stats))
        .routes(routes!(manage::audit))
        .routes(routes!(manage::list_agents, manage::create_agent))
        .routes(routes!(
            manage::get_agent,
            manage::update_agent,
            manage::disable_agent
        ))
        .routes(routes!(content::list_personas, content::create_persona))
        .routes(routes!(
            content::get_persona,
            content::update_persona,
            content::delete_persona
        ))
        .routes(routes!(content::list_canned, content::create_canned))
        .routes(routes!(
            content::get_canned,
            content::update_canned,
            content::delete_canned
        ))
        .routes(routes!(labels::list, labels::create))
        .routes(routes!(labels::get, labels::update, labels::delete))
        .routes(routes!(settings::get_hours, settings::put_hours))
        .routes(routes!(webhooks::list, webhooks::create))
        .routes(routes!(webhooks::get, webhooks::update, webhooks::delete))
        .routes(routes!(webhooks::rotate_secret))
        .routes(routes!(webhooks::deliveries))
        .routes(routes!(webhooks::redeliver))
        .routes(routes!(erasure::erase_person))
}
