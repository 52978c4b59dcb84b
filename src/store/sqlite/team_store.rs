//! [`TeamStore`] on SQLite. Each method runs as one job of the group-commit writer (or one read
//! on the reader pool) and keeps its guarantee with conditional statements, not by relying on
//! there being a single writer.

use async_trait::async_trait;

use super::SqliteStore;
use crate::store::TeamStore;

#[async_trait]
impl TeamStore for SqliteStore {}
