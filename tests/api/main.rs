//! Black-box tests: a real server on a random port, a real database (a SQLite file in a temp
//! dir, or with `FRONTDESK_TEST_DB=postgres` a fresh database of a throwaway PostgreSQL
//! cluster), HTTP.

// An answer whose status nobody looks at lets a failing arrange step pass.
#![deny(unused_must_use)]

mod helpers;
#[path = "../shared/postgres.rs"]
mod postgres;

mod admin_agents;
mod admin_analytics;
mod admin_assignment;
mod admin_content;
mod admin_queue;
mod admin_roles;
mod attachments;
mod broadcast;
mod client_end_rating;
mod client_messages;
mod client_poll;
mod client_session;
mod client_stream;
mod connections;
mod crash_safety;
mod dashboard;
mod edge_envelope;
mod email;
mod envelope;
mod export;
mod floods;
mod hours;
mod hub_consistency;
mod labels;
mod login_throttle;
mod metrics;
mod move_to_postgres;
mod openapi;
mod operations;
mod privacy;
mod process;
mod push;
mod realtime;
mod replicas;
mod settings;
mod socketio;

mod request_ids;
mod retention;
mod schemathesis;
mod search;
mod shipped_client;
mod token_edges;
mod tokens;
mod typed_answers;
mod webhooks;
mod websocket;
mod widget_assets;
mod widget_channel;
