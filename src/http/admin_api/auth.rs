//! Signing in and the caller's own account.

use axum::extract::State;
use serde::Deserialize;

use super::answers::{AdminAnswer, AgentAnswer, LoginAnswer};
use crate::error::Error;
use crate::http::envelope::{ApiOk, ApiResult};
use crate::http::extract::{AgentAuth, ApiJson, AppState, ClientAddr};
use crate::service::agents;

#[derive(Deserialize)]
pub struct LoginBody {
    email: Option<String>,
    password: Option<String>,
}

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

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusBody {
    is_online: Option<bool>,
    status: Option<String>,
}

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
