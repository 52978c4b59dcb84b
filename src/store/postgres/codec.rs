//! How domain types are stored: times as BIGINT milliseconds, enums as their snake_case names
//! in TEXT columns, exactly as the SQLite engine stores them.

use std::error::Error as StdError;

use bytes::BytesMut;
use tokio_postgres::types::{FromSql, IsNull, ToSql, Type, to_sql_checked};

use crate::domain::{
    Channel, MessageKind, Priority, Role, SendAs, Sender, SessionStatus, Timestamp,
};

type Boxed = Box<dyn StdError + Sync + Send>;

impl ToSql for Timestamp {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, Boxed> {
        self.0.to_sql(ty, out)
    }

    fn accepts(ty: &Type) -> bool {
        <i64 as ToSql>::accepts(ty)
    }

    to_sql_checked!();
}

impl<'a> FromSql<'a> for Timestamp {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, Boxed> {
        i64::from_sql(ty, raw).map(Timestamp)
    }

    fn accepts(ty: &Type) -> bool {
        <i64 as FromSql>::accepts(ty)
    }
}

macro_rules! text_enum {
    ($ty:ty) => {
        impl ToSql for $ty {
            fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, Boxed> {
                self.as_str().to_sql(ty, out)
            }

            fn accepts(ty: &Type) -> bool {
                <&str as ToSql>::accepts(ty)
            }

            to_sql_checked!();
        }

        impl<'a> FromSql<'a> for $ty {
            fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, Boxed> {
                let text = <&str as FromSql>::from_sql(ty, raw)?;
                <$ty>::parse(text).ok_or_else(|| format!("unknown value {text:?}").into())
            }

            fn accepts(ty: &Type) -> bool {
                <&str as FromSql>::accepts(ty)
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
