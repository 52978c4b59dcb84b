//! `GET /widget/frame`: the chat panel's page. Its settings travel in a data attribute
//! (escaped by the template); its script and style come from /static with the content's hash
//! in the URL. Only this server and the allowed origins may frame it.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::http::assets;
use crate::http::extract::AppState;

/// The panel's settings, read by panel.js.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PanelConfig<'a> {
    /// `off`, `optional` or `required`.
    prechat: &'static str,
    allow_guests: bool,
    /// Origins whose pages may host the panel (besides this server's own).
    allowed_origins: &'a [String],
    /// Shown before the first message; `""` when the welcome message is off.
    welcome: &'a str,
    title: &'static str,
    max_message_length: usize,
    /// The upload limit, so a bigger file is refused before it is sent.
    max_attachment_bytes: u64,
}

#[derive(Template, WebTemplate)]
#[template(path = "widget/frame.html")]
struct FramePage {
    config: String,
    css_version: &'static str,
    live_version: &'static str,
    js_version: &'static str,
}

pub async fn frame(State(ctx): State<AppState>) -> Response {
    let widget = &ctx.settings.widget;
    let config = PanelConfig {
        prechat: widget.prechat.as_str(),
        allow_guests: ctx.settings.allow_guests,
        allowed_origins: &widget.allowed_origins,
        welcome: ctx.settings.welcome_message.as_deref().unwrap_or(""),
        title: "Support",
        max_message_length: ctx.settings.max_message_length,
        max_attachment_bytes: ctx.settings.attachments.max_bytes,
    };
    let page = FramePage {
        config: serde_json::to_string(&config).unwrap_or_default(),
        css_version: assets::version_of("widget/panel.css").unwrap_or_default(),
        live_version: assets::version_of("widget/panel-live.js").unwrap_or_default(),
        js_version: assets::version_of("widget/panel.js").unwrap_or_default(),
    };
    let mut response = page.into_response();
    let headers = response.headers_mut();
    if let Ok(csp) = HeaderValue::from_str(&content_security_policy(&widget.allowed_origins)) {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    // The settings are in the page; a changed setting shows on the next open.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// Strict: scripts, styles and requests only to this server; framed only by this server and
/// the allowed origins (which the settings have already normalised to `scheme://host[:port]`).
pub fn content_security_policy(allowed_origins: &[String]) -> String {
    let mut ancestors = String::from("'self'");
    for origin in allowed_origins {
        ancestors.push(' ');
        ancestors.push_str(origin);
    }
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; \
         img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors {ancestors}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_ancestors_lists_self_then_the_allowed_origins() {
        let none = content_security_policy(&[]);
        assert!(none.ends_with("frame-ancestors 'self'"), "{none}");
        let two = content_security_policy(&[
            "https://shop.example".into(),
            "http://localhost:3000".into(),
        ]);
        assert!(
            two.ends_with("frame-ancestors 'self' https://shop.example http://localhost:3000"),
            "{two}"
        );
    }
}
