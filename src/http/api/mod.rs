//! The client API (SPEC.md section 4): what phones and the website widget call.

pub mod answers;
mod availability;
mod ending;
mod erasure;
mod me;
mod messages;
mod offline;
mod session;
mod signals;
mod stream;

use utoipa_axum::routes;

use super::openapi::ApiRouter;

/// Each route's path and method come from its handler's `#[utoipa::path]`.
pub fn routes() -> ApiRouter {
    ApiRouter::new()
        .routes(routes!(session::start_session))
        .routes(routes!(messages::send_message))
        .routes(routes!(messages::poll))
        .routes(routes!(messages::messages))
        .routes(routes!(ending::end_session))
        .routes(routes!(ending::rate))
        .routes(routes!(ending::email_transcript))
        .routes(routes!(session::history))
        .routes(routes!(session::personas))
        .routes(routes!(signals::typing))
        .routes(routes!(signals::read))
        .routes(routes!(signals::push_token))
        .routes(routes!(stream::stream))
        .routes(routes!(offline::leave_message))
        .routes(routes!(availability::availability))
        .routes(routes!(me::export_me))
        .routes(routes!(erasure::erase_me))
}
