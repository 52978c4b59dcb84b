//! Agents replying to users, as themselves or under the chat's persona. The real agent is
//! always stored with the message; only the shown name changes.

use super::chat::{SentMessage, after_send, body_of};
use super::live::idle_rule;
use super::{AgentPrincipal, Services};
use crate::domain::attachment::AttachmentId;
use crate::domain::{ClientTimestamp, MessageId, MessageText, Permission, SendAs, SessionId};
use crate::error::Result;
use crate::realtime::{DashboardEvent, Typist};
use crate::store::chats::NewAgentMessage;

#[derive(Debug)]
pub struct AgentSend {
    pub session_id: SessionId,
    pub message_id: Option<MessageId>,
    /// Words; may be left out when the reply carries files.
    pub text: Option<MessageText>,
    /// The agent's own uploads in this session.
    pub attachments: Vec<AttachmentId>,
    pub send_as: SendAs,
    pub client_timestamp: Option<ClientTimestamp>,
}

/// Sends an agent reply. A chat nobody holds is assigned to the replier (within capacity);
/// a chat another agent holds may still be answered (a supervisor stepping in) and stays theirs.
#[tracing::instrument(level = "debug", 
    skip_all,
    err(level = "debug"),
    fields(agent_id = %agent.id, session_id = %req.session_id)
)]
pub async fn send(ctx: &Services, agent: &AgentPrincipal, req: AgentSend) -> Result<SentMessage> {
    agent.require(Permission::Reply)?;
    let now = ctx.clock.now();
    let text = body_of(req.text, &req.attachments)?;
    let reply = ctx
        .store
        .append_agent_message(NewAgentMessage {
            session_id: req.session_id.into_string(),
            message_id: req.message_id.map_or_else(
                || MessageId::generate(now.0).into_string(),
                MessageId::into_string,
            ),
            text,
            attachments: req.attachments,
            agent_id: agent.id.clone(),
            agent_name: agent.name.clone(),
            department: agent.department.clone(),
            send_as: req.send_as,
            client_timestamp: req.client_timestamp.map(ClientTimestamp::into_string),
            now,
            idle: idle_rule(ctx),
        })
        .await?;
    let (sent, stored) = after_send(ctx, reply.outcome, Typist::Agent)?;
    if let (Some(session_id), true) = (stored, reply.assigned) {
        ctx.bus.publish(DashboardEvent::SessionDetails(session_id));
    }
    Ok(sent)
}
