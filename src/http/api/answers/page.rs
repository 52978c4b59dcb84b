//! Page numbers plus the total, which each endpoint names after what it counts: one struct
//! per name so that each answer's schema says exactly which total it carries.

use serde::Serialize;

use crate::service::Pagination;

/// `pagination` of the messages page.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessagesPage {
    #[serde(flatten)]
    pub pages: Pagination,
    pub total_messages: i64,
}

/// `pagination` of the chat history.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionsPage {
    #[serde(flatten)]
    pub pages: Pagination,
    pub total_sessions: i64,
}

/// `pagination` of the audit log.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventsPage {
    #[serde(flatten)]
    pub pages: Pagination,
    pub total_events: i64,
}
