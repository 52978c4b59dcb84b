//! `GET /api/chat/availability`.

use serde::Serialize;

use crate::domain::Timestamp;
use crate::service::hours::AvailabilityNow;

/// Whether the widget offers a live chat or the offline form.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AvailabilityAnswer {
    pub online: bool,
    /// `open`, `closed` or `no_agents`.
    pub reason: &'static str,
    pub next_open_at: Option<Timestamp>,
    pub message: String,
}

impl From<AvailabilityNow> for AvailabilityAnswer {
    fn from(a: AvailabilityNow) -> Self {
        AvailabilityAnswer {
            online: a.online,
            reason: a.reason.as_str(),
            next_open_at: a.next_open_at,
            message: a.message,
        }
    }
}
