//! Sliding-window rate limits (messages per session and per user, guest starts per address):
//! at most `max` events in any window. Counted in memory; they protect agents from floods, not
//! a billing quota.

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
        check_all(&[(self, key)], now)
    }

    /// Drops times that left the window; `Err(wait)` when `key` is full.
    fn room(
        &self,
        sent: &mut HashMap<String, VecDeque<i64>>,
        key: &str,
        now: Timestamp,
    ) -> Result<(), Duration> {
        // Looked up before inserting, so a key already counted costs no allocation.
        if !sent.contains_key(key) {
            sent.insert(key.to_string(), VecDeque::new());
        }
        let times = sent.get_mut(key).expect("just inserted");
        while times.front().is_some_and(|t| now.0 - t >= self.window_ms) {
            times.pop_front();
        }
        if times.len() >= self.max {
            let oldest = times.front().copied().unwrap_or(now.0);
            let wait_ms = (oldest + self.window_ms - now.0).max(1);
            return Err(Duration::from_millis(wait_ms as u64));
        }
        Ok(())
    }

    /// Forgets keys with nothing in the window (run now and then).
    pub fn sweep(&self, now: Timestamp) {
        let mut sent = self.sent.lock().unwrap_or_else(|p| p.into_inner());
        sent.retain(|_, times| times.back().is_some_and(|t| now.0 - t < self.window_ms));
    }
}

/// Counts one message against every `(limiter, key)`, or against none when any is full (then
/// the longest wait is returned): a refusal by one limit does not use up another's room. Each
/// limiter may appear once; callers list limiters in one fixed order so their locks nest.
pub fn check_all(limits: &[(&RateLimiter, &str)], now: Timestamp) -> Result<(), Duration> {
    let mut guards: Vec<_> = limits
        .iter()
        .map(|(limiter, _)| limiter.sent.lock().unwrap_or_else(|p| p.into_inner()))
        .collect();
    let mut wait = None;
    for ((limiter, key), sent) in limits.iter().zip(guards.iter_mut()) {
        if let Err(w) = limiter.room(sent, key, now) {
            wait = wait.max(Some(w));
        }
    }
    if let Some(wait) = wait {
        return Err(wait);
    }
    for ((_, key), sent) in limits.iter().zip(guards.iter_mut()) {
        if let Some(times) = sent.get_mut(*key) {
            times.push_back(now.0);
        }
    }
    Ok(())
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

    #[test]
    fn a_refusal_by_one_limit_uses_no_room_in_the_other() {
        let per_session = RateLimiter::new(Duration::from_secs(60), 2);
        let per_user = RateLimiter::new(Duration::from_secs(60), 3);
        let send = |session: &str, at: i64| {
            check_all(&[(&per_session, session), (&per_user, "u")], Timestamp(at))
        };
        assert!(send("s1", 0).is_ok());
        assert!(send("s1", 1).is_ok());
        assert!(send("s1", 2).is_err(), "the session is full");
        assert!(
            send("s2", 3).is_ok(),
            "the refusal above used none of the user's room"
        );
        assert_eq!(send("s3", 4), Err(Duration::from_millis(59_996)));
        assert!(
            per_session.check("s3", Timestamp(5)).is_ok(),
            "nor the new session's"
        );
    }
}
