//! The dashboard: server-rendered pages under /admin.

use axum::Router;

use super::extract::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
}
