//! Opening a fresh store per case.

use std::sync::Arc;

use async_trait::async_trait;
use frontdesk::domain::Timestamp;
use frontdesk::store::{SqliteStore, Storage};

/// A fresh SQLite store in its own temporary directory; the directory lives as long as the store.
pub struct Fresh {
    pub store: Arc<dyn Storage>,
    /// Arranges state the team suite needs but the team interface cannot create.
    pub seed: Arc<dyn Seed>,
    _dir: tempfile::TempDir,
}

/// Engine-specific arrangement for cases that need chats (the team suite cannot start one).
#[async_trait]
pub trait Seed: Send + Sync {
    /// Starts an active chat assigned to `agent_id` at `at`; returns its id.
    async fn active_chat_assigned_to(&self, agent_id: &str, at: Timestamp) -> String;
}

struct SqliteSeed(SqliteStore);

#[async_trait]
impl Seed for SqliteSeed {
    async fn active_chat_assigned_to(&self, agent_id: &str, at: Timestamp) -> String {
        use frontdesk::store::sessions;
        let id = frontdesk::domain::ids::generate("sess", at.0);
        let (session, agent) = (id.clone(), agent_id.to_string());
        self.0
            .write(move |conn| {
                sessions::insert(
                    conn,
                    &sessions::NewSession {
                        id: &session,
                        user_id: "user-1",
                        user_name: None,
                        user_email: None,
                        user_phone: None,
                        is_guest: false,
                        persona_id: None,
                        created_at: at,
                        client_start_time: None,
                        metadata: None,
                    },
                )?;
                sessions::set_assignment(conn, &session, Some(&agent), at)
            })
            .await
            .expect("seed an assigned chat");
        id
    }
}

pub async fn open_sqlite() -> Fresh {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(&dir.path().join("conformance.db")).expect("open sqlite store");
    Fresh {
        seed: Arc::new(SqliteSeed(store.clone())),
        store: Arc::new(store),
        _dir: dir,
    }
}
