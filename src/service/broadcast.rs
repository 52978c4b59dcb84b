//! Admin broadcasts: one system message into every chat going on ("we are closing early
//! today"), sent by a super admin and audited.

use super::live::{self, idle_rule};
use super::{AgentPrincipal, Services};
use crate::domain::{MessageId, MessageText, Permission};
use crate::error::Result;
use crate::realtime::DashboardEvent;
use crate::store::chats::Broadcast;

/// What a broadcast reached.
#[derive(Debug)]
pub struct BroadcastSummary {
    /// The message's id in every chat.
    pub message_id: String,
    /// Chats that got the message now.
    pub chats: usize,
    /// Chats that had it already (a retry with the same id).
    pub already_had: usize,
}

/// Stores the message in every active chat and wakes everyone watching them. A retry with the
/// same `message_id` never stores it twice in a chat.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"), fields(agent_id = %agent.id))]
pub async fn send(
    ctx: &Services,
    agent: &AgentPrincipal,
    text: MessageText,
    message_id: Option<MessageId>,
) -> Result<BroadcastSummary> {
    agent.require(Permission::Broadcast)?;
    let now = ctx.clock.now();
    let message_id = message_id.map_or_else(
        || MessageId::generate(now.0).into_string(),
        MessageId::into_string,
    );
    let outcome = ctx
        .store
        .broadcast(Broadcast {
            message_id: message_id.clone(),
            text: text.into_string(),
            agent_id: agent.id.clone(),
            now,
            idle: idle_rule(ctx),
        })
        .await?;
    for state in &outcome.delivered {
        live::publish(ctx, state);
        ctx.bus
            .publish(DashboardEvent::Transcript(state.session.id.as_str().into()));
    }
    for state in &outcome.expired {
        live::publish(ctx, state);
        ctx.bus.publish(DashboardEvent::SessionDetails(
            state.session.id.as_str().into(),
        ));
    }
    if !outcome.delivered.is_empty() || !outcome.expired.is_empty() {
        ctx.bus.publish(DashboardEvent::QueueChanged);
    }
    Ok(BroadcastSummary {
        message_id,
        chats: outcome.delivered.len(),
        already_had: outcome.already_had,
    })
}
