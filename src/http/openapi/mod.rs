//! The OpenAPI 3.1 document of the client and admin APIs, generated from the code: paths and
//! operations from each handler's `#[utoipa::path]`, schemas from the answers' and request
//! bodies' `ToSchema` derives. Served as JSON at `GET /api/openapi.json` and as a readable page
//! at `GET /api/docs`, both built once per process (they depend on the code alone).

pub mod document;
mod reference;
mod routes;
pub mod schemas;

use std::sync::OnceLock;

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use utoipa::openapi::OpenApi;

pub use routes::{ApiRouter, ServedRoute, operations};

/// The document and its page, as served.
struct Published {
    json: Bytes,
    page: String,
}

static PUBLISHED: OnceLock<Published> = OnceLock::new();

/// Makes the served document from the paths `ApiRouter` collected (the first call does the
/// work; every router is built from the same code, so later calls have nothing new).
pub fn publish(collected: OpenApi) {
    PUBLISHED.get_or_init(|| {
        let doc = document::assemble(collected);
        let value = serde_json::to_value(&doc).expect("the document serialises");
        Published {
            json: Bytes::from(value.to_string()),
            page: reference::render(&value),
        }
    });
}

fn published() -> &'static Published {
    PUBLISHED
        .get()
        .expect("published when the router was built")
}

/// The routes of this module: the document and its page.
pub fn routes() -> ApiRouter {
    ApiRouter::new()
        .routes(utoipa_axum::routes!(openapi_json))
        .routes(utoipa_axum::routes!(docs_page))
}

/// This document: OpenAPI 3.1, generated from the server's code.
///
/// Not wrapped in the envelope: tools read it as it is.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "reference",
    operation_id = "openapi",
    responses(
        (status = 200, description = "The OpenAPI document", content_type = "application/json",
            body = Object),
    ),
)]
pub async fn openapi_json() -> Response {
    let mut response = published().json.clone().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// No script, no style but the server's own stylesheet, no framing.
const PAGE_POLICY: &str = "default-src 'none'; style-src 'self'; base-uri 'none'; \
    form-action 'none'; frame-ancestors 'none'";

/// The readable reference: every operation with its parameters, bodies and answers.
///
/// Rendered on the server from this document, without scripts or anything from elsewhere.
#[utoipa::path(
    get,
    path = "/api/docs",
    tag = "reference",
    operation_id = "docs",
    responses(
        (status = 200, description = "An HTML page", content_type = "text/html", body = String),
    ),
)]
pub async fn docs_page() -> Response {
    let mut response = axum::response::Html(published().page.clone()).into_response();
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(PAGE_POLICY),
    );
    response
}
