//! What agents are told about a website visitor: the page, referrer, language, and the browser
//! and operating system read from the user agent the widget sent in the session's metadata.

use serde_json::{Map, Value};

/// The longest value kept from one metadata key; the widget trims them already, this keeps a
/// hand-made request from putting a 4 KB URL in every queue row.
const MAX_FIELD_CHARS: usize = 512;

/// The visitor context of a chat; every field is `None` when unknown.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VisitorContext {
    pub page_url: Option<String>,
    pub referrer: Option<String>,
    pub language: Option<String>,
    pub browser: Option<String>,
    pub os: Option<String>,
}

impl VisitorContext {
    /// Reads the context from a session's stored metadata (a JSON object, or nothing).
    /// Values that are not strings, or are blank, count as absent.
    pub fn from_metadata(metadata: Option<&str>) -> Self {
        metadata
            .and_then(|m| serde_json::from_str(m).ok())
            .map_or_else(VisitorContext::default, |value| Self::from_value(&value))
    }

    /// The same, from metadata already parsed.
    pub fn from_value(metadata: &Value) -> Self {
        let Value::Object(map) = metadata else {
            return VisitorContext::default();
        };
        let (browser, os) = field(map, "userAgent").map_or((None, None), |ua| browser_and_os(&ua));
        VisitorContext {
            page_url: field(map, "pageUrl"),
            referrer: field(map, "referrer"),
            language: field(map, "language"),
            browser,
            os,
        }
    }

    /// The page URL when it is safe to link to: http or https only.
    pub fn page_link(&self) -> Option<&str> {
        self.page_url.as_deref().filter(|u| is_web_url(u))
    }
}

fn field(map: &Map<String, Value>, key: &str) -> Option<String> {
    let text = map.get(key)?.as_str()?.trim();
    if text.is_empty() {
        return None;
    }
    Some(text.chars().take(MAX_FIELD_CHARS).collect())
}

fn is_web_url(url: &str) -> bool {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}

/// Browser and OS names from woothee's classifier; "UNKNOWN" becomes `None`.
fn browser_and_os(user_agent: &str) -> (Option<String>, Option<String>) {
    let Some(result) = woothee::parser::Parser::new().parse(user_agent) else {
        return (None, None);
    };
    let known = |s: &str| (!s.is_empty() && s != "UNKNOWN").then(|| s.to_string());
    (known(result.name), known(result.os))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHROME_MAC: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 \
        (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";

    #[test]
    fn reads_the_widget_keys_and_derives_browser_and_os() {
        let meta = serde_json::json!({
            "pageUrl": " https://shop.example/cart ",
            "referrer": "https://search.example/",
            "language": "de-DE",
            "userAgent": CHROME_MAC,
        })
        .to_string();
        let ctx = VisitorContext::from_metadata(Some(&meta));
        assert_eq!(ctx.page_url.as_deref(), Some("https://shop.example/cart"));
        assert_eq!(ctx.referrer.as_deref(), Some("https://search.example/"));
        assert_eq!(ctx.language.as_deref(), Some("de-DE"));
        assert_eq!(ctx.browser.as_deref(), Some("Chrome"));
        assert_eq!(ctx.os.as_deref(), Some("Mac OSX"));
    }

    #[test]
    fn absent_odd_or_unknown_values_are_none() {
        assert_eq!(
            VisitorContext::from_metadata(None),
            VisitorContext::default()
        );
        let meta = r#"{"pageUrl": 3, "language": "  ", "userAgent": "curl-ish/0"}"#;
        let ctx = VisitorContext::from_metadata(Some(meta));
        assert_eq!(ctx, VisitorContext::default());
    }

    #[test]
    fn only_web_urls_are_links() {
        let with = |url: &str| VisitorContext {
            page_url: Some(url.into()),
            ..VisitorContext::default()
        };
        assert_eq!(
            with("HTTPS://a.example/").page_link(),
            Some("HTTPS://a.example/")
        );
        assert_eq!(
            with("http://a.example/").page_link(),
            Some("http://a.example/")
        );
        assert_eq!(with("javascript:alert(1)").page_link(), None);
        assert_eq!(with("data:text/html,x").page_link(), None);
    }
}
