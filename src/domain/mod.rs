//! Pure types and rules: no I/O, no clocks, no storage. Everything here can be unit-tested
//! by value.

pub mod agent;
pub mod analytics;
pub mod assignment;
pub mod attachment;
pub mod audit;
pub mod canned;
pub mod channel;
pub mod client_addr;
pub mod client_timestamp;
pub mod dashboard_session;
pub mod email;
pub mod file_kind;
pub mod hours;
pub mod ids;
pub mod label;
pub mod message;
pub mod metadata;
pub mod note;
pub mod owner;
pub mod persona;
pub mod priority;
pub mod rating;
pub mod rating_value;
pub mod role;
pub mod search;
pub mod session;
pub mod text;
pub mod time;
pub mod visitor;
pub mod webhook;

pub use channel::Channel;
pub use client_addr::{IpRange, TrustedProxies};
pub use client_timestamp::ClientTimestamp;
pub use email::Email;
pub use file_kind::FileKind;
pub use ids::{MessageId, SessionId};
pub use message::{MessageKind, SendAs, Sender};
pub use metadata::Metadata;
pub use owner::SessionOwner;
pub use priority::{Priority, PriorityThresholds};
pub use rating_value::RatingValue;
pub use role::{Permission, Role};
pub use session::{EndedBy, SessionStatus};
pub use text::MessageText;
pub use time::Timestamp;
