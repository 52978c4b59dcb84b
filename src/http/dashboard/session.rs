//! The dashboard's cookie session and CSRF protection.
//!
//! - `fd_session`: the session cookie (HttpOnly, SameSite=Strict, Path=/admin, Secure when
//!   PUBLIC_URL is https). Resolved by [`DashboardAuth`].
//! - Every POST under /admin carries the session's CSRF token, in the `X-CSRF-Token` header
//!   (htmx, set once on `<body>`) or a hidden `csrf` form field (plain forms without JS);
//!   [`csrf_guard`] refuses the request before any handler runs.
//! - The sign-in and setup forms come before any session, so they use a double-submit token:
//!   a random `fd_form` cookie that the form must echo.
//! - A script's request that needs a sign-in gets 401 and `HX-Redirect` instead of a redirect
//!   ([`sign_in_for_scripts`]).

use axum::body::{Body, to_bytes};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use subtle::ConstantTimeEq;

use super::error::PageError;
use super::hypermedia::Url;
use crate::http::extract::AppState;
use crate::service::dashboard_auth::{self, DashboardSession};

pub const SESSION_COOKIE: &str = "fd_session";
pub const FORM_COOKIE: &str = "fd_form";
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Paths that take a POST before any session exists.
const PRE_SESSION_FORMS: [&str; 2] = [Url::Login.as_str(), Url::Setup.as_str()];
const MAX_FORM_BYTES: usize = 64 * 1024;

/// A cookie scoped to the dashboard with the flags every dashboard cookie needs.
pub fn cookie(ctx: &AppState, name: &'static str, value: String) -> Cookie<'static> {
    Cookie::build((name, value))
        .path(Url::Root.as_str())
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(ctx.settings.secure_cookies())
        .build()
}

pub fn removal(ctx: &AppState, name: &'static str) -> Cookie<'static> {
    let mut c = cookie(ctx, name, String::new());
    c.make_removal();
    c
}

/// The signed-in agent of a dashboard request.
#[derive(Clone)]
pub struct DashboardAuth(pub DashboardSession);

impl FromRequestParts<AppState> for DashboardAuth {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        ctx: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(auth) = parts.extensions.get::<DashboardAuth>() {
            return Ok(auth.clone());
        }
        let jar = CookieJar::from_headers(&parts.headers);
        let token = jar
            .get(SESSION_COOKIE)
            .map(|c| c.value().to_string())
            .ok_or(PageError::SignIn)?;
        let session = dashboard_auth::resume(ctx, &token)
            .await
            .map_err(|_| PageError::SignIn)?;
        let auth = DashboardAuth(session);
        parts.extensions.insert(auth.clone());
        Ok(auth)
    }
}

/// Refuses a POST under /admin whose CSRF token is missing or not this session's.
pub async fn csrf_guard(State(ctx): State<AppState>, request: Request, next: Next) -> Response {
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    let (mut parts, body) = request.into_parts();
    let header_token = parts
        .headers
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    // With the token in the header the body stays unread and is passed on as it streams in
    // (a file upload is far larger than any form); only a plain form is read for its field.
    let (submitted, body) = match header_token {
        Some(token) => (token, body),
        None => {
            let Ok(bytes) = to_bytes(body, MAX_FORM_BYTES).await else {
                return PageError::BadRequest("The form is too large".into()).into_response();
            };
            let token = form_field(&bytes, "csrf").unwrap_or_default();
            (token, Body::from(bytes))
        }
    };

    let valid = if PRE_SESSION_FORMS.contains(&parts.uri.path()) {
        let jar = CookieJar::from_headers(&parts.headers);
        jar.get(FORM_COOKIE).is_some_and(|c| {
            !submitted.is_empty() && bool::from(c.value().as_bytes().ct_eq(submitted.as_bytes()))
        })
    } else {
        match DashboardAuth::from_request_parts(&mut parts, &ctx).await {
            Ok(auth) => dashboard_auth::csrf_matches(&auth.0, &submitted),
            Err(e) => return e.into_response(),
        }
    };
    if !valid {
        return PageError::Forbidden("This form has expired or did not come from this dashboard. Reload the page and try again.".into())
            .into_response();
    }
    next.run(Request::from_parts(parts, body)).await
}

fn form_field(body: &[u8], name: &str) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// Turns the sign-in redirect into 401 + `HX-Redirect` for requests made by scripts.
///
/// XMLHttpRequest follows a 303 silently (htmx would never see its `HX-Redirect` and would
/// swap the sign-in page into a fragment), and EventSource fails on it only after loading the
/// page. The 401 lets htmx send the whole tab to the sign-in page.
pub async fn sign_in_for_scripts(request: Request, next: Next) -> Response {
    let from_script = request.headers().contains_key("hx-request")
        || request
            .headers()
            .get(header::ACCEPT)
            .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
    let mut response = next.run(request).await;
    if from_script
        && response.status() == axum::http::StatusCode::SEE_OTHER
        && response.headers().contains_key("hx-redirect")
    {
        *response.status_mut() = axum::http::StatusCode::UNAUTHORIZED;
        response.headers_mut().remove(header::LOCATION);
    }
    response
}

/// Sends a plain form back to a page after a POST (Post/Redirect/Get).
pub fn see_other(location: &str) -> Response {
    (
        axum::http::StatusCode::SEE_OTHER,
        [(header::LOCATION, location.to_string())],
    )
        .into_response()
}

/// The agent signed in to the dashboard with this request's cookie, if any (for file links
/// opened from the dashboard without a signature).
pub async fn agent_from_cookie(
    ctx: &AppState,
    headers: &axum::http::HeaderMap,
) -> Option<crate::service::AgentPrincipal> {
    let token = CookieJar::from_headers(headers)
        .get(SESSION_COOKIE)?
        .value()
        .to_string();
    dashboard_auth::resume(ctx, &token)
        .await
        .ok()
        .map(|session| session.agent)
}
