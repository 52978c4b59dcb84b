//! frontdesk: a self-hosted customer-support chat server on one SQLite file.
//!
//! Data flows one way: `http -> service -> {store, auth, realtime} -> domain`.

pub mod app;
pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod domain;
pub mod error;
pub mod http;
pub mod logs;
pub mod media;
pub mod metrics;
pub mod realtime;
pub mod service;
pub mod store;

pub use app::{App, build, run};
pub use config::Settings;
