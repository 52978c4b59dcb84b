//! First run: with no agent in the database, a one-time setup token (printed in the log as a
//! URL) lets whoever holds it create the first super admin from the browser.

use subtle::ConstantTimeEq;

use super::Services;
use super::agents::{self, AgentView, NewAgentInput};
use crate::domain::ids::random_token;
use crate::error::{Error, Result};
use crate::store::{agents as agent_rows, server_settings};

/// The setup token when the database has no agent yet (created on first call).
pub async fn pending_token(ctx: &Services) -> Result<Option<String>> {
    ctx.store
        .write(|conn| {
            if agent_rows::count(conn)? > 0 {
                server_settings::delete(conn, server_settings::SETUP_TOKEN)?;
                return Ok(None);
            }
            Ok(Some(server_settings::get_or_init(
                conn,
                server_settings::SETUP_TOKEN,
                || random_token(24),
            )?))
        })
        .await
}

/// True when `token` is the live setup token.
pub async fn is_valid(ctx: &Services, token: &str) -> Result<bool> {
    let stored = ctx
        .store
        .read(|conn| {
            if agent_rows::count(conn)? > 0 {
                return Ok(None);
            }
            server_settings::get(conn, server_settings::SETUP_TOKEN)
        })
        .await?;
    Ok(stored.is_some_and(|s| bool::from(s.as_bytes().ct_eq(token.as_bytes()))))
}

/// Creates the first super admin and retires the token.
pub async fn complete(ctx: &Services, token: &str, mut input: NewAgentInput) -> Result<AgentView> {
    if !is_valid(ctx, token).await? {
        return Err(Error::Forbidden("This setup link is no longer valid"));
    }
    input.role = "super_admin".into();
    let view = agents::create(ctx, None, input).await?;
    ctx.store
        .write(|conn| server_settings::delete(conn, server_settings::SETUP_TOKEN))
        .await?;
    Ok(view)
}
