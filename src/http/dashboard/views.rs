//! View models shared by dashboard pages: the layout (navigation, CSRF token) and the small
//! formatting rules every page uses. Templates escape everything; these only shape text.

use super::hypermedia::{LiveEvent, Url};
use crate::domain::session::Session;
use crate::domain::{Permission, Priority, Timestamp};
use crate::service::dashboard_auth::DashboardSession;

/// What the page frame needs.
pub struct Layout {
    /// Keys the agent's own notification switches in the browser's storage.
    pub agent_id: String,
    pub agent_name: String,
    pub role_label: &'static str,
    pub csrf: String,
    /// Which navigation entry is current.
    pub active: Url,
    pub can_reply: bool,
    pub can_manage_agents: bool,
    pub can_manage_personas: bool,
    pub can_view_audit: bool,
}

impl Layout {
    pub fn new(session: &DashboardSession, active: Url) -> Self {
        let role = session.agent.role;
        Layout {
            agent_id: session.agent.id.clone(),
            agent_name: session.agent.name.clone(),
            role_label: role.label(),
            csrf: session.csrf_token.clone(),
            active,
            can_reply: role.can(Permission::Reply),
            can_manage_agents: role.can(Permission::ManageAgents),
            can_manage_personas: role.can(Permission::ManagePersonas),
            can_view_audit: role.can(Permission::ViewAudit),
        }
    }

    /// The stream event that refreshes the notification feed on pages without a queue of
    /// their own (the frame's templates cannot import it).
    pub fn queue_event(&self) -> LiveEvent {
        LiveEvent::Queue
    }
}

/// `15:31` (UTC; the page script rewrites it to the viewer's local time).
pub fn clock_time(t: Timestamp) -> String {
    chrono::DateTime::from_timestamp_millis(t.0)
        .unwrap_or_default()
        .format("%H:%M")
        .to_string()
}

/// `2025-12-06 15:31 UTC`.
pub fn date_time(t: Timestamp) -> String {
    chrono::DateTime::from_timestamp_millis(t.0)
        .unwrap_or_default()
        .format("%Y-%m-%d %H:%M UTC")
        .to_string()
}

/// `45s`, `3m`, `1h 05m`, `2d 3h`.
pub fn span(seconds: i64) -> String {
    let s = seconds.max(0);
    match s {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h {:02}m", s / 3600, (s % 3600) / 60),
        s => format!("{}d {}h", s / 86_400, (s % 86_400) / 3600),
    }
}

/// How to call the user: name, else email, else their id.
pub fn user_label(s: &Session) -> String {
    s.user_name
        .clone()
        .or_else(|| s.user_email.clone())
        .unwrap_or_else(|| s.user_id.clone())
}

/// At most `max` characters, with an ellipsis when cut.
pub fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", text[..cut].trim_end()),
        None => text.to_string(),
    }
}

pub fn priority_class(p: Priority) -> &'static str {
    match p {
        Priority::Low => "prio-low",
        Priority::Medium => "prio-medium",
        Priority::High => "prio-high",
        Priority::Urgent => "prio-urgent",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert_eq!(span(45), "45s");
        assert_eq!(span(3 * 60 + 5), "3m");
        assert_eq!(span(3600 + 5 * 60), "1h 05m");
        assert_eq!(shorten("héllo world", 5), "héllo…");
        assert_eq!(shorten("hi", 5), "hi");
        assert_eq!(clock_time(Timestamp(1_765_035_060_000)), "15:31");
    }
}
