//! A file an export hands over, as an HTTP answer: its media type, its name (saved, or shown
//! inline for the printable page), and a Content-Security-Policy that lets nothing in it load
//! or run (the printable page's own style block aside, allowed by its hash).

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::files::content_disposition;
use crate::service::export::Download;

/// For files that are not pages: nothing loads, nothing runs.
const INERT: &str = "default-src 'none'; frame-ancestors 'none'; sandbox";

pub fn download(file: Download) -> Response {
    let policy = match file.style_sha256 {
        Some(hash) => format!(
            "default-src 'none'; style-src 'sha256-{hash}'; base-uri 'none'; \
             form-action 'none'; frame-ancestors 'none'"
        ),
        None => INERT.to_string(),
    };
    let mut response = file.body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(file.media_type),
    );
    if let Ok(value) = HeaderValue::from_str(&content_disposition(&file.file_name, file.inline)) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    if let Ok(value) = HeaderValue::from_str(&policy) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
