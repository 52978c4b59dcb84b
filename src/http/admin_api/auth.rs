//! Signing in and the caller's own account.

use axum::extract::State;
use serde::Deserialize;

use super::answers::{AdminAnswer, AgentAnswer, LoginAnswer};
use crate::error::Error;
use crate::http::envelope::{ApiOk, ApiResult, Envelope, ErrorEnvelope};
use crate::http::extract::{AgentAuth, ApiJson, AppState, ClientAddr};
use crate::service::agents;

/// `POST /api/admin/login`.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct LoginBody {
    #[schema(value_type = String, required = true, format = Email)]
    email: Option<String>,
    #[schema(value_type = String, required = true, format = Password)]
    password: Option<String>,
}

/// Sign in as an agent
///
/// Answers a bearer token for every other admin endpoint. A wrong password and an unknown email
/// get the same 401; repeated failures for one email or address are slowed, then refused (429).
#[utoipa::path(
    post,
    operation_id = "admin_login",
    path = "/api/admin/login",
    tag = "admin: account",
    request_body = LoginBody,
    responses(
        (status = 200, description = "Signed in", body = Envelope<LoginAnswer>),
        (status = 401, description = "`AUTHENTICATION_FAILED`: wrong email or password", body = ErrorEnvelope),
        (status = 429, description = "`RATE_LIMITED`: too many failed sign-ins, with `Retry-After`", body = ErrorEnvelope),
    ),
    security(()),
)]
pub async fn login(
    State(ctx): State<AppState>,
    ClientAddr(addr): ClientAddr,
    ApiJson(body): ApiJson<LoginBody>,
) -> ApiResult<LoginAnswer> {
    let email = body
        .email
        .ok_or_else(|| Error::validation("email", "email is required"))?;
    let password = body
        .password
        .ok_or_else(|| Error::validation("password", "password is required"))?;
    let (token, agent) = agents::login(&ctx, &email, &password, addr).await?;
    Ok(ApiOk::new(
        "Login successful",
        LoginAnswer {
            access_token: token,
            token_type: "Bearer",
            admin: AgentAnswer::from(&agent),
        },
    ))
}

/// Marks the agent offline and revokes every bearer token of theirs issued so far, this one
/// included (other devices sign in again; dashboard sessions are not affected).
/// Sign out everywhere
///
/// Marks the agent offline and revokes every bearer token of theirs issued so far, this one
/// included.
#[utoipa::path(
    post,
    operation_id = "admin_logout",
    path = "/api/admin/logout",
    tag = "admin: account",
    responses(
        (status = 200, description = "Signed out", body = Envelope<AdminAnswer>),
    ),
    security(("agentToken" = [])),
)]
pub async fn logout(
    State(ctx): State<AppState>,
    AgentAuth(agent): AgentAuth,
) -> ApiResult<AdminAnswer> {
    let view = agents::sign_out(&ctx, &agent).await?;
    Ok(ApiOk::new(
        "Signed out",
        AdminAnswer {
            admin: AgentAnswer::from(&view),
        },
    ))
}

/// The signed-in agent
#[utoipa::path(
    get,
    operation_id = "admin_me",
    path = "/api/admin/me",
    tag = "admin: account",
    responses(
        (status = 200, description = "Your account", body = Envelope<AdminAnswer>),
    ),
    security(("agentToken" = [])),
)]
pub async fn me(
    State(ctx): State<AppState>,
    AgentAuth(agent): AgentAuth,
) -> ApiResult<AdminAnswer> {
    let view = agents::get(&ctx, &agent, &agent.id).await?;
    Ok(ApiOk::new(
        "Your account",
        AdminAnswer {
            admin: AgentAnswer::from(&view),
        },
    ))
}

/// `PUT /api/admin/me/status`: `status` or `isOnline`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatusBody {
    is_online: Option<bool>,
    /// `online` or `offline`.
    #[schema(example = "online")]
    status: Option<String>,
}

/// Go online or offline
///
/// Send `{"status": "online"}` or `{"status": "offline"}`, or `{"isOnline": true}`.
#[utoipa::path(
    put,
    operation_id = "set_admin_status",
    path = "/api/admin/me/status",
    tag = "admin: account",
    request_body = StatusBody,
    responses(
        (status = 200, description = "The agent with their new status", body = Envelope<AdminAnswer>),
    ),
    security(("agentToken" = [])),
)]
pub async fn set_status(
    State(ctx): State<AppState>,
    AgentAuth(agent): AgentAuth,
    ApiJson(body): ApiJson<StatusBody>,
) -> ApiResult<AdminAnswer> {
    let online = match (body.is_online, body.status.as_deref()) {
        (Some(online), _) => online,
        (None, Some("online")) => true,
        (None, Some("offline")) => false,
        _ => {
            return Err(Error::validation(
                "status",
                "send {\"status\": \"online\"|\"offline\"} or {\"isOnline\": bool}",
            )
            .into());
        }
    };
    let view = agents::set_status(&ctx, &agent, online).await?;
    Ok(ApiOk::new(
        "Status updated",
        AdminAnswer {
            admin: AgentAnswer::from(&view),
        },
    ))
}
