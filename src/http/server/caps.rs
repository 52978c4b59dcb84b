//! Who may open another connection: a cap per client address and a global cap whose last
//! tenth is kept for addresses that hold few connections, so that an attacker holding most
//! descriptors from a few addresses cannot lock a fresh client out.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

/// An address holding fewer connections than this may use the reserve: a browser opens up to
/// six to one host, a phone one or two.
pub const LIGHT_ADDRESS: usize = 8;

/// Refusals are summed into one warning at most this often, so a flood does not flood the log.
const REFUSAL_REPORT_EVERY: Duration = Duration::from_secs(10);

/// The caps in force.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Caps {
    /// Open connections one address may hold.
    pub per_address: usize,
    /// Open connections in all.
    pub total: usize,
    /// The top of `total` only light addresses may use.
    pub reserved: usize,
}

impl Caps {
    /// Caps with a tenth of `total` (at least one connection when there is room) reserved.
    pub fn new(per_address: usize, total: usize) -> Caps {
        let total = total.max(1);
        let reserved = (total / 10).max(1).min(total - 1);
        Caps {
            per_address,
            total,
            reserved,
        }
    }
}

/// Why a connection was closed at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Its address holds `per_address` connections already.
    AddressFull,
    /// The server holds `total`, or is in the reserve and the address is not light.
    ServerFull,
}

/// One connection counted against its address; dropping it frees the place.
pub struct Admitted {
    tracker: Arc<Tracker>,
    key: IpAddr,
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let mut state = self.tracker.lock();
        if let Some(count) = state.by_address.get_mut(&self.key) {
            *count -= 1;
            if *count == 0 {
                state.by_address.remove(&self.key);
            }
        }
        state.total -= 1;
        if state.total == 0 {
            self.tracker.drained.notify_waiters();
        }
    }
}

#[derive(Default)]
struct State {
    total: usize,
    by_address: HashMap<IpAddr, usize>,
    refused_since_report: u64,
    last_report: Option<Instant>,
}

/// The open connections, by address.
pub struct Tracker {
    caps: Caps,
    state: Mutex<State>,
    drained: Notify,
}

impl Tracker {
    pub fn new(caps: Caps) -> Arc<Tracker> {
        Arc::new(Tracker {
            caps,
            state: Mutex::new(State::default()),
            drained: Notify::new(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The counts stay consistent even if a holder panicked: every update is one step.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts a new connection from `peer`, or says why it must be closed at once.
    pub fn admit(self: &Arc<Self>, peer: IpAddr) -> Result<Admitted, Refusal> {
        let key = address_key(peer);
        let mut state = self.lock();
        let held = state.by_address.get(&key).copied().unwrap_or(0);
        let refusal = if held >= self.caps.per_address {
            Some(Refusal::AddressFull)
        } else if state.total >= self.caps.total
            || (state.total >= self.caps.total - self.caps.reserved && held >= LIGHT_ADDRESS)
        {
            Some(Refusal::ServerFull)
        } else {
            None
        };
        if let Some(refusal) = refusal {
            report(&mut state, refusal);
            return Err(refusal);
        }
        *state.by_address.entry(key).or_insert(0) += 1;
        state.total += 1;
        Ok(Admitted {
            tracker: self.clone(),
            key,
        })
    }

    /// Connections open now.
    pub fn open(&self) -> usize {
        self.lock().total
    }

    /// Completes once every admitted connection has been dropped.
    pub async fn drained(&self) {
        loop {
            let notified = self.drained.notified();
            if self.open() == 0 {
                return;
            }
            notified.await;
        }
    }
}

fn report(state: &mut State, refusal: Refusal) {
    state.refused_since_report += 1;
    let now = Instant::now();
    if state
        .last_report
        .is_some_and(|at| now.duration_since(at) < REFUSAL_REPORT_EVERY)
    {
        return;
    }
    tracing::warn!(
        refused = state.refused_since_report,
        open = state.total,
        latest = ?refusal,
        "closing new connections at once: connection caps reached"
    );
    state.refused_since_report = 0;
    state.last_report = Some(now);
}

/// The unit a cap counts: an IPv4 address, or the /64 an IPv6 client is given (one client
/// owns a whole /64, so counting single IPv6 addresses would cap nobody).
pub fn address_key(peer: IpAddr) -> IpAddr {
    match peer.to_canonical() {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(Ipv6Addr::from(bits))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn an_address_over_its_cap_is_refused_and_others_are_not() {
        let tracker = Tracker::new(Caps::new(2, 100));
        let held: Vec<_> = (0..2)
            .map(|_| tracker.admit(ip("10.0.0.1")).unwrap())
            .collect();
        assert_eq!(
            tracker.admit(ip("10.0.0.1")).err(),
            Some(Refusal::AddressFull)
        );
        let other = tracker.admit(ip("10.0.0.2")).expect("another address");
        drop(held);
        assert!(tracker.admit(ip("10.0.0.1")).is_ok(), "places are freed");
        drop(other);
    }

    #[test]
    fn the_reserve_is_kept_for_light_addresses() {
        let tracker = Tracker::new(Caps::new(1000, 100));
        assert_eq!(tracker.caps.reserved, 10);
        let mut held = Vec::new();
        while let Ok(admitted) = tracker.admit(ip("10.0.0.1")) {
            held.push(admitted);
        }
        assert_eq!(held.len(), 90, "a heavy address stops below the reserve");
        let fresh: Vec<_> = (1..=10)
            .map(|i| tracker.admit(ip(&format!("10.0.1.{i}"))).expect("fresh"))
            .collect();
        assert_eq!(
            tracker.admit(ip("10.0.2.1")).err(),
            Some(Refusal::ServerFull),
            "nobody past the total"
        );
        drop(fresh);
        assert_eq!(tracker.open(), 90);
    }

    #[test]
    fn ipv6_clients_count_by_their_64() {
        assert_eq!(
            address_key(ip("2001:db8:1:2:aaaa::1")),
            address_key(ip("2001:db8:1:2:bbbb::2"))
        );
        assert_ne!(
            address_key(ip("2001:db8:1:2::1")),
            address_key(ip("2001:db8:1:3::1"))
        );
        assert_eq!(address_key(ip("::ffff:10.0.0.1")), ip("10.0.0.1"));
    }

    #[tokio::test]
    async fn drained_completes_when_the_last_connection_goes() {
        let tracker = Tracker::new(Caps::new(10, 10));
        let one = tracker.admit(ip("10.0.0.1")).unwrap();
        let waiter = tokio::spawn({
            let tracker = tracker.clone();
            async move { tracker.drained().await }
        });
        drop(one);
        waiter.await.unwrap();
        assert_eq!(tracker.open(), 0);
    }
}
