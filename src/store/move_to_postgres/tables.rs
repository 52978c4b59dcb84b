//! Which tables are copied, in which order, by which key, and the layout each one has on
//! both sides (read from PostgreSQL's catalogue and checked against the SQLite file).

use super::value::Kind;

/// A table to copy: its name, its primary key (the order rows are copied and checked in),
/// and what PostgreSQL's triggers derive from its rows that the copy takes back.
pub(super) struct TableSpec {
    pub(super) name: &'static str,
    pub(super) key: &'static [&'static str],
    /// Run in each batch's transaction with the batch's first key column as `$1` (a text
    /// array): removes the rows the target's triggers added for the batch, which the copy of
    /// their own table brings over with their original ids.
    pub(super) take_back_derived: Option<&'static str>,
}

const fn table(name: &'static str, key: &'static [&'static str]) -> TableSpec {
    TableSpec {
        name,
        key,
        take_back_derived: None,
    }
}

/// Every table of the schema, each after the tables its foreign keys name. Triggers on the
/// target shape the rest of the order:
/// - `outbox_wanted` comes last: the outbox triggers write only for the event types it
///   lists, so while it is empty inserting chats, messages and ratings adds no outbox rows
///   (`outbox_events` is copied as it stands);
/// - `search_docs` comes after `sessions` and `notes`: their insert triggers write search
///   documents, which each batch takes back, and `search_docs` is then copied with its ids,
///   so search keeps ordering hits by id as it did;
/// - the agents' load (`active_chats`) is kept by triggers on UPDATE of sessions only; the
///   copy only inserts, so the counts arrive as the source has them.
pub(super) const TABLES: &[TableSpec] = &[
    table("server_settings", &["key"]),
    table("agents", &["id"]),
    table("personas", &["id"]),
    TableSpec {
        name: "sessions",
        key: &["id"],
        take_back_derived: Some(
            "DELETE FROM search_docs WHERE source = 'customer' AND session_id = ANY($1::text[])",
        ),
    },
    table("messages", &["seq"]),
    table("ratings", &["id"]),
    TableSpec {
        name: "notes",
        key: &["id"],
        take_back_derived: Some(
            "DELETE FROM search_docs WHERE source = 'note' AND item_id = ANY($1::text[])",
        ),
    },
    table("canned_responses", &["id"]),
    table("audit_events", &["seq"]),
    table("dashboard_sessions", &["token_hash"]),
    table("settings", &["key"]),
    table("blobs", &["hash"]),
    table("attachments", &["id"]),
    table("webhook_endpoints", &["id"]),
    table("webhook_deliveries", &["id"]),
    table("outbox_events", &["seq"]),
    table("email_outbox", &["id"]),
    table("push_tokens", &["token"]),
    table("push_outbox", &["id"]),
    table("labels", &["id"]),
    table("chat_labels", &["label_id", "session_id"]),
    table("day_stats", &["label_id", "day"]),
    table("agent_day_stats", &["label_id", "day", "agent_id"]),
    table("search_docs", &["id"]),
    table("outbox_wanted", &["type"]),
];

/// Tables of the target that are not data: the schema's version and this command's record.
pub(super) const NOT_COPIED: &[&str] = &["schema_migrations", PROGRESS_TABLE];

/// The table this command keeps its progress in (not part of the schema; the server never
/// reads it). It stays after the move as the record of where the data came from.
pub(super) const PROGRESS_TABLE: &str = "migration_progress";

/// A column as PostgreSQL keeps it. Generated columns (the search vectors) are left out:
/// PostgreSQL computes them.
#[derive(Clone, Debug)]
pub(super) struct Column {
    pub(super) name: String,
    pub(super) kind: Kind,
    /// `GENERATED ALWAYS AS IDENTITY`: inserted with `OVERRIDING SYSTEM VALUE`, and its
    /// sequence moved past the copied values at the end.
    pub(super) identity: bool,
}

/// One table's layout: its spec and its copied columns in the target's order.
#[derive(Debug)]
pub(super) struct Table {
    pub(super) name: &'static str,
    pub(super) key: &'static [&'static str],
    pub(super) take_back_derived: Option<&'static str>,
    pub(super) columns: Vec<Column>,
}

impl Table {
    pub(super) fn new(spec: &TableSpec, columns: Vec<Column>) -> Table {
        Table {
            name: spec.name,
            key: spec.key,
            take_back_derived: spec.take_back_derived,
            columns,
        }
    }

    /// The columns, quoted and joined for a column list.
    pub(super) fn column_list(&self) -> String {
        join(self.columns.iter().map(|c| quoted(&c.name)))
    }

    /// Where each key column sits among the columns.
    pub(super) fn key_positions(&self) -> Vec<usize> {
        self.key
            .iter()
            .filter_map(|k| self.columns.iter().position(|c| c.name == *k))
            .collect()
    }

    /// The key columns joined, each followed by `suffix` (a collation, or nothing).
    pub(super) fn key_list(&self, suffix: impl Fn(&Column) -> &'static str) -> String {
        join(self.key_positions().into_iter().map(|i| {
            let column = &self.columns[i];
            format!("{}{}", quoted(&column.name), suffix(column))
        }))
    }

    pub(super) fn identity(&self) -> Option<&Column> {
        self.columns.iter().find(|c| c.identity)
    }

    pub(super) fn quoted_name(&self) -> String {
        quoted(self.name)
    }
}

/// An identifier as both engines read it, whatever it holds.
pub(super) fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn join(parts: impl Iterator<Item = String>) -> String {
    parts.collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_is_listed_once() {
        let mut names: Vec<&str> = TABLES.iter().map(|t| t.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), TABLES.len());
        assert_eq!(TABLES.last().map(|t| t.name), Some("outbox_wanted"));
    }
}
