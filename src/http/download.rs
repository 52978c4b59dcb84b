//! A file an export hands over, as an HTTP answer: its media type, its name (saved, or shown
//! inline for the printable page), and a Content-Security-Policy that lets nothing in it load
//! or run (the printable page's own style block aside, allowed by its hash).

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

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

/// `attachment; filename="a.pdf"; filename*=UTF-8''a.pdf`: an ASCII fallback plus the exact
/// name percent-encoded (RFC 6266), so no name can break out of the header.
pub(crate) fn content_disposition(name: &str, inline: bool) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let kind = if inline { "inline" } else { "attachment" };
    format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::content_disposition;

    #[test]
    fn names_cannot_break_out_of_the_header() {
        assert_eq!(
            content_disposition("a b.pdf", false),
            "attachment; filename=\"a b.pdf\"; filename*=UTF-8''a%20b.pdf"
        );
        let hostile = content_disposition("x\";\r\nSet-Cookie: a=b.pdf", false);
        assert!(!hostile.contains('\r') && !hostile.contains('\n'));
        assert!(hostile.starts_with("attachment; filename=\"x_;__Set-Cookie: a=b.pdf\""));
        assert!(content_disposition("föto.png", true).contains("filename*=UTF-8''f%C3%B6to.png"));
    }
}
