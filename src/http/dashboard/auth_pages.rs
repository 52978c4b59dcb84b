//! Sign-in, sign-out and first-run setup pages.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use serde::Deserialize;

use super::error::{PageError, PageResult};
use super::form::Form;
use super::hypermedia::Url;
use super::session::{self, DashboardAuth, FORM_COOKIE, SESSION_COOKIE, see_other};
use crate::domain::ids::random_token;
use crate::error::Error;
use crate::http::envelope::InternalErrorDetail;
use crate::http::extract::{AppState, ClientAddr};
use crate::service::{agents::NewAgentInput, dashboard_auth, setup};

const FORM_TOKEN_BYTES: usize = 24;
/// Unpadded base64 of [`FORM_TOKEN_BYTES`].
const FORM_TOKEN_CHARS: usize = FORM_TOKEN_BYTES * 4 / 3;

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

#[derive(Template, WebTemplate)]
#[template(path = "dashboard/login_page.html")]
struct LoginPage {
    form_token: String,
    email: String,
    error: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "dashboard/setup_page.html")]
struct SetupPage {
    form_token: String,
    setup_token: String,
    name: String,
    email: String,
    error: Option<String>,
}

/// The double-submit token for a pre-session form, set as a cookie.
///
/// A token the browser already holds is kept, so that a second tab (or a background request
/// of a page that was just left) loading the sign-in page does not void the form on screen.
fn form_token(ctx: &AppState, jar: CookieJar) -> (CookieJar, String) {
    let token = jar
        .get(FORM_COOKIE)
        .map(|c| c.value())
        .filter(|v| v.len() == FORM_TOKEN_CHARS && v.bytes().all(is_token_byte))
        .map(str::to_string)
        .unwrap_or_else(|| random_token(FORM_TOKEN_BYTES));
    (
        jar.add(session::cookie(ctx, FORM_COOKIE, token.clone())),
        token,
    )
}

pub async fn root() -> Response {
    see_other(Url::Queue.as_str())
}

pub async fn login_page(State(ctx): State<AppState>, jar: CookieJar) -> Response {
    if let Some(token) = jar.get(SESSION_COOKIE).map(|c| c.value().to_string())
        && dashboard_auth::resume(&ctx, &token).await.is_ok()
    {
        return see_other(Url::Queue.as_str());
    }
    let (jar, form_token) = form_token(&ctx, jar);
    (
        jar,
        LoginPage {
            form_token,
            email: String::new(),
            error: None,
        },
    )
        .into_response()
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
}

pub async fn login(
    State(ctx): State<AppState>,
    ClientAddr(addr): ClientAddr,
    jar: CookieJar,
    Form(form): Form<LoginForm>,
) -> Response {
    match dashboard_auth::sign_in(&ctx, &form.email, &form.password, addr).await {
        Ok((token, _)) => {
            let jar = jar
                .add(session::cookie(&ctx, SESSION_COOKIE, token))
                .remove(session::removal(&ctx, FORM_COOKIE));
            (jar, see_other(Url::Queue.as_str())).into_response()
        }
        Err(e) => {
            let retry_after = match &e {
                Error::SignInLocked { retry_after } | Error::RateLimited { retry_after } => {
                    Some((retry_after.as_secs_f64().ceil() as u64).max(1))
                }
                _ => None,
            };
            let status = match e {
                Error::RateLimited { .. } | Error::SignInLocked { .. } => {
                    StatusCode::TOO_MANY_REQUESTS
                }
                Error::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            };
            let (message, internal) = match e {
                Error::Internal(internal) => (
                    "Something went wrong on our side; please try again.".to_string(),
                    Some(internal),
                ),
                other => (other.to_string(), None),
            };
            let (jar, form_token) = form_token(&ctx, jar);
            let mut response = (
                status,
                jar,
                LoginPage {
                    form_token,
                    email: form.email,
                    error: Some(message),
                },
            )
                .into_response();
            // Logged once, with its causes, by the trace layer.
            if let Some(internal) = internal {
                InternalErrorDetail::attach(internal, &mut response);
            }
            if let Some(seconds) = retry_after {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            }
            response
        }
    }
}

pub async fn logout(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
    jar: CookieJar,
) -> PageResult<Response> {
    dashboard_auth::sign_out(&ctx, &session).await?;
    let jar = jar.remove(session::removal(&ctx, SESSION_COOKIE));
    Ok((jar, see_other(Url::Login.as_str())).into_response())
}

#[derive(Deserialize)]
pub struct SetupQuery {
    token: Option<String>,
}

pub async fn setup_page(
    State(ctx): State<AppState>,
    jar: CookieJar,
    Query(query): Query<SetupQuery>,
) -> PageResult<Response> {
    let token = query.token.unwrap_or_default();
    if !setup::is_valid(&ctx, &token).await? {
        return Err(PageError::NotFound(
            "This setup link is no longer valid. If the first account already exists, sign in instead.".into(),
        ));
    }
    let (jar, form_token) = form_token(&ctx, jar);
    Ok((
        jar,
        SetupPage {
            form_token,
            setup_token: token,
            name: String::new(),
            email: String::new(),
            error: None,
        },
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct SetupForm {
    token: String,
    name: String,
    email: String,
    password: String,
}

pub async fn setup(
    State(ctx): State<AppState>,
    jar: CookieJar,
    Form(form): Form<SetupForm>,
) -> PageResult<Response> {
    let input = NewAgentInput {
        email: form.email.clone(),
        name: form.name.clone(),
        role: "super_admin".into(),
        password: form.password,
        department: None,
        max_concurrent_chats: None,
    };
    match setup::complete(&ctx, &form.token, input).await {
        Ok(view) => {
            let (token, _) = dashboard_auth::open(&ctx, &view.agent).await?;
            let jar = jar
                .add(session::cookie(&ctx, SESSION_COOKIE, token))
                .remove(session::removal(&ctx, FORM_COOKIE));
            Ok((jar, see_other(Url::Queue.as_str())).into_response())
        }
        Err(e @ Error::Validation { .. }) | Err(e @ Error::Conflict(_)) => {
            let (jar, form_token) = form_token(&ctx, jar);
            Ok((
                StatusCode::BAD_REQUEST,
                jar,
                SetupPage {
                    form_token,
                    setup_token: form.token,
                    name: form.name,
                    email: form.email,
                    error: Some(e.to_string()),
                },
            )
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}
