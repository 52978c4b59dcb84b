//! Sign-in throttling (the policy is written out in docs/roles.md, "Sign-in throttling").
//!
//! Failures are counted per (address, account) and per address. Past a number of free failures
//! each further failure locks that key for a wait that doubles, from [`FIRST_LOCK`] up to
//! [`MAX_LOCK`]; while a key is locked every attempt on it is refused before the password is
//! looked at. Nothing is counted per account alone, so failures from one address never lock the
//! account's owner out from another; the per-address budget is larger, so one account's
//! failures do not lock out everybody behind a shared address. A success clears its
//! (address, account) key. Counts live in memory: a restart forgives everyone, which is
//! acceptable for a brute-force brake.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

use crate::domain::Timestamp;

/// The first lock once the free failures are used up; each further failure doubles it.
pub const FIRST_LOCK: Duration = Duration::from_secs(30);
/// The longest lock.
pub const MAX_LOCK: Duration = Duration::from_secs(15 * 60);
/// A key with no failure for this long is forgotten.
pub const FORGET_AFTER: Duration = Duration::from_secs(60 * 60);

/// Entries kept before stale ones are swept on the next failure.
const SWEEP_ABOVE: usize = 100_000;
/// Longest email kept in a key (longer input cannot be an account anyway).
const MAX_KEY_EMAIL_CHARS: usize = 320;

/// Free failures per key kind before back-off starts.
#[derive(Clone, Copy, Debug)]
pub struct LoginPolicy {
    pub failures_per_account: u32,
    pub failures_per_address: u32,
}

struct Failures {
    count: u32,
    last_at: i64,
    locked_until: i64,
    /// Attempts begun and not finished: counted so that parallel guesses cannot all slip in
    /// before the first failure is recorded.
    pending: u32,
}

/// In-memory failure counts; see the module comment.
pub struct LoginThrottle {
    policy: LoginPolicy,
    failures: Mutex<HashMap<String, Failures>>,
}

/// The two keys one attempt counts against, with their free failures.
fn keys(policy: LoginPolicy, addr: Option<IpAddr>, email: &str) -> [(String, u32); 2] {
    let addr = addr.map_or_else(|| "unknown".to_string(), |a| a.to_string());
    let email: String = email
        .trim()
        .to_lowercase()
        .chars()
        .take(MAX_KEY_EMAIL_CHARS)
        .collect();
    [
        (format!("pair:{addr} {email}"), policy.failures_per_account),
        (format!("addr:{addr}"), policy.failures_per_address),
    ]
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// The lock after `count` failures with `free` of them free.
fn lock_for(count: u32, free: u32) -> Option<Duration> {
    let beyond = count.checked_sub(free)?;
    let doubled = FIRST_LOCK.saturating_mul(2u32.saturating_pow(beyond.min(20)));
    Some(doubled.min(MAX_LOCK))
}

/// The wait asked of an attempt that would exceed a budget with others still in flight.
const IN_FLIGHT_WAIT: Duration = Duration::from_secs(1);

impl LoginThrottle {
    pub fn new(policy: LoginPolicy) -> Self {
        LoginThrottle {
            policy,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// Begins an attempt, or `Err(wait)` while either key is locked (or its remaining free
    /// failures are all taken by attempts in flight). Depends only on the address and the email
    /// as typed, never on whether an account exists. Finish with [`Attempt::failed`] or
    /// [`Attempt::succeeded`]; dropping it otherwise counts nothing.
    pub fn begin(
        &self,
        addr: Option<IpAddr>,
        email: &str,
        now: Timestamp,
    ) -> Result<Attempt<'_>, Duration> {
        let keys = keys(self.policy, addr, email);
        let forget = millis(FORGET_AFTER);
        let mut map = self.lock();
        let mut wait = 0;
        for (key, free) in &keys {
            let Some(f) = map.get_mut(key) else { continue };
            if now.0 - f.last_at >= forget && f.locked_until <= now.0 {
                f.count = 0;
            }
            wait = wait.max(f.locked_until - now.0);
            if f.pending > 0 && f.count.saturating_add(f.pending) >= *free {
                wait = wait.max(millis(IN_FLIGHT_WAIT));
            }
        }
        if wait > 0 {
            return Err(Duration::from_millis(wait as u64));
        }
        for (key, _) in &keys {
            map.entry(key.clone())
                .or_insert(Failures {
                    count: 0,
                    last_at: now.0,
                    locked_until: 0,
                    pending: 0,
                })
                .pending += 1;
        }
        Ok(Attempt {
            throttle: self,
            keys,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Failures>> {
        self.failures.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// One sign-in attempt in flight; see [`LoginThrottle::begin`].
pub struct Attempt<'a> {
    throttle: &'a LoginThrottle,
    keys: [(String, u32); 2],
}

impl Attempt<'_> {
    /// Counts a failure against both keys, locking a key once its free failures are used.
    pub fn failed(self, now: Timestamp) {
        let mut map = self.throttle.lock();
        if map.len() > SWEEP_ABOVE {
            let forget = millis(FORGET_AFTER);
            map.retain(|_, f| {
                now.0 - f.last_at < forget || f.locked_until > now.0 || f.pending > 0
            });
        }
        for (key, free) in &self.keys {
            let Some(entry) = map.get_mut(key) else {
                continue;
            };
            entry.count = entry.count.saturating_add(1);
            entry.last_at = now.0;
            if let Some(lock) = lock_for(entry.count, *free) {
                entry.locked_until = now.0.saturating_add(millis(lock));
            }
        }
    }

    /// A success forgets this (address, account)'s failures; the address keeps its count.
    pub fn succeeded(self) {
        if let Some(pair) = self.throttle.lock().get_mut(&self.keys[0].0) {
            pair.count = 0;
            pair.locked_until = 0;
        }
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        let mut map = self.throttle.lock();
        for (key, _) in &self.keys {
            if let Some(entry) = map.get_mut(key) {
                entry.pending = entry.pending.saturating_sub(1);
                if entry.pending == 0 && entry.count == 0 {
                    map.remove(key);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: LoginPolicy = LoginPolicy {
        failures_per_account: 3,
        failures_per_address: 5,
    };

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    fn fail(t: &LoginThrottle, addr: &str, email: &str, now: Timestamp) {
        t.begin(ip(addr), email, now)
            .expect("not locked")
            .failed(now);
    }

    fn wait(t: &LoginThrottle, addr: &str, email: &str, now: Timestamp) -> Option<Duration> {
        t.begin(ip(addr), email, now).err()
    }

    #[test]
    fn back_off_doubles_up_to_the_cap() {
        assert_eq!(lock_for(2, 3), None);
        assert_eq!(lock_for(3, 3), Some(FIRST_LOCK));
        assert_eq!(lock_for(4, 3), Some(FIRST_LOCK * 2));
        assert_eq!(lock_for(5, 3), Some(FIRST_LOCK * 4));
        assert_eq!(lock_for(1_000, 3), Some(MAX_LOCK));
    }

    #[test]
    fn a_locked_pair_does_not_lock_the_account_elsewhere() {
        let t = LoginThrottle::new(POLICY);
        let now = Timestamp(1_000_000);
        for _ in 0..3 {
            fail(&t, "1.1.1.1", "A@b.c ", now);
        }
        assert_eq!(wait(&t, "1.1.1.1", "a@b.c", now), Some(FIRST_LOCK));
        assert_eq!(wait(&t, "2.2.2.2", "a@b.c", now), None);
        assert_eq!(wait(&t, "1.1.1.1", "other@b.c", now), None);
        // The lock runs out; the next failure doubles it.
        let later = Timestamp(now.0 + millis(FIRST_LOCK));
        fail(&t, "1.1.1.1", "a@b.c", later);
        assert_eq!(wait(&t, "1.1.1.1", "a@b.c", later), Some(FIRST_LOCK * 2));
        // A success (once the lock has passed) clears the pair; the address has used 4 of its
        // 5 free failures, so it is not locked.
        let after = Timestamp(later.0 + millis(FIRST_LOCK * 2));
        t.begin(ip("1.1.1.1"), "a@b.c", after).unwrap().succeeded();
        assert_eq!(wait(&t, "1.1.1.1", "a@b.c", after), None);
    }

    #[test]
    fn the_address_budget_locks_every_account_from_it() {
        let t = LoginThrottle::new(POLICY);
        let now = Timestamp(0);
        for i in 0..5 {
            fail(&t, "1.1.1.1", &format!("user{i}@b.c"), now);
        }
        assert!(wait(&t, "1.1.1.1", "fresh@b.c", now).is_some());
        assert_eq!(wait(&t, "2.2.2.2", "fresh@b.c", now), None);
    }

    #[test]
    fn parallel_attempts_cannot_outrun_the_budget() {
        let t = LoginThrottle::new(POLICY);
        let now = Timestamp(0);
        fail(&t, "1.1.1.1", "a@b.c", now);
        fail(&t, "1.1.1.1", "a@b.c", now);
        // One free failure left: one attempt may be in flight, not two.
        let first = t.begin(ip("1.1.1.1"), "a@b.c", now).unwrap();
        assert_eq!(wait(&t, "1.1.1.1", "a@b.c", now), Some(IN_FLIGHT_WAIT));
        drop(first);
        let again = t.begin(ip("1.1.1.1"), "a@b.c", now).unwrap();
        again.failed(now);
        assert_eq!(wait(&t, "1.1.1.1", "a@b.c", now), Some(FIRST_LOCK));
    }

    #[test]
    fn quiet_keys_are_forgotten_and_finished_attempts_leave_nothing() {
        let t = LoginThrottle::new(POLICY);
        for _ in 0..2 {
            fail(&t, "1.1.1.1", "a@b.c", Timestamp(0));
        }
        let much_later = Timestamp(millis(FORGET_AFTER));
        fail(&t, "1.1.1.1", "a@b.c", much_later);
        assert_eq!(wait(&t, "1.1.1.1", "a@b.c", much_later), None);
        t.begin(ip("9.9.9.9"), "z@b.c", much_later)
            .unwrap()
            .succeeded();
        drop(t.begin(ip("9.9.9.8"), "z@b.c", much_later).unwrap());
        assert_eq!(t.lock().len(), 2, "only 1.1.1.1's keys are kept");
    }
}
