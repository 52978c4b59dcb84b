//! `GET /widget/demo`: a sample shop page with the widget's snippet on it, so a newcomer sees
//! the widget working right after starting the server. Off with `WIDGET_DEMO=false`.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::http::envelope::ApiError;
use crate::http::extract::AppState;

const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self'; img-src 'self' data:; frame-src 'self'; connect-src 'self'; \
    base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

#[derive(Template, WebTemplate)]
#[template(path = "widget/demo.html")]
struct DemoPage {
    /// Where this server is reached, for the snippet shown on the page.
    server: String,
    /// With guests off the panel asks visitors to sign in; the page says how to try it.
    guests: bool,
}

pub async fn demo(State(ctx): State<AppState>, headers: HeaderMap) -> Response {
    if !ctx.settings.widget.demo {
        // The same answer as for a path that does not exist.
        return ApiError::route_not_found().into_response();
    }
    let server = match ctx.settings.public_url.as_deref() {
        Some(url) => url.trim_end_matches('/').to_string(),
        None => {
            let host = headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("127.0.0.1:8080");
            format!("http://{host}")
        }
    };
    let mut response = DemoPage {
        server,
        guests: ctx.settings.allow_guests,
    }
    .into_response();
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    response
}
