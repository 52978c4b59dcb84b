//! Dashboard sign-in: cookie sessions for browsers. The cookie holds a random token; the
//! database keeps only its SHA-256, the agent, and the session's CSRF token. A session ends
//! on sign-out, after `DASHBOARD_IDLE_MINUTES` without a request, or when the agent is disabled
//! or their password changes.

use std::net::IpAddr;

use sha2::{Digest, Sha256};

use super::Services;
use super::agents::{self, AgentPrincipal};
use crate::domain::agent::Agent;
use crate::domain::dashboard_session::DashboardSessionRecord;
use crate::domain::ids::random_token;
use crate::error::{Error, Result};

/// How stale `last_seen_at` may get before a request refreshes it.
const TOUCH_EVERY_MS: i64 = 60_000;

/// A signed-in browser.
#[derive(Clone, Debug)]
pub struct DashboardSession {
    pub agent: AgentPrincipal,
    pub csrf_token: String,
    token_hash: String,
}

fn hash(token: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()))
}

/// Checks credentials (throttled like the API) and opens a session; returns the cookie value.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn sign_in(
    ctx: &Services,
    email: &str,
    password: &str,
    addr: Option<IpAddr>,
) -> Result<(String, DashboardSession)> {
    let agent = agents::verify_credentials(ctx, email, password, addr).await?;
    open(ctx, &agent).await
}

/// Opens a session for an agent who has just proved who they are (sign-in or first-run setup)
/// and marks them online.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"), fields(agent_id = %agent.id))]
pub async fn open(ctx: &Services, agent: &Agent) -> Result<(String, DashboardSession)> {
    let token = random_token(32);
    let now = ctx.clock.now();
    let session = DashboardSessionRecord {
        token_hash: hash(&token),
        agent_id: agent.id.clone(),
        csrf_token: random_token(24),
        created_at: now,
        last_seen_at: now,
    };
    ctx.store.start_dashboard_session(session.clone()).await?;
    agents::announce_presence(ctx);
    let agent = agents::authenticate_id(ctx, &agent.id).await?;
    Ok((
        token,
        DashboardSession {
            agent,
            csrf_token: session.csrf_token,
            token_hash: session.token_hash,
        },
    ))
}

/// The session a cookie names, if it is still good.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn resume(ctx: &Services, token: &str) -> Result<DashboardSession> {
    let token_hash = hash(token);
    let row = ctx
        .store
        .dashboard_session(&token_hash)
        .await?
        .ok_or(Error::Unauthenticated("Please sign in"))?;
    let now = ctx.clock.now();
    let idle_ms = i64::try_from(ctx.settings.dashboard_idle.as_millis()).unwrap_or(i64::MAX);
    if now.0 - row.last_seen_at.0 > idle_ms {
        ctx.store.delete_dashboard_session(&token_hash).await?;
        return Err(Error::Unauthenticated(
            "Your session expired; please sign in again",
        ));
    }
    let agent = agents::authenticate_id(ctx, &row.agent_id).await?;
    if now.0 - row.last_seen_at.0 > TOUCH_EVERY_MS {
        ctx.store.touch_dashboard_session(&token_hash, now).await?;
    }
    Ok(DashboardSession {
        agent,
        csrf_token: row.csrf_token,
        token_hash,
    })
}

/// Ends the session and takes the agent offline.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn sign_out(ctx: &Services, session: &DashboardSession) -> Result<()> {
    ctx.store
        .end_dashboard_session(&session.token_hash, &session.agent.id, ctx.clock.now())
        .await?;
    agents::announce_presence(ctx);
    Ok(())
}

/// Constant-time comparison of a submitted CSRF token with the session's.
pub fn csrf_matches(session: &DashboardSession, submitted: &str) -> bool {
    use subtle::ConstantTimeEq;
    !submitted.is_empty() && bool::from(session.csrf_token.as_bytes().ct_eq(submitted.as_bytes()))
}
