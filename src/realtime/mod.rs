//! In-memory realtime state: the per-session hub (polls, long-polls, client streams) and the
//! event bus the dashboard listens to. Nothing here touches storage.

pub mod events;
pub mod hub;

pub use events::{DashboardEvent, EventBus};
pub use hub::{HoldKind, HoldPermit, Hub, LiveState, SessionCell, SessionSnapshot, Typist};
