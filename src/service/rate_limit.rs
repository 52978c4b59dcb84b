//! Per-session message rate limit: at most `max` messages in any sliding window. Counted in
//! memory; it protects agents from floods, not a billing quota.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use crate::domain::Timestamp;

pub struct RateLimiter {
    window_ms: i64,
    max: usize,
    sent: Mutex<HashMap<String, VecDeque<i64>>>,
}

impl RateLimiter {
    pub fn new(window: Duration, max: u32) -> Self {
        RateLimiter {
            window_ms: i64::try_from(window.as_millis()).unwrap_or(i64::MAX),
            max: max as usize,
            sent: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one message for `key`, or says how long until one is allowed.
    pub fn check(&self, key: &str, now: Timestamp) -> Result<(), Duration> {
        let mut sent = self.sent.lock().unwrap_or_else(|p| p.into_inner());
        let times = sent.entry(key.to_string()).or_default();
        while times.front().is_some_and(|t| now.0 - t >= self.window_ms) {
            times.pop_front();
        }
        if times.len() >= self.max {
            let oldest = times.front().copied().unwrap_or(now.0);
            let wait_ms = (oldest + self.window_ms - now.0).max(1);
            return Err(Duration::from_millis(wait_ms as u64));
        }
        times.push_back(now.0);
        Ok(())
    }

    /// Forgets keys with nothing in the window (run now and then).
    pub fn sweep(&self, now: Timestamp) {
        let mut sent = self.sent.lock().unwrap_or_else(|p| p.into_inner());
        sent.retain(|_, times| times.back().is_some_and(|t| now.0 - t < self.window_ms));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sliding_window() {
        let limiter = RateLimiter::new(Duration::from_secs(60), 2);
        assert!(limiter.check("s", Timestamp(0)).is_ok());
        assert!(limiter.check("s", Timestamp(1_000)).is_ok());
        let wait = limiter.check("s", Timestamp(2_000)).unwrap_err();
        assert_eq!(wait, Duration::from_millis(58_000));
        assert!(limiter.check("other", Timestamp(2_000)).is_ok());
        assert!(limiter.check("s", Timestamp(60_000)).is_ok());
    }
}
