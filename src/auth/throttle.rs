//! Login throttling. Failed attempts are counted per email and per client address over a
//! window; past a few failures each answer is slowed down, and past the limit attempts are
//! refused outright (429 with Retry-After) until the window has passed. A success clears the
//! email's count. Counts live in memory: a restart forgives everyone, which is acceptable for
//! a brute-force brake (documented in docs/security.md).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug)]
pub struct ThrottlePolicy {
    pub window: Duration,
    /// Failures answered at full speed.
    pub free_failures: u32,
    /// Added per failure beyond the free ones, up to `max_delay`.
    pub delay_step: Duration,
    pub max_delay: Duration,
    /// Failures after which attempts are refused until the window ends.
    pub lock_after: u32,
}

pub const PER_EMAIL: ThrottlePolicy = ThrottlePolicy {
    window: Duration::from_secs(15 * 60),
    free_failures: 3,
    delay_step: Duration::from_millis(100),
    max_delay: Duration::from_secs(1),
    lock_after: 10,
};

/// Offices share addresses, so an address gets more room than an email.
pub const PER_ADDRESS: ThrottlePolicy = ThrottlePolicy {
    window: Duration::from_secs(15 * 60),
    free_failures: 10,
    delay_step: Duration::from_millis(100),
    max_delay: Duration::from_secs(1),
    lock_after: 50,
};

struct Failures {
    count: u32,
    first_at: Instant,
}

/// What the login handler should do before checking the password.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Proceed { delay: Duration },
    Refuse { retry_after: Duration },
}

#[derive(Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<String, Failures>>,
}

impl LoginThrottle {
    /// The verdict for an attempt on the given keys (the strictest wins).
    pub fn check(&self, keys: &[(&str, ThrottlePolicy)]) -> Verdict {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let mut delay = Duration::ZERO;
        for (key, policy) in keys {
            let Some(entry) = map.get(*key) else { continue };
            let age = now.duration_since(entry.first_at);
            if age >= policy.window {
                map.remove(*key);
                continue;
            }
            if entry.count >= policy.lock_after {
                return Verdict::Refuse {
                    retry_after: policy.window - age,
                };
            }
            if entry.count >= policy.free_failures {
                let extra = entry.count - policy.free_failures + 1;
                delay = delay.max((policy.delay_step * extra).min(policy.max_delay));
            }
        }
        Verdict::Proceed { delay }
    }

    pub fn record_failure(&self, keys: &[(&str, ThrottlePolicy)]) {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 100_000 {
            map.retain(|_, f| {
                now.duration_since(f.first_at) < PER_EMAIL.window.max(PER_ADDRESS.window)
            });
        }
        for (key, policy) in keys {
            let entry = map.entry((*key).to_string()).or_insert(Failures {
                count: 0,
                first_at: now,
            });
            if now.duration_since(entry.first_at) >= policy.window {
                *entry = Failures {
                    count: 0,
                    first_at: now,
                };
            }
            entry.count += 1;
        }
    }

    pub fn record_success(&self, key: &str) {
        self.failures
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slows_then_refuses() {
        let t = LoginThrottle::default();
        let keys = [("email:a@b.c", PER_EMAIL)];
        for _ in 0..3 {
            assert_eq!(
                t.check(&keys),
                Verdict::Proceed {
                    delay: Duration::ZERO
                }
            );
            t.record_failure(&keys);
        }
        assert_eq!(
            t.check(&keys),
            Verdict::Proceed {
                delay: Duration::from_millis(100)
            }
        );
        for _ in 3..10 {
            t.record_failure(&keys);
        }
        assert!(matches!(t.check(&keys), Verdict::Refuse { .. }));
        t.record_success("email:a@b.c");
        assert_eq!(
            t.check(&keys),
            Verdict::Proceed {
                delay: Duration::ZERO
            }
        );
    }
}
