//! First run: with no agent in the database, a one-time setup token (printed in the log as a
//! URL) lets whoever holds it create the first super admin from the browser.

use subtle::ConstantTimeEq;

use super::Services;
use super::agents::{self, AgentView, NewAgentInput};
use crate::domain::ids::random_token;
use crate::error::{Error, Result};

/// The setup token when the database has no agent yet (created on first call).
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn pending_token(ctx: &Services) -> Result<Option<String>> {
    ctx.store.setup_token_or_init(random_token(24)).await
}

/// True when `token` is the live setup token.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn is_valid(ctx: &Services, token: &str) -> Result<bool> {
    let stored = ctx.store.setup_token().await?;
    Ok(stored.is_some_and(|s| bool::from(s.as_bytes().ct_eq(token.as_bytes()))))
}

/// Creates the first super admin and retires the token, both at once: of two browsers racing
/// with the same link, one wins and the other is told the link is no longer valid.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn complete(ctx: &Services, token: &str, mut input: NewAgentInput) -> Result<AgentView> {
    if !is_valid(ctx, token).await? {
        return Err(Error::Forbidden("This setup link is no longer valid"));
    }
    input.role = "super_admin".into();
    let agent = agents::prepare_new_agent(ctx, input).await?;
    let now = ctx.clock.now();
    let load = ctx.store.complete_setup(token, agent, now).await?;
    Ok(AgentView::at(load, now))
}
