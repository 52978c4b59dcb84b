//! Queue priority from how long a user has waited for an answer.

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Low,
    Medium,
    High,
    Urgent,
}

impl Priority {
    pub const ALL: [Priority; 4] = [
        Priority::Low,
        Priority::Medium,
        Priority::High,
        Priority::Urgent,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Low => "low",
            Priority::Medium => "medium",
            Priority::High => "high",
            Priority::Urgent => "urgent",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Priority::ALL.into_iter().find(|p| p.as_str() == raw)
    }
}

/// Wait (in minutes) at which a chat becomes medium, high and urgent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PriorityThresholds {
    pub medium_minutes: u32,
    pub high_minutes: u32,
    pub urgent_minutes: u32,
}

impl Default for PriorityThresholds {
    fn default() -> Self {
        PriorityThresholds {
            medium_minutes: 5,
            high_minutes: 15,
            urgent_minutes: 30,
        }
    }
}

impl PriorityThresholds {
    /// The tier for a wait of `wait_seconds` (0 when nobody is waiting).
    pub fn from_wait(&self, wait_seconds: i64) -> Priority {
        let minutes = wait_seconds / 60;
        if minutes >= i64::from(self.urgent_minutes) {
            Priority::Urgent
        } else if minutes >= i64::from(self.high_minutes) {
            Priority::High
        } else if minutes >= i64::from(self.medium_minutes) {
            Priority::Medium
        } else {
            Priority::Low
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiers_follow_the_wait() {
        let t = PriorityThresholds::default();
        assert_eq!(t.from_wait(0), Priority::Low);
        assert_eq!(t.from_wait(4 * 60 + 59), Priority::Low);
        assert_eq!(t.from_wait(5 * 60), Priority::Medium);
        assert_eq!(t.from_wait(15 * 60), Priority::High);
        assert_eq!(t.from_wait(29 * 60 + 59), Priority::High);
        assert_eq!(t.from_wait(30 * 60), Priority::Urgent);
        assert!(Priority::Urgent > Priority::High);
    }
}
