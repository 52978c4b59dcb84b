//! Read receipts from the user: marks agent messages up to one of them read.

use super::Services;
use crate::auth::UserPrincipal;
use crate::domain::{MessageId, SessionId};
use crate::error::Result;
use crate::realtime::DashboardEvent;

/// Marks the agent messages up to `up_to` (a message id of this session) read; returns how
/// many were newly marked.
#[tracing::instrument(level = "debug", 
    skip_all,
    err(level = "debug"),
    fields(user_id = %user.user_id, session_id = %session_id)
)]
pub async fn user_read(
    ctx: &Services,
    user: &UserPrincipal,
    session_id: SessionId,
    up_to: MessageId,
) -> Result<usize> {
    let count = ctx
        .store
        .mark_read_by_user(
            user.owner(),
            session_id.to_string(),
            up_to.into_string(),
            ctx.clock.now(),
        )
        .await?;
    if count > 0 {
        ctx.bus
            .publish(DashboardEvent::Transcript(session_id.as_str().into()));
    }
    Ok(count)
}
