//! Storage behind an interface named by use case. service/ talks to the traits in this module
//! ([`ChatStore`], [`TeamStore`], together [`Storage`]); each engine lives in its own module
//! (`sqlite/` today) and owns its SQL, transactions and migrations.
//!
//! Transitional: the table modules and the closure-taking `read`/`write` of the SQLite engine are
//! still re-exported here while service/ moves onto the traits; they go once nothing uses them.

pub mod chats;
pub mod sqlite;
pub mod team;

pub use chats::ChatStore;
pub use team::TeamStore;

pub use sqlite::SqliteStore;
pub use sqlite::SqliteStore as Store;
pub use sqlite::{
    MIGRATION_COUNT, agents, analytics, audit, canned, dashboard_sessions, is_unique_violation,
    messages, notes, personas, ratings, server_settings, sessions,
};

/// Everything service/ needs from storage. A second engine implements the two traits and runs
/// the conformance suite in tests/store.
pub trait Storage: ChatStore + TeamStore + Send + Sync + 'static {}

impl<T: ChatStore + TeamStore + Send + Sync + 'static> Storage for T {}
