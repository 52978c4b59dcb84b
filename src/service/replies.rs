//! Agents replying to users, as themselves or under the chat's persona. The real agent is
//! always stored with the message; only the shown name changes.

use serde_json::json;

use super::assignment::{active_session, assign_in_tx, check_can_take};
use super::chat::{
    SendOutcome, SentMessage, after_send, duplicate_of, insert_message, reply_identity,
};
use super::{AgentPrincipal, Services, live};
use crate::domain::{MessageId, MessageKind, MessageText, Permission, SendAs, Sender, SessionId};
use crate::error::{Error, Result};
use crate::realtime::{DashboardEvent, Typist};
use crate::store::audit;
use crate::store::messages::NewMessage;

#[derive(Debug)]
pub struct AgentSend {
    pub session_id: SessionId,
    pub message_id: Option<MessageId>,
    pub text: MessageText,
    pub send_as: SendAs,
    pub client_timestamp: Option<String>,
}

/// Sends an agent reply. A chat nobody holds is assigned to the replier (within capacity);
/// a chat another agent holds may still be answered (a supervisor stepping in) and stays theirs.
pub async fn send(ctx: &Services, agent: &AgentPrincipal, req: AgentSend) -> Result<SentMessage> {
    agent.require(Permission::Reply)?;
    let now = ctx.clock.now();
    let timeout_ms = ctx.session_timeout_ms();
    let agent = agent.clone();
    let outcome = ctx
        .store
        .write(move |conn| {
            let id = req.message_id.map_or_else(|| MessageId::generate(now.0).into_string(), MessageId::into_string);
            if let Some(existing) = duplicate_of(conn, req.session_id.as_str(), &id, req.text.as_str())? {
                return Ok((SendOutcome::Existing(existing), false));
            }
            let mut row = match active_session(conn, req.session_id.as_str(), now, timeout_ms) {
                Err(Error::SessionExpired) => {
                    let row = crate::store::sessions::get(conn, req.session_id.as_str())?.ok_or(Error::SessionNotFound)?;
                    return Ok((SendOutcome::Expired(live::snapshot_in_tx(conn, &row)?), false));
                }
                other => other?,
            };
            let mut assigned = false;
            if row.assigned_agent_id.is_none() {
                check_can_take(conn, &agent.id)?;
                assign_in_tx(conn, &mut row, &agent.id, Some(&agent.id), "assign_on_reply", now)?;
                assigned = true;
            }
            let (shown_name, department) =
                reply_identity(conn, &row, &agent.name, agent.department.as_deref(), req.send_as)?;
            let message = insert_message(
                conn,
                &mut row,
                &NewMessage {
                    id: &id,
                    session_id: req.session_id.as_str(),
                    sender: Sender::Admin,
                    agent_id: Some(&agent.id),
                    sent_as: Some(req.send_as),
                    display_name: Some(&shown_name),
                    department: department.as_deref(),
                    body: req.text.as_str(),
                    kind: MessageKind::Text,
                    created_at: now,
                    client_timestamp: req.client_timestamp.as_deref(),
                },
            )?;
            audit::record(
                conn,
                now,
                Some(&agent.id),
                "reply",
                Some(&row.id),
                Some(&json!({"messageId": message.id, "sendAs": req.send_as.as_str(), "shownAs": shown_name})),
            )?;
            let snapshot = live::snapshot_of(&row, Some((message.seq, &message.id)));
            Ok((SendOutcome::Sent(message, snapshot), assigned))
        })
        .await?;
    let (outcome, assigned) = outcome;
    let (sent, stored) = after_send(ctx, outcome, Typist::Agent)?;
    if let (Some(session_id), true) = (stored, assigned) {
        ctx.bus.publish(DashboardEvent::SessionDetails(session_id));
    }
    Ok(sent)
}
