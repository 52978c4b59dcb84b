//! Signing in with a password and resolving who a token or dashboard session belongs to.

use std::net::IpAddr;

use super::manage::MAX_EMAIL_CHARS;
use super::presence;
use super::principal::AgentPrincipal;
use super::view::AgentView;
use crate::auth::{AgentClaims, password};
use crate::domain::agent::Agent;
use crate::error::{Error, Result};
use crate::service::{Services, blocking};

/// How stale `last_seen_at` may get before a request refreshes it (saves a write per call).
const TOUCH_EVERY_MS: i64 = 30_000;

/// Resolves an agent bearer token: valid signature, enabled agent, current token version.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn authenticate_token(ctx: &Services, token: &str) -> Result<AgentPrincipal> {
    authenticate_claims(ctx, &ctx.agent_tokens.verify(token)?).await
}

/// The agent a verified token names, if still enabled and the token not revoked.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn authenticate_claims(ctx: &Services, claims: &AgentClaims) -> Result<AgentPrincipal> {
    let agent = load_enabled(ctx, &claims.sub).await?;
    if agent.token_version != claims.ver {
        return Err(Error::Unauthenticated(
            "This token was revoked; sign in again",
        ));
    }
    principal_seen(ctx, &agent).await
}

/// The principal for an agent id (dashboard sessions), if the agent is still enabled.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"), fields(agent_id = %agent_id))]
pub async fn authenticate_id(ctx: &Services, agent_id: &str) -> Result<AgentPrincipal> {
    let agent = load_enabled(ctx, agent_id).await?;
    principal_seen(ctx, &agent).await
}

async fn load_enabled(ctx: &Services, agent_id: &str) -> Result<Agent> {
    match ctx.store.agent(agent_id).await? {
        Some(load) if !load.agent.disabled => Ok(load.agent),
        _ => Err(Error::Unauthenticated(
            "This account is disabled or no longer exists",
        )),
    }
}

/// Builds the principal and refreshes `last_seen_at` when it is getting stale (before
/// answering, so that this very request sees its agent as online).
async fn principal_seen(ctx: &Services, agent: &Agent) -> Result<AgentPrincipal> {
    let now = ctx.clock.now();
    if agent
        .last_seen_at
        .is_none_or(|seen| now.0 - seen.0 > TOUCH_EVERY_MS)
    {
        ctx.store.touch_agent(&agent.id, now).await?;
    }
    Ok(AgentPrincipal::of(agent))
}

/// Checks an email and password with throttling (per address and account, and per address);
/// the same answer, in about the same time, for an unknown email, a wrong password and a
/// disabled account, and the same refusal for all of them while a back-off lasts.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn verify_credentials(
    ctx: &Services,
    email: &str,
    password: &str,
    addr: Option<IpAddr>,
) -> Result<Agent> {
    let now = ctx.clock.now();
    // Refused before the account is looked up: the answer cannot tell whether it exists.
    let attempt = ctx
        .login_throttle
        .begin(addr, email, now)
        .map_err(|retry_after| Error::SignInLocked { retry_after })?;
    let lookup = email.trim();
    let found = if lookup.is_empty() || lookup.len() > MAX_EMAIL_CHARS {
        None
    } else {
        ctx.store.agent_credentials(lookup).await?
    };
    let stored = found.as_ref().map(|c| c.password_hash.clone());
    let given = password.to_string();
    // Verified against a dummy hash when the email is unknown, so timing does not tell.
    let matches = blocking(move || password::verify(&given, stored.as_deref())).await?;
    match found {
        Some(c) if matches && !c.agent.disabled => {
            attempt.succeeded();
            Ok(c.agent)
        }
        _ => {
            attempt.failed(ctx.clock.now());
            Err(Error::Unauthenticated("Invalid email or password"))
        }
    }
}

/// API login: checks credentials, marks the agent online and issues a bearer token.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn login(
    ctx: &Services,
    email: &str,
    password: &str,
    addr: Option<IpAddr>,
) -> Result<(String, AgentView)> {
    let agent = verify_credentials(ctx, email, password, addr).await?;
    let token = ctx.agent_tokens.issue(&agent.id, agent.token_version)?;
    let view = presence::mark_signed_in(ctx, &agent, "login").await?;
    Ok((token, view))
}
