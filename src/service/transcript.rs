//! A chat as agents see it: the whole transcript with the real agent of every reply, notes,
//! rating and the user's earlier chats. Opening it marks the user's messages read.

use super::live::{self, idle_rule};
use super::{AgentPrincipal, Services};
use crate::domain::agent::Agent;
use crate::domain::label::Label;
use crate::domain::message::Message;
use crate::domain::note::Note;
use crate::domain::persona::Persona;
use crate::domain::rating::Rating;
use crate::domain::session::Session;
use crate::domain::{Permission, Sender, SessionStatus};
use crate::error::{Error, Result};
use crate::realtime::{DashboardEvent, LiveState};
use crate::store::chats::ChatRecord;

#[derive(Debug)]
pub struct SessionDetail {
    pub session: Session,
    pub persona: Option<Persona>,
    pub agent: Option<Agent>,
    pub messages: Vec<Message>,
    /// Names of the agents who wrote each reply, by agent id.
    pub agent_names: Vec<(String, String)>,
    pub notes: Vec<Note>,
    pub rating: Option<Rating>,
    pub earlier_sessions: Vec<Session>,
    pub labels: Vec<Label>,
    pub user_typing: bool,
}

impl SessionDetail {
    /// True when a user message has not been seen by an agent yet.
    fn has_unread(&self) -> bool {
        let newest_from_user = self
            .messages
            .iter()
            .rev()
            .find(|m| m.sender == Sender::User)
            .map_or(0, |m| m.seq);
        self.session.unread_by_agent > 0 || newest_from_user > self.session.agent_read_seq
    }

    pub fn agent_name(&self, agent_id: &str) -> Option<&str> {
        self.agent_names
            .iter()
            .find(|(id, _)| id == agent_id)
            .map(|(_, name)| name.as_str())
    }
}

#[tracing::instrument(level = "debug", 
    skip_all,
    err(level = "debug"),
    fields(agent_id = %actor.id, session_id = %session_id)
)]
pub async fn detail(
    ctx: &Services,
    actor: &AgentPrincipal,
    session_id: &str,
) -> Result<SessionDetail> {
    actor.require(Permission::ViewChats)?;
    let detail = load(ctx, session_id).await?;
    // Most views (every live refresh) find nothing unread: only then is the writer involved.
    if actor.role.can(Permission::Reply) && detail.has_unread() {
        mark_read(ctx, session_id).await?;
        return load(ctx, session_id).await;
    }
    Ok(detail)
}

async fn load(ctx: &Services, session_id: &str) -> Result<SessionDetail> {
    let now = ctx.clock.now();
    let record = current_record(ctx, session_id).await?;
    let session = record.session;
    let user_typing = session.status == SessionStatus::Active
        && ctx
            .hub
            .get(session_id)
            .is_some_and(|cell| LiveState::user_typing(&cell.state(), now));
    Ok(SessionDetail {
        session,
        persona: record.persona,
        agent: record.agent,
        messages: record.messages,
        agent_names: record.agent_names,
        notes: record.notes,
        rating: record.rating,
        earlier_sessions: record.earlier_sessions,
        labels: record.labels,
        user_typing,
    })
}

/// The stored chat, its status as of now: a chat silent past the timeout reads as expired even
/// before the sweeper has written it down. `SessionNotFound` when there is no such chat.
pub(super) async fn current_record(ctx: &Services, session_id: &str) -> Result<ChatRecord> {
    let mut record = ctx
        .store
        .chat_record(session_id.to_string())
        .await?
        .ok_or(Error::SessionNotFound)?;
    let s = &mut record.session;
    s.status =
        idle_rule(ctx).effective_status(s.channel, s.status, s.last_activity_at, ctx.clock.now());
    Ok(record)
}

/// Marks the user's messages read by support, telling the user's stream and the queue.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"), fields(session_id = %session_id))]
pub async fn mark_read(ctx: &Services, session_id: &str) -> Result<()> {
    let state = ctx
        .store
        .mark_read_by_agent(session_id.to_string(), ctx.clock.now())
        .await?;
    if let Some(state) = state {
        live::publish(ctx, &state);
        ctx.bus
            .publish(DashboardEvent::Transcript(session_id.into()));
        ctx.bus.publish(DashboardEvent::QueueChanged);
    }
    Ok(())
}
