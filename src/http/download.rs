//! A file an export hands over, as an HTTP answer: its media type, its name (saved, or shown
//! inline for the printable page), and a Content-Security-Policy that lets nothing in it run.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::files::content_disposition;
use crate::service::export::Download;

pub fn download(file: Download) -> Response {
    let mut response = file.body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(file.media_type),
    );
    if let Ok(value) = HeaderValue::from_str(&content_disposition(&file.file_name, file.inline)) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(file.content_policy),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
