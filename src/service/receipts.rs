//! Read receipts from the user: marks agent messages up to one of them read.

use super::Services;
use super::chat::owned_session;
use crate::auth::UserPrincipal;
use crate::domain::{MessageId, SessionId};
use crate::error::{Error, Result};
use crate::realtime::DashboardEvent;
use crate::store::messages;

/// Marks the agent messages up to `up_to` (a message id of this session) read; returns how
/// many were newly marked.
pub async fn user_read(
    ctx: &Services,
    user: &UserPrincipal,
    session_id: SessionId,
    up_to: MessageId,
) -> Result<usize> {
    let (owner, now) = (user.user_id.clone(), ctx.clock.now());
    let sid = session_id.clone();
    let count = ctx
        .store
        .write(move |conn| {
            owned_session(conn, sid.as_str(), &owner)?;
            let seq = messages::seq_of(conn, sid.as_str(), up_to.as_str())?.ok_or_else(|| {
                Error::validation("upTo", "upTo does not name a message of this session")
            })?;
            messages::mark_read_by_user(conn, sid.as_str(), seq, now)
        })
        .await?;
    if count > 0 {
        ctx.bus
            .publish(DashboardEvent::Transcript(session_id.as_str().into()));
    }
    Ok(count)
}
