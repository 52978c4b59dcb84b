//! The server's notion of "now". Production reads the system clock; tests shift it forward to
//! check expiry, priority tiers and reassignment without sleeping, or pin it so scripted
//! scenarios have exact timings.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::Duration;

use crate::domain::Timestamp;

#[derive(Debug, Default)]
struct ClockState {
    /// Added to the system time (shifted clock) or the pinned time itself (fixed clock).
    offset_ms: AtomicI64,
    fixed: AtomicBool,
}

#[derive(Clone, Debug, Default)]
pub struct Clock {
    state: Arc<ClockState>,
}

impl Clock {
    pub fn system() -> Self {
        Clock::default()
    }

    /// A running clock that reads `at` now (tests use it to write history, then advance).
    pub fn running_from(at: Timestamp) -> Self {
        let clock = Clock::default();
        let offset = at.0 - chrono::Utc::now().timestamp_millis();
        clock.state.offset_ms.store(offset, Ordering::Relaxed);
        clock
    }

    /// A clock that stands still at `at` until advanced.
    pub fn fixed(at: Timestamp) -> Self {
        Clock {
            state: Arc::new(ClockState {
                offset_ms: AtomicI64::new(at.0),
                fixed: AtomicBool::new(true),
            }),
        }
    }

    pub fn now(&self) -> Timestamp {
        let offset = self.state.offset_ms.load(Ordering::Relaxed);
        if self.state.fixed.load(Ordering::Relaxed) {
            Timestamp(offset)
        } else {
            Timestamp(chrono::Utc::now().timestamp_millis() + offset)
        }
    }

    /// Moves this clock (and every clone of it) forward.
    pub fn advance(&self, by: Duration) {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.state.offset_ms.fetch_add(ms, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_clocks_move_only_when_told() {
        let clock = Clock::fixed(Timestamp(1_000));
        assert_eq!(clock.now(), Timestamp(1_000));
        clock.clone().advance(Duration::from_secs(2));
        assert_eq!(clock.now(), Timestamp(3_000));
        let shifted = Clock::system();
        let before = shifted.now();
        shifted.advance(Duration::from_secs(3600));
        assert!(shifted.now().0 - before.0 >= 3_600_000);
    }
}
