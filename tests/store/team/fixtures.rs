//! Shared arrangement for the team cases.

use std::sync::Arc;

use frontdesk::domain::Role;
use frontdesk::domain::Timestamp;
use frontdesk::domain::agent::NewAgent;
use frontdesk::domain::dashboard_session::DashboardSessionRecord;
use frontdesk::store::Storage;

pub const T0: Timestamp = Timestamp(1_765_000_000_000);

pub const TASKS: usize = 16;

pub fn at(offset_ms: i64) -> Timestamp {
    Timestamp(T0.0 + offset_ms)
}

pub fn new_agent(id: &str, email: &str, role: Role) -> NewAgent {
    NewAgent {
        id: id.into(),
        email: email.into(),
        name: format!("Agent {id}"),
        department: None,
        role,
        password_hash: "not-a-real-hash".into(),
        max_concurrent_chats: 5,
    }
}

pub async fn add(store: &Arc<dyn Storage>, id: &str, role: Role) {
    store
        .create_agent(new_agent(id, &format!("{id}@example.com"), role), None, T0)
        .await
        .expect("create agent");
}

pub async fn enabled_super_admins(store: &Arc<dyn Storage>) -> Vec<String> {
    let agents = store.agents().await.expect("list agents");
    agents
        .into_iter()
        .filter(|l| l.agent.is_enabled_super_admin())
        .map(|l| l.agent.id)
        .collect()
}

pub fn dashboard_session(hash: &str, agent: &str, now: Timestamp) -> DashboardSessionRecord {
    DashboardSessionRecord {
        token_hash: hash.into(),
        agent_id: agent.into(),
        csrf_token: format!("csrf-{hash}"),
        created_at: now,
        last_seen_at: now,
    }
}
