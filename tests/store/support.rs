//! Opening a fresh store per case.

use std::sync::Arc;

use frontdesk::store::{SqliteStore, Storage};

/// A fresh SQLite store in its own temporary directory; the directory lives as long as the store.
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
