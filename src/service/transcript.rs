//! A chat as agents see it: the whole transcript with the real agent of every reply, notes,
//! rating and the user's earlier chats. Opening it marks the user's messages read.

use super::{AgentPrincipal, Services, live};
use crate::domain::{Permission, Sender, SessionStatus};
use crate::error::{Error, Result};
use crate::realtime::{DashboardEvent, LiveState};
use crate::store::agents::{self, AgentRow};
use crate::store::messages::{self, MessageRow};
use crate::store::notes::{self, NoteRow};
use crate::store::personas::{self, PersonaRow};
use crate::store::ratings::{self, RatingRow};
use crate::store::sessions::{self, SessionRow};

/// How many earlier chats of the same user to show.
const EARLIER_SESSIONS: i64 = 10;

#[derive(Debug)]
pub struct SessionDetail {
    pub session: SessionRow,
    pub persona: Option<PersonaRow>,
    pub agent: Option<AgentRow>,
    pub messages: Vec<MessageRow>,
    /// Names of the agents who wrote each reply, by agent id.
    pub agent_names: Vec<(String, String)>,
    pub notes: Vec<NoteRow>,
    pub rating: Option<RatingRow>,
    pub earlier_sessions: Vec<SessionRow>,
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
    let id = session_id.to_string();
    let now = ctx.clock.now();
    let timeout_ms = ctx.session_timeout_ms();
    let mut detail = ctx
        .store
        .read(move |conn| {
            let mut session = sessions::get(conn, &id)?.ok_or(Error::SessionNotFound)?;
            session.status =
                live::effective_status(session.status, session.last_activity_at, now, timeout_ms);
            let messages = messages::all(conn, &id)?;
            let mut agent_names = Vec::new();
            for agent_id in messages.iter().filter_map(|m| m.agent_id.as_deref()) {
                if !agent_names
                    .iter()
                    .any(|(known, _): &(String, String)| known == agent_id)
                    && let Some(agent) = agents::get(conn, agent_id)?
                {
                    agent_names.push((agent.id, agent.name));
                }
            }
            Ok(SessionDetail {
                persona: match &session.persona_id {
                    Some(p) => personas::get(conn, p)?,
                    None => None,
                },
                agent: match &session.assigned_agent_id {
                    Some(a) => agents::get(conn, a)?,
                    None => None,
                },
                notes: notes::for_session(conn, &id)?,
                rating: ratings::for_session(conn, &id)?,
                earlier_sessions: sessions::others_of_user(
                    conn,
                    &session.user_id,
                    &id,
                    EARLIER_SESSIONS,
                )?,
                messages,
                agent_names,
                session,
                user_typing: false,
            })
        })
        .await?;
    detail.user_typing = detail.session.status == SessionStatus::Active
        && ctx
            .hub
            .get(session_id)
            .is_some_and(|cell| LiveState::user_typing(&cell.state(), now));
    Ok(detail)
}

/// Marks the user's messages read by support, telling the user's stream and the queue.
pub async fn mark_read(ctx: &Services, session_id: &str) -> Result<()> {
    let (id, now) = (session_id.to_string(), ctx.clock.now());
    let snapshot = ctx
        .store
        .write(move |conn| {
            let Some(row) = sessions::get(conn, &id)? else {
                return Err(Error::SessionNotFound);
            };
            let Some((latest, _)) = messages::latest(conn, &id)? else {
                return Ok(None);
            };
            if row.unread_by_agent == 0 && row.agent_read_seq >= latest {
                return Ok(None);
            }
            messages::mark_read_by_agent(conn, &id, latest, now)?;
            sessions::mark_read_by_agent(conn, &id, latest)?;
            live::load_snapshot(conn, &id)
        })
        .await?;
    if let Some(snapshot) = snapshot {
        ctx.hub.publish(snapshot);
        ctx.bus
            .publish(DashboardEvent::Transcript(session_id.into()));
        ctx.bus.publish(DashboardEvent::QueueChanged);
    }
    Ok(())
}
