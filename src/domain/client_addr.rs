//! Which address a request comes from: the TCP peer, or, when the peer is a trusted reverse
//! proxy, the right-most `X-Forwarded-For` entry that is not itself a trusted proxy. Every
//! per-address limit (guest starts, guest sessions, sign-in throttling) uses this one rule.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

/// One address or a CIDR block (`10.0.0.0/8`, `fd00::/8`, `203.0.113.7`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpRange {
    base: IpAddr,
    prefix: u8,
}

impl IpRange {
    /// True when `ip` lies in this range (IPv4-mapped IPv6 addresses count as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.base, ip.to_canonical()) {
            (IpAddr::V4(base), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(base) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(base), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(base) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl FromStr for IpRange {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let raw = raw.trim();
        let bad = || format!("'{raw}' is not an IP address or CIDR block");
        let (addr, prefix) = match raw.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (raw, None),
        };
        let base = addr.parse::<IpAddr>().map_err(|_| bad())?.to_canonical();
        let max = if base.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(bad)?,
            None => max,
        };
        Ok(IpRange { base, prefix })
    }
}

impl fmt::Display for IpRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.base, self.prefix)
    }
}

/// The reverse proxies whose `X-Forwarded-For` is believed; empty believes nobody.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpRange>);

impl TrustedProxies {
    /// Parses a comma-separated list of addresses and CIDR blocks; empty is no proxy.
    pub fn parse(raw: &str) -> Result<TrustedProxies, String> {
        raw.split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(str::parse)
            .collect::<Result<Vec<_>, _>>()
            .map(TrustedProxies)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|range| range.contains(ip))
    }

    /// The client's address: `peer` unless it is a trusted proxy, then the right-most entry of
    /// the `X-Forwarded-For` values (in header order) that is not a trusted proxy. Entries a
    /// client could have written itself (left of that one) are never read. A value that cannot
    /// be read, on the way to that entry, means the peer is used: never an error.
    pub fn client_ip<'a>(
        &self,
        peer: IpAddr,
        forwarded_for: impl IntoIterator<Item = &'a str>,
    ) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.trusts(peer) {
            return peer;
        }
        let entries: Vec<&str> = forwarded_for
            .into_iter()
            .flat_map(|value| value.split(','))
            .collect();
        let mut client = peer;
        for entry in entries.iter().rev() {
            let Some(ip) = forwarded_entry(entry) else {
                return peer;
            };
            client = ip;
            if !self.trusts(ip) {
                return ip;
            }
        }
        // Every hop was a trusted proxy: the farthest one is the best answer there is.
        client
    }
}

/// One `X-Forwarded-For` entry: an address, or an address with a port as some proxies write it.
fn forwarded_entry(raw: &str) -> Option<IpAddr> {
    let raw = raw.trim();
    raw.parse::<IpAddr>()
        .ok()
        .or_else(|| raw.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .map(|ip| ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn ranges_parse_and_match() {
        let lan: IpRange = "10.0.0.0/8".parse().unwrap();
        assert!(lan.contains(ip("10.20.30.40")));
        assert!(!lan.contains(ip("11.0.0.1")));
        assert!(lan.contains(ip("::ffff:10.1.2.3")));
        let one: IpRange = "203.0.113.7".parse().unwrap();
        assert!(one.contains(ip("203.0.113.7")) && !one.contains(ip("203.0.113.8")));
        let v6: IpRange = "fd00::/8".parse().unwrap();
        assert!(v6.contains(ip("fd12::1")) && !v6.contains(ip("fe80::1")));
        let all: IpRange = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains(ip("8.8.8.8")));
        for bad in [
            "",
            "10.0.0.0/33",
            "10.0.0/8",
            "example.com",
            "::/129",
            "1.2.3.4/x",
        ] {
            assert!(bad.parse::<IpRange>().is_err(), "{bad}");
        }
    }

    #[test]
    fn the_header_counts_only_behind_a_trusted_peer() {
        let none = TrustedProxies::default();
        assert_eq!(
            none.client_ip(ip("127.0.0.1"), ["9.9.9.9"]),
            ip("127.0.0.1")
        );
        let proxies = TrustedProxies::parse("127.0.0.1, 10.0.0.0/8").unwrap();
        assert_eq!(proxies.client_ip(ip("8.8.8.8"), ["9.9.9.9"]), ip("8.8.8.8"));
        assert_eq!(
            proxies.client_ip(ip("127.0.0.1"), ["9.9.9.9"]),
            ip("9.9.9.9")
        );
        assert_eq!(proxies.client_ip(ip("127.0.0.1"), []), ip("127.0.0.1"));
    }

    #[test]
    fn the_right_most_untrusted_entry_wins() {
        let proxies = TrustedProxies::parse("127.0.0.1,10.0.0.0/8").unwrap();
        // A client-written spoof on the left is not read.
        let chain = ["6.6.6.6, 1.2.3.4", "10.0.0.5"];
        assert_eq!(proxies.client_ip(ip("127.0.0.1"), chain), ip("1.2.3.4"));
        assert_eq!(
            proxies.client_ip(ip("127.0.0.1"), ["10.1.1.1, 10.0.0.2"]),
            ip("10.1.1.1")
        );
        assert_eq!(
            proxies.client_ip(ip("127.0.0.1"), ["1.2.3.4:5555"]),
            ip("1.2.3.4")
        );
        assert_eq!(
            proxies.client_ip(ip("127.0.0.1"), ["[2001:db8::1]:443"]),
            ip("2001:db8::1")
        );
    }

    #[test]
    fn malformed_values_fall_back_to_the_peer() {
        let proxies = TrustedProxies::parse("127.0.0.1").unwrap();
        for bad in ["", "not-an-ip", "1.2.3.4, ", "unknown", "1.2.3.4;5.6.7.8"] {
            assert_eq!(
                proxies.client_ip(ip("127.0.0.1"), [bad]),
                ip("127.0.0.1"),
                "{bad:?}"
            );
        }
        // Garbage left of the client's entry is never reached.
        assert_eq!(
            proxies.client_ip(ip("127.0.0.1"), ["junk, 1.2.3.4"]),
            ip("1.2.3.4")
        );
    }

    #[test]
    fn lists_parse_or_name_the_bad_item() {
        assert!(TrustedProxies::parse("").unwrap().is_empty());
        assert!(TrustedProxies::parse(" , ").unwrap().is_empty());
        let err = TrustedProxies::parse("127.0.0.1, nope").unwrap_err();
        assert!(err.contains("nope"), "{err}");
    }
}
