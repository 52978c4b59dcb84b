//! View models shared by dashboard pages: the layout (navigation, CSRF token) and the small
//! formatting rules every page uses. Templates escape everything; these only shape text.

use super::hypermedia::{LiveEvent, Url};
use crate::domain::label::Label;
use crate::domain::session::Session;
use crate::domain::{Permission, Priority, SessionStatus, Timestamp};
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
    pub can_manage_webhooks: bool,
    pub can_broadcast: bool,
    /// What the search box in the top bar shows (the query on the results page).
    pub search: String,
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
            can_manage_webhooks: role.can(Permission::ManageWebhooks),
            can_broadcast: role.can(Permission::Broadcast),
            search: String::new(),
        }
    }

    /// The stream event that refreshes the notification feed on pages without a queue of
    /// their own (the frame's templates cannot import it).
    pub fn queue_event(&self) -> LiveEvent {
        LiveEvent::Queue
    }
}

/// A label as a chip or a choice in a filter: the colour is a checked `#rrggbb`.
pub struct LabelView {
    pub id: String,
    pub name: String,
    pub colour: String,
    /// The filter on the page is this label.
    pub selected: bool,
}

impl LabelView {
    pub fn of(label: &Label) -> Self {
        LabelView {
            id: label.id.clone(),
            name: label.name.clone(),
            colour: label.colour.as_str().to_string(),
            selected: false,
        }
    }

    /// Every label as a filter choice, `wanted` (a label id from the query) selected.
    pub fn choices(labels: &[Label], wanted: Option<&str>) -> Vec<LabelView> {
        labels
            .iter()
            .map(|l| LabelView {
                selected: wanted == Some(l.id.as_str()),
                ..LabelView::of(l)
            })
            .collect()
    }

    /// The id of the selected choice: a stored id, safe in a link as it is.
    pub fn selected_id(choices: &[LabelView]) -> Option<&str> {
        choices.iter().find(|c| c.selected).map(|c| c.id.as_str())
    }
}

/// `15:31` (UTC; the page script rewrites it to the viewer's local time).
pub fn clock_time(t: Timestamp) -> String {
    chrono::DateTime::from_timestamp_millis(t.0)
        .unwrap_or_default()
        .format("%H:%M")
        .to_string()
}

/// A chat's status as agents read it.
pub fn status_label(s: SessionStatus) -> &'static str {
    match s {
        SessionStatus::Active => "Active",
        SessionStatus::EndedByUser => "Ended by the user",
        SessionStatus::EndedByAdmin => "Ended by support",
        SessionStatus::Expired => "Expired",
    }
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

/// A file's size as people read it: `512 bytes`, `2.4 MB`, `10 MB` (1 MB = 1024 KB, the units
/// the upload limit is set in).
pub fn file_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["bytes", "KB", "MB", "GB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} bytes")
    } else if value < 10.0 && (value * 10.0).round() % 10.0 != 0.0 {
        format!("{value:.1} {}", UNITS[unit])
    } else {
        format!("{} {}", value.round(), UNITS[unit])
    }
}

/// Longest side of a thumbnail, as the server makes them.
const THUMBNAIL_SIDE: u32 = 320;

/// The box a `width` x `height` image's thumbnail fills (its long side at most 320 px).
pub fn thumbnail_box(width: u32, height: u32) -> (u32, u32) {
    let long = width.max(height).max(1);
    if long <= THUMBNAIL_SIDE {
        return (width, height);
    }
    let scale = |side: u32| {
        ((u64::from(side) * u64::from(THUMBNAIL_SIDE) + u64::from(long) / 2) / u64::from(long))
            .max(1) as u32
    };
    (scale(width), scale(height))
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

    #[test]
    fn file_sizes_read_like_the_limit_they_are_set_in() {
        assert_eq!(file_size(0), "0 bytes");
        assert_eq!(file_size(1023), "1023 bytes");
        assert_eq!(file_size(2048), "2 KB");
        assert_eq!(file_size(2_516_582), "2.4 MB");
        assert_eq!(file_size(10 * 1024 * 1024), "10 MB");
        assert_eq!(file_size(10 * 1024 * 1024 - 20_000), "10 MB");
        assert_eq!(file_size(150 * 1024 * 1024), "150 MB");
    }

    #[test]
    fn thumbnails_fit_320_pixels_on_the_long_side() {
        assert_eq!(thumbnail_box(64, 48), (64, 48));
        assert_eq!(thumbnail_box(4000, 3000), (320, 240));
        assert_eq!(thumbnail_box(1000, 3000), (107, 320));
        assert_eq!(thumbnail_box(50_000, 1), (320, 1));
    }
}
