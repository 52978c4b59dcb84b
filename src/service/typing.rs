//! Typing indicators, both ways. They live only in the hub and lapse after a few seconds
//! without a refresh, so a phone that dies mid-sentence does not type forever.

use super::{AgentPrincipal, Services, live};
use crate::auth::UserPrincipal;
use crate::domain::{Permission, SessionId};
use crate::error::{Error, Result};
use crate::realtime::{DashboardEvent, Typist};

/// How long one typing signal lasts.
pub const TYPING_TTL_MS: i64 = 5_000;

#[tracing::instrument(level = "debug", 
    skip_all,
    err(level = "debug"),
    fields(user_id = %user.user_id, session_id = %session_id)
)]
pub async fn user_typing(
    ctx: &Services,
    user: &UserPrincipal,
    session_id: &SessionId,
    is_typing: bool,
) -> Result<()> {
    let cell = live::cell(ctx, session_id.as_str())
        .await?
        .ok_or(Error::SessionNotFound)?;
    if !user.is(&cell.state().snapshot.owner) {
        return Err(Error::SessionNotFound);
    }
    set(ctx, session_id.as_str(), Typist::User, is_typing)?;
    ctx.bus
        .publish(DashboardEvent::UserTyping(session_id.as_str().into()));
    Ok(())
}

#[tracing::instrument(level = "debug", 
    skip_all,
    err(level = "debug"),
    fields(agent_id = %agent.id, session_id = %session_id)
)]
pub async fn agent_typing(
    ctx: &Services,
    agent: &AgentPrincipal,
    session_id: &str,
    is_typing: bool,
) -> Result<()> {
    agent.require(Permission::Reply)?;
    live::cell(ctx, session_id)
        .await?
        .ok_or(Error::SessionNotFound)?;
    set(ctx, session_id, Typist::Agent, is_typing)
}

fn set(ctx: &Services, session_id: &str, who: Typist, is_typing: bool) -> Result<()> {
    let until = is_typing.then(|| ctx.clock.now().plus_millis(TYPING_TTL_MS));
    if ctx.hub.set_typing(session_id, who, until) {
        ctx.relay.typing(session_id, who, until);
        Ok(())
    } else {
        Err(Error::SessionEnded)
    }
}

/// For the agent's chat view: the user's display name and whether they are typing now.
#[tracing::instrument(level = "debug", 
    skip_all,
    err(level = "debug"),
    fields(agent_id = %agent.id, session_id = %session_id)
)]
pub async fn user_typing_now(
    ctx: &Services,
    agent: &AgentPrincipal,
    session_id: &str,
) -> Result<(String, bool)> {
    agent.require(Permission::ViewChats)?;
    let row = ctx
        .store
        .session(session_id.to_string())
        .await?
        .ok_or(Error::SessionNotFound)?;
    let now = ctx.clock.now();
    let typing = row.status.is_active()
        && ctx
            .hub
            .get(session_id)
            .is_some_and(|cell| cell.state().user_typing(now));
    let name = row.user_name.or(row.user_email).unwrap_or(row.user_id);
    Ok((name, typing))
}
