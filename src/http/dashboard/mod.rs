//! The dashboard: server-rendered pages under /admin (askama templates compiled into the
//! binary, htmx for live updates). Pages call the same service functions as the admin API.
//! Every response carries a strict Content-Security-Policy: scripts and styles only from this
//! server, no inline script or style, no framing (a transcript download carries a stricter one).

mod analytics_page;
mod auth_pages;
mod charts;
mod chat;
mod error;
mod events;
mod form;
mod hypermedia;
mod manage;
mod queue_page;
mod search_page;
mod session;
mod views;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use tower_http::set_header::SetResponseHeaderLayer;

use super::extract::AppState;
use crate::domain::export::TranscriptFormat;
use hypermedia::{ChatUrl, DeliveryUrl, ItemUrl, Url};

pub use error::PageError;
pub use session::agent_from_cookie;

const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data: https:; connect-src 'self'; font-src 'self'; object-src 'none'; \
    base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

pub fn routes(ctx: AppState) -> Router<AppState> {
    let mut pages = Router::new()
        .route(Url::Root.as_str(), get(auth_pages::root))
        .route("/admin/", get(auth_pages::root))
        .route(
            Url::Login.as_str(),
            get(auth_pages::login_page).post(auth_pages::login),
        )
        .route(Url::Logout.as_str(), post(auth_pages::logout))
        .route(
            Url::Setup.as_str(),
            get(auth_pages::setup_page).post(auth_pages::setup),
        )
        .route(Url::Queue.as_str(), get(queue_page::page))
        .route(Url::QueueRows.as_str(), get(queue_page::rows))
        .route(Url::QueueEvents.as_str(), get(events::queue_events))
        .route(&ChatUrl::Page.route(), get(chat::page))
        .route(&ChatUrl::Transcript.route(), get(chat::transcript_partial))
        .route(&ChatUrl::Details.route(), get(chat::details_partial))
        .route(
            &ChatUrl::Typing.route(),
            get(chat::typing_partial).post(chat::agent_typing),
        )
        .route(&ChatUrl::Events.route(), get(events::chat_events))
        .route(&ChatUrl::Reply.route(), post(chat::reply))
        .route(
            &ChatUrl::Attachments.route(),
            post(chat::upload).layer(crate::http::uploads::upload_body_limit(&ctx)),
        )
        .route(&ChatUrl::Assign.route(), post(chat::assign))
        .route(&ChatUrl::Release.route(), post(chat::release))
        .route(&ChatUrl::Transfer.route(), post(chat::transfer))
        .route(&ChatUrl::End.route(), post(chat::end))
        .route(&ChatUrl::Priority.route(), post(chat::priority))
        .route(&ChatUrl::Notes.route(), post(chat::add_note))
        .route(&ChatUrl::Labels.route(), post(chat::change_label))
        .route(Url::Analytics.as_str(), get(analytics_page::page))
        .route(Url::Search.as_str(), get(search_page::page))
        .route(Url::AnalyticsCsv.as_str(), get(analytics_page::csv))
        .route(
            Url::Agents.as_str(),
            get(manage::agents::page).post(manage::agents::create),
        )
        .route(&ItemUrl::Agent.route(), post(manage::agents::update))
        .route(
            &ItemUrl::DisableAgent.route(),
            post(manage::agents::disable),
        )
        .route(
            Url::Personas.as_str(),
            get(manage::personas::page).post(manage::personas::create),
        )
        .route(&ItemUrl::Persona.route(), post(manage::personas::update))
        .route(
            &ItemUrl::DeletePersona.route(),
            post(manage::personas::delete),
        )
        .route(
            Url::Canned.as_str(),
            get(manage::canned::page).post(manage::canned::create),
        )
        .route(&ItemUrl::Canned.route(), post(manage::canned::update))
        .route(&ItemUrl::DeleteCanned.route(), post(manage::canned::delete))
        .route(
            Url::Labels.as_str(),
            get(manage::labels::page).post(manage::labels::create),
        )
        .route(&ItemUrl::Label.route(), post(manage::labels::update))
        .route(&ItemUrl::DeleteLabel.route(), post(manage::labels::delete))
        .route(Url::Audit.as_str(), get(manage::audit::page))
        .route(
            Url::Hours.as_str(),
            get(manage::hours::page).post(manage::hours::save),
        )
        .route(
            Url::Broadcast.as_str(),
            get(manage::broadcast::page).post(manage::broadcast::send),
        )
        .route(
            Url::Webhooks.as_str(),
            get(manage::webhooks::page).post(manage::webhooks::create),
        )
        .route(&ItemUrl::Webhook.route(), post(manage::webhooks::update))
        .route(
            &ItemUrl::RotateWebhookSecret.route(),
            post(manage::webhooks::rotate_secret),
        )
        .route(
            &ItemUrl::DeleteWebhook.route(),
            post(manage::webhooks::delete),
        )
        .route(
            &ItemUrl::WebhookDeliveries.route(),
            get(manage::webhook_deliveries::page),
        )
        .route(
            &DeliveryUrl::Redeliver.route(),
            post(manage::webhook_deliveries::redeliver),
        )
        .route("/admin/{*rest}", get(not_found).post(not_found));
    for format in TranscriptFormat::ALL {
        pages = pages.route(&ChatUrl::Export(format).route(), chat::export_route(format));
    }
    pages
        .layer(middleware::from_fn_with_state(ctx, session::csrf_guard))
        .layer(middleware::from_fn(session::sign_in_for_scripts))
        // A download sets a stricter policy of its own (nothing runs, nothing loads).
        .layer(SetResponseHeaderLayer::if_not_present(
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
