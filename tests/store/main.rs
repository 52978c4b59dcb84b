//! The store conformance suite: every case talks to the storage traits directly (no HTTP, no
//! services), so a second engine proves itself by adding one line per suite below.
//!
//! Cases live in `chats.rs`, `export.rs`, `labels.rs`, `lifecycle.rs`, `outbox.rs`, `search.rs`
//! and `team.rs`; each defines a `*_suite!` macro that expands to one `#[tokio::test]` per case
//! for an engine, given a function that opens a fresh, empty store.

#[path = "../shared/postgres.rs"]
mod postgres;
mod support;

#[macro_use]
mod chats;
#[macro_use]
mod export;
#[macro_use]
mod labels;
#[macro_use]
mod lifecycle;
#[macro_use]
mod outbox;
#[macro_use]
mod search;
#[macro_use]
mod team;

chats_suite!(sqlite_chats, crate::support::open_sqlite);
export_suite!(sqlite_export, crate::support::open_sqlite);
labels_suite!(sqlite_labels, crate::support::open_sqlite);
lifecycle_suite!(sqlite_lifecycle, crate::support::open_sqlite);
outbox_suite!(sqlite_outbox, crate::support::open_sqlite);
search_suite!(sqlite_search, crate::support::open_sqlite);
team_suite!(sqlite_team, crate::support::open_sqlite);

chats_suite!(postgres_chats, crate::support::open_postgres);
export_suite!(postgres_export, crate::support::open_postgres);
labels_suite!(postgres_labels, crate::support::open_postgres);
lifecycle_suite!(postgres_lifecycle, crate::support::open_postgres);
// Replicas share one database only on PostgreSQL (SQLite is one process's file).
outbox_suite!(
    postgres_outbox,
    crate::support::open_postgres,
    replicas = crate::support::open_postgres_replicas
);
search_suite!(postgres_search, crate::support::open_postgres);
team_suite!(postgres_team, crate::support::open_postgres);
