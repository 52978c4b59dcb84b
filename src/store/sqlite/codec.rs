//! How domain types are stored: times as INTEGER milliseconds, enums as their snake_case names.

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

use crate::domain::{
    Channel, MessageKind, Priority, Role, SendAs, Sender, SessionStatus, Timestamp,
};

impl ToSql for Timestamp {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.0))
    }
}

impl FromSql for Timestamp {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        i64::column_result(value).map(Timestamp)
    }
}

macro_rules! text_enum {
    ($ty:ty) => {
        impl ToSql for $ty {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                Ok(ToSqlOutput::from(self.as_str()))
            }
        }

        impl FromSql for $ty {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                let text = value.as_str()?;
                <$ty>::parse(text)
                    .ok_or_else(|| FromSqlError::Other(format!("unknown value {text:?}").into()))
            }
        }
    };
}

text_enum!(SessionStatus);
text_enum!(Sender);
text_enum!(MessageKind);
text_enum!(SendAs);
text_enum!(Role);
text_enum!(Priority);
text_enum!(Channel);
