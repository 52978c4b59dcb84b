//! The website channel's own pages (SPEC.md section 8): `/widget.js`, the script a business
//! puts on its site; `/widget/frame`, the chat panel loaded into an iframe on the first click;
//! `/widget/demo`, a sample shop page with the widget on it.

mod demo;
mod frame;

use axum::Router;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;

use super::assets::{self, CachePolicy};
use super::extract::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/widget.js", get(widget_js))
        .route("/widget/frame", get(frame::frame))
        .route("/widget/demo", get(demo::demo))
        .layer(assets::compression())
}

/// Loaded from other sites by a plain `<script src>`, which needs no CORS headers. Its URL
/// has no version in it, so it is kept only briefly.
async fn widget_js(headers: HeaderMap) -> Response {
    assets::serve_embedded("widget/widget.js", CachePolicy::Short, &headers)
}
