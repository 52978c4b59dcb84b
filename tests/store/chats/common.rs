//! Arranging shared by the chat cases.

use std::sync::Arc;

use frontdesk::domain::session::IdleRule;
use frontdesk::domain::{Channel, SendAs, SessionOwner, Timestamp};
use frontdesk::store::Storage;
use frontdesk::store::chats::{
    AssignRequest, NewAgentMessage, NewUserMessage, SendOutcome, StartKind, StartSession,
};

pub const T0: Timestamp = Timestamp(1_000_000);
/// Long enough that nothing expires unless a case moves time on purpose.
pub const IDLE: IdleRule = IdleRule {
    timeout_ms: 60 * 60_000,
};

/// Starts `id` for `user` and checks it was created.
pub async fn start(store: &Arc<dyn Storage>, id: &str, user: &str) {
    let outcome = store
        .start_session(start_request(id, user))
        .await
        .expect("start session");
    assert_eq!(outcome.kind, StartKind::Created);
    assert_eq!(outcome.state.session.id, id);
}

pub fn user_message(session: &str, id: &str, text: &str, now: Timestamp) -> NewUserMessage {
    NewUserMessage {
        owner: SessionOwner::user("u1"),
        session_id: session.into(),
        message_id: id.into(),
        text: text.into(),
        attachments: Vec::new(),
        client_timestamp: None,
        now,
        idle: IDLE,
    }
}

pub async fn send(store: &Arc<dyn Storage>, session: &str, id: &str, text: &str) -> SendOutcome {
    store
        .append_user_message(user_message(session, id, text, T0))
        .await
        .expect("append")
}

pub fn assign_req(session: &str, agent: &str) -> AssignRequest {
    AssignRequest {
        session_id: session.into(),
        agent_id: agent.into(),
        actor_id: Some(agent.into()),
        now: T0,
        idle: IDLE,
    }
}

pub async fn load(store: &Arc<dyn Storage>, agent: &str) -> i64 {
    store
        .agents()
        .await
        .expect("agent loads")
        .into_iter()
        .find(|a| a.agent.id == agent)
        .expect("agent exists")
        .active_chats
}

/// A start request for `id` by `user`, at [`T0`].
pub fn start_request(id: &str, user: &str) -> StartSession {
    StartSession {
        wanted_id: Some(id.to_string()),
        fresh_id: format!("{id}_fresh"),
        user_id: user.to_string(),
        user_name: None,
        user_email: None,
        user_phone: None,
        is_guest: false,
        persona_id: None,
        client_start_time: None,
        metadata: None,
        welcome: None,
        now: T0,
        idle: IDLE,
        guest_addr: None,
        caps: None,
        channel: Channel::App,
        first_message: None,
    }
}

/// An agent's reply as themselves, at [`T0`].
pub fn reply(session: &str, id: &str, agent: &str) -> NewAgentMessage {
    NewAgentMessage {
        session_id: session.into(),
        message_id: id.into(),
        text: "on it".into(),
        agent_id: agent.into(),
        agent_name: agent.into(),
        department: None,
        send_as: SendAs::Agent,
        attachments: Vec::new(),
        client_timestamp: None,
        now: T0,
        idle: IDLE,
    }
}
