//! Static files (htmx, its SSE extension, CSS, the dashboard script, the website widget)
//! embedded in the binary, answered with a validator (ETag, 304 on a match), cache headers and
//! gzip or brotli when the client takes it.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::LazyLock;

use axum::Router;
use axum::extract::{Path, Query};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rust_embed::RustEmbed;
use serde::Deserialize;
use tower_http::compression::CompressionLayer;

use super::extract::AppState;

#[derive(RustEmbed)]
#[folder = "static/"]
struct StaticFiles;

/// How long a client may keep a file without asking again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CachePolicy {
    /// A URL whose content never changes (it names the content's hash): a year.
    Immutable,
    /// A URL that stays the same across upgrades: an hour.
    Hour,
    /// A URL embedded in other people's pages with no version in it (`/widget.js`): five
    /// minutes, so an upgrade reaches visitors soon; the ETag makes the re-check cheap.
    Short,
}

impl CachePolicy {
    fn header(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            CachePolicy::Immutable => "public, max-age=31536000, immutable",
            CachePolicy::Hour => "public, max-age=3600",
            CachePolicy::Short => "public, max-age=300",
        })
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/static/{*path}", get(serve))
        .layer(compression())
}

/// gzip or brotli as the client asks; only for the routes that serve files and pages, never
/// for the event streams (the layer would buffer them).
pub fn compression() -> CompressionLayer {
    CompressionLayer::new().gzip(true).br(true)
}

#[derive(Deserialize)]
struct Version {
    v: Option<String>,
}

async fn serve(
    Path(path): Path<String>,
    Query(version): Query<Version>,
    headers: HeaderMap,
) -> Response {
    // `?v=<hash>` names the content: such a URL can be kept for good, as long as it is the
    // current content's hash (an old page asking for an old version gets the hour).
    let policy = match (version.v, version_of(&path)) {
        (Some(asked), Some(current)) if asked.as_str() == current => CachePolicy::Immutable,
        _ => CachePolicy::Hour,
    };
    serve_embedded(&path, policy, &headers)
}

/// What is worked out once per embedded file: its validator, its version for URLs, its type.
struct Entry {
    data: Cow<'static, [u8]>,
    etag: HeaderValue,
    version: String,
    mime: Option<HeaderValue>,
}

/// Every embedded file by path, hashed and typed once: the files change only with the binary.
static INDEX: LazyLock<HashMap<String, Entry>> = LazyLock::new(|| {
    StaticFiles::iter()
        .filter_map(|path| {
            let file = StaticFiles::get(&path)?;
            let hash = file.metadata.sha256_hash();
            let entry = Entry {
                etag: HeaderValue::from_str(&format!("W/\"{}\"", hex(&hash[..16]))).ok()?,
                version: hex(&hash[..8]),
                mime: HeaderValue::from_str(file.metadata.mimetype()).ok(),
                data: file.data,
            };
            Some((path.into_owned(), entry))
        })
        .collect()
});

/// The embedded file at `path` (relative to static/), or a 404. The ETag is weak, because the
/// compression layer sends the same file in several encodings under one validator; a weak
/// match is all `If-None-Match` needs.
pub fn serve_embedded(path: &str, policy: CachePolicy, request: &HeaderMap) -> Response {
    let Some(entry) = INDEX.get(path) else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    let mut response = if matches_etag(request, &entry.etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut response = entry.data.clone().into_response();
        if let Some(mime) = &entry.mime {
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, mime.clone());
        }
        response
    };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, policy.header());
    headers.insert(header::ETAG, entry.etag.clone());
    response
}

/// A short name for the current content of `path`, to put in its URL (`?v=`).
pub fn version_of(path: &str) -> Option<&'static str> {
    INDEX.get(path).map(|entry| entry.version.as_str())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `If-None-Match` holds `*` or, weakly compared, this ETag.
fn matches_etag(request: &HeaderMap, etag: &HeaderValue) -> bool {
    let bare = |tag: &str| tag.trim().trim_start_matches("W/").to_string();
    let ours = bare(etag.to_str().unwrap_or_default());
    request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|tag| tag.trim() == "*" || bare(tag) == ours)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asking(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::IF_NONE_MATCH, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn if_none_match_compares_weakly_and_takes_lists_and_star() {
        let etag = HeaderValue::from_static("W/\"abc\"");
        let etag = &etag;
        assert!(matches_etag(&asking("W/\"abc\""), etag));
        assert!(matches_etag(&asking("\"abc\""), etag));
        assert!(matches_etag(&asking("\"x\", W/\"abc\""), etag));
        assert!(matches_etag(&asking("*"), etag));
        assert!(!matches_etag(&asking("\"abd\""), etag));
        assert!(!matches_etag(&HeaderMap::new(), etag));
    }
}
