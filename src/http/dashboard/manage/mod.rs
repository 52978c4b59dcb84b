//! Management pages: agents, personas, canned responses, labels, business hours, webhooks and the
//! broadcast (plain forms, Post/Redirect/Get), and the audit log, one module each. A form error
//! re-renders the page with the message and the status code.

pub mod agents;
pub mod audit;
pub mod broadcast;
pub mod canned;
pub mod hours;
pub mod labels;
pub mod personas;
pub mod webhook_deliveries;
pub mod webhooks;

use axum::http::StatusCode;

use super::error::PageError;
use crate::error::Error;

/// Errors a form can show next to itself; anything else is a page error.
pub(super) fn form_error(e: Error) -> Result<(StatusCode, String), PageError> {
    match e {
        Error::Validation { .. } => Ok((StatusCode::BAD_REQUEST, e.to_string())),
        Error::Conflict(_) | Error::AgentAtCapacity => Ok((StatusCode::CONFLICT, e.to_string())),
        Error::NotFound(_) => Ok((StatusCode::NOT_FOUND, e.to_string())),
        other => Err(other.into()),
    }
}

pub(super) fn empty_to_none(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}
