//! Opening a fresh store per case.

use std::sync::Arc;

use frontdesk::domain::{Role, Timestamp};
use frontdesk::store::{SqliteStore, Storage};

/// The engine behind a [`Fresh`] store, for the little arranging the traits cannot do yet.
enum Engine {
    Sqlite(SqliteStore),
}

/// A fresh store in its own temporary directory; the directory lives as long as the store.
pub struct Fresh {
    pub store: Arc<dyn Storage>,
    engine: Engine,
    _dir: tempfile::TempDir,
}

pub async fn open_sqlite() -> Fresh {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(&dir.path().join("conformance.db")).expect("open sqlite store");
    Fresh {
        store: Arc::new(store.clone()),
        engine: Engine::Sqlite(store),
        _dir: dir,
    }
}

impl Fresh {
    /// Adds an agent with this role and capacity, online and seen at `seen`. Engine-specific
    /// until `TeamStore` can create agents; a second engine adds its own arm here.
    pub async fn add_agent(&self, id: &str, role: Role, capacity: i64, seen: Timestamp) {
        let id = id.to_string();
        match &self.engine {
            Engine::Sqlite(store) => store
                .write(move |conn| {
                    frontdesk::store::agents::insert(
                        conn,
                        &frontdesk::store::agents::NewAgent {
                            id: &id,
                            email: &format!("{id}@example.com"),
                            name: &id,
                            department: None,
                            role,
                            password_hash: "x",
                            max_concurrent_chats: capacity,
                            at: seen,
                        },
                    )?;
                    frontdesk::store::agents::set_online(conn, &id, true, seen)?;
                    Ok(())
                })
                .await
                .expect("add agent"),
        }
    }
}
