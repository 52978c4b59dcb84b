//! Opening a fresh store per case, and the little arranging several suites share. Everything
//! goes through the storage traits, so a second engine needs only its own `open_*` function.

use std::sync::Arc;

use frontdesk::domain::agent::NewAgent;
use frontdesk::domain::session::IdleRule;
use frontdesk::domain::{Channel, Role, Timestamp};
use frontdesk::store::chats::{AssignRequest, StartSession};
use frontdesk::store::files::FileDir;
use frontdesk::store::{PgStore, SqliteStore, Storage};

/// A fresh store in its own temporary directory; the directory lives as long as the store.
pub struct Fresh {
    pub store: Arc<dyn Storage>,
    _dir: tempfile::TempDir,
}

pub async fn open_sqlite() -> Fresh {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(&dir.path().join("conformance.db")).expect("open sqlite store");
    Fresh {
        store: Arc::new(store),
        _dir: dir,
    }
}

/// A fresh, empty database of the tests' throwaway PostgreSQL cluster.
pub async fn open_postgres() -> Fresh {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = crate::postgres::Cluster::get().fresh_database().await;
    Fresh {
        store: open_postgres_handle(&url, &dir).await,
        _dir: dir,
    }
}

/// Two stores on one database, as two replicas of the server hold them.
pub struct Replicas {
    pub one: Fresh,
    pub two: Arc<dyn Storage>,
}

/// Two handles on one fresh PostgreSQL database, each with its own connection pool, sharing
/// the database and the files folder as two server processes do.
pub async fn open_postgres_replicas() -> Replicas {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = crate::postgres::Cluster::get().fresh_database().await;
    let two = open_postgres_handle(&url, &dir).await;
    Replicas {
        one: Fresh {
            store: open_postgres_handle(&url, &dir).await,
            _dir: dir,
        },
        two,
    }
}

async fn open_postgres_handle(url: &str, dir: &tempfile::TempDir) -> Arc<dyn Storage> {
    let store = PgStore::open(url, FileDir::at(&dir.path().join("files")))
        .await
        .expect("open postgres store");
    Arc::new(store)
}

/// Long enough that nothing expires while a case arranges its state.
const NO_EXPIRY: IdleRule = IdleRule {
    timeout_ms: 24 * 60 * 60_000,
};

impl Fresh {
    /// Adds an agent with this role and capacity, online and seen at `seen`.
    pub async fn add_agent(&self, id: &str, role: Role, capacity: i64, seen: Timestamp) {
        let agent = NewAgent {
            id: id.to_string(),
            email: format!("{id}@example.com"),
            name: id.to_string(),
            department: None,
            role,
            password_hash: "x".to_string(),
            max_concurrent_chats: capacity,
        };
        self.store
            .create_agent(agent, None, seen)
            .await
            .expect("add agent");
        self.store
            .set_agent_online(id, true, "status_online", seen)
            .await
            .expect("agent online");
    }

    /// Starts an active chat at `at` and assigns it to `agent_id`; returns its id.
    pub async fn active_chat_assigned_to(&self, agent_id: &str, at: Timestamp) -> String {
        let id = format!("chat_{agent_id}_{}", at.0);
        let started = self
            .store
            .start_session(StartSession {
                wanted_id: Some(id.clone()),
                fresh_id: format!("{id}_fresh"),
                user_id: "user-1".to_string(),
                user_name: None,
                user_email: None,
                user_phone: None,
                is_guest: false,
                persona_id: None,
                client_start_time: None,
                metadata: None,
                welcome: None,
                now: at,
                idle: NO_EXPIRY,
                guest_addr: None,
                caps: None,
                channel: Channel::App,
                first_message: None,
            })
            .await
            .expect("start a chat");
        assert_eq!(started.state.session.id, id, "the chat got the wanted id");
        self.store
            .assign(AssignRequest {
                session_id: id.clone(),
                agent_id: agent_id.to_string(),
                actor_id: None,
                now: at,
                idle: NO_EXPIRY,
            })
            .await
            .expect("assign the chat");
        id
    }
}
