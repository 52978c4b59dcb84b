//! One column value as both engines can state it, how it travels to PostgreSQL, and the
//! canonical rendering both sides hash, so a checksum never depends on which driver read it.

use sha2::{Digest as _, Sha256};
use tokio_postgres::types::ToSql;

/// How a column is kept in PostgreSQL. SQLite keeps all three as INTEGER or TEXT; the kind
/// says how a SQLite value is carried over (0/1 become booleans).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Text,
    Int,
    Bool,
}

impl Kind {
    /// The kind of a PostgreSQL column of type `data_type` (as `information_schema` names
    /// it); `None` for a type this command cannot copy.
    pub(super) fn of_postgres(data_type: &str) -> Option<Kind> {
        match data_type {
            "text" => Some(Kind::Text),
            "bigint" => Some(Kind::Int),
            "boolean" => Some(Kind::Bool),
            _ => None,
        }
    }

    /// The array type a batch of this column is sent as.
    pub(super) fn array_type(self) -> &'static str {
        match self {
            Kind::Text => "text[]",
            Kind::Int => "bigint[]",
            Kind::Bool => "boolean[]",
        }
    }
}

/// An owned value read from SQLite: what a batch carries and a resume key is made of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Value {
    Null,
    Int(i64),
    Text(String),
}

impl Value {
    /// A key value as JSON, for the progress table.
    pub(super) fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Int(i) => serde_json::Value::from(*i),
            Value::Text(s) => serde_json::Value::from(s.as_str()),
        }
    }

    /// The value [`Value::to_json`] wrote.
    pub(super) fn from_json(json: &serde_json::Value) -> Option<Value> {
        match json {
            serde_json::Value::Null => Some(Value::Null),
            serde_json::Value::Number(n) => n.as_i64().map(Value::Int),
            serde_json::Value::String(s) => Some(Value::Text(s.clone())),
            _ => None,
        }
    }

    /// Roughly how many bytes the value takes, to keep a batch's size bounded.
    pub(super) fn weight(&self) -> usize {
        match self {
            Value::Null | Value::Int(_) => 8,
            Value::Text(s) => s.len() + 8,
        }
    }
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Null => ValueRef::Null,
            Value::Int(i) => ValueRef::Integer(*i),
            Value::Text(s) => ValueRef::Text(s.as_bytes()),
        }))
    }
}

/// A borrowed value on its way into a checksum. Booleans arrive as `Int` 0 or 1, as SQLite
/// stores them.
#[derive(Clone, Copy, Debug)]
pub(super) enum Cell<'a> {
    Null,
    Int(i64),
    Text(&'a str),
}

/// How many rows a table holds and the SHA-256 of their canonical rendering in key order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Digest {
    pub rows: u64,
    pub sha256: [u8; 32],
}

impl Digest {
    /// The checksum's first `chars` hex digits, for a summary.
    pub fn short_hex(&self, chars: usize) -> String {
        let hex: String = self.sha256.iter().map(|b| format!("{b:02x}")).collect();
        hex.chars().take(chars).collect()
    }
}

/// Hashes rows as they stream by. Each cell is written with its type and, for text, its
/// length, and each row ends with a newline, so no two different row sets render alike.
pub(super) struct RowHasher {
    sha: Sha256,
    rows: u64,
}

impl RowHasher {
    pub(super) fn new() -> RowHasher {
        RowHasher {
            sha: Sha256::new(),
            rows: 0,
        }
    }

    pub(super) fn cell(&mut self, cell: Cell<'_>) {
        let mut digits = [0u8; 24];
        match cell {
            Cell::Null => self.sha.update(b"N;"),
            Cell::Int(i) => {
                self.sha.update(b"I");
                self.sha.update(decimal(&mut digits, i));
                self.sha.update(b";");
            }
            Cell::Text(s) => {
                self.sha.update(b"T");
                self.sha.update(decimal(&mut digits, s.len() as i64));
                self.sha.update(b":");
                self.sha.update(s.as_bytes());
            }
        }
    }

    pub(super) fn end_row(&mut self) {
        self.sha.update(b"\n");
        self.rows += 1;
    }

    pub(super) fn finish(self) -> Digest {
        Digest {
            rows: self.rows,
            sha256: self.sha.finalize().into(),
        }
    }
}

/// `n` in decimal, written into `buffer` (24 bytes hold every i64): a checksum renders one
/// number per integer cell, so this allocates nothing.
fn decimal(buffer: &mut [u8; 24], n: i64) -> &[u8] {
    use std::io::Write;
    let mut cursor = std::io::Cursor::new(&mut buffer[..]);
    // Cannot fail: the buffer is longer than any i64's rendering.
    let _ = write!(cursor, "{n}");
    let len = cursor.position() as usize;
    &buffer[..len]
}

/// One column of a batch, in the array type PostgreSQL's `unnest` takes.
pub(super) enum ColumnArray {
    Text(Vec<Option<String>>),
    Int(Vec<Option<i64>>),
    Bool(Vec<Option<bool>>),
}

impl ColumnArray {
    pub(super) fn new(kind: Kind, capacity: usize) -> ColumnArray {
        match kind {
            Kind::Text => ColumnArray::Text(Vec::with_capacity(capacity)),
            Kind::Int => ColumnArray::Int(Vec::with_capacity(capacity)),
            Kind::Bool => ColumnArray::Bool(Vec::with_capacity(capacity)),
        }
    }

    /// Adds `value`; an `Err` says why it does not fit this column (what SQLite holds there).
    pub(super) fn push(&mut self, value: Value) -> Result<(), String> {
        match (self, value) {
            (ColumnArray::Text(v), Value::Null) => v.push(None),
            (ColumnArray::Int(v), Value::Null) => v.push(None),
            (ColumnArray::Bool(v), Value::Null) => v.push(None),
            (ColumnArray::Text(v), Value::Text(s)) => v.push(Some(s)),
            (ColumnArray::Int(v), Value::Int(i)) => v.push(Some(i)),
            (ColumnArray::Bool(v), Value::Int(0)) => v.push(Some(false)),
            (ColumnArray::Bool(v), Value::Int(1)) => v.push(Some(true)),
            (ColumnArray::Bool(_), Value::Int(i)) => return Err(format!("{i}, not 0 or 1")),
            (_, Value::Int(i)) => return Err(format!("the integer {i} where text belongs")),
            (_, Value::Text(s)) => return Err(format!("the text {s:?} where a number belongs")),
        }
        Ok(())
    }

    pub(super) fn as_param(&self) -> &(dyn ToSql + Sync) {
        match self {
            ColumnArray::Text(v) => v,
            ColumnArray::Int(v) => v,
            ColumnArray::Bool(v) => v,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(rows: &[&[Cell<'_>]]) -> Digest {
        let mut hasher = RowHasher::new();
        for row in rows {
            for cell in *row {
                hasher.cell(*cell);
            }
            hasher.end_row();
        }
        hasher.finish()
    }

    #[test]
    fn renderings_that_look_alike_hash_differently() {
        let cases: [&[&[Cell<'_>]]; 5] = [
            &[&[Cell::Text("ab"), Cell::Text("c")]],
            &[&[Cell::Text("a"), Cell::Text("bc")]],
            &[&[Cell::Text("a")], &[Cell::Text("bc")]],
            &[&[Cell::Text("1")]],
            &[&[Cell::Int(1)]],
        ];
        let digests: Vec<Digest> = cases.iter().map(|rows| digest(rows)).collect();
        for (i, a) in digests.iter().enumerate() {
            for b in &digests[i + 1..] {
                assert_ne!(a.sha256, b.sha256);
            }
        }
        assert_ne!(
            digest(&[&[Cell::Null]]).sha256,
            digest(&[&[Cell::Text("")]]).sha256
        );
        assert_eq!(digests[2].rows, 2);
    }

    #[test]
    fn booleans_take_only_zero_and_one() {
        let mut column = ColumnArray::new(Kind::Bool, 3);
        column.push(Value::Int(0)).unwrap();
        column.push(Value::Int(1)).unwrap();
        column.push(Value::Null).unwrap();
        assert!(column.push(Value::Int(2)).is_err());
        assert!(matches!(column, ColumnArray::Bool(v) if v == [Some(false), Some(true), None]));
    }

    #[test]
    fn keys_survive_the_progress_table() {
        for value in [Value::Int(-3), Value::Text("chat_1".into()), Value::Null] {
            assert_eq!(Value::from_json(&value.to_json()), Some(value));
        }
    }
}
