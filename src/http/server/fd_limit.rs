//! The process's file-descriptor limit: raised to the hard limit at start, and read to derive
//! how many connections fit.

/// Descriptors kept back from connections for everything else the process opens: the
/// database and its WAL for each pooled connection, the listener, the runtime's own, logs,
/// backups.
pub const RESERVED_DESCRIPTORS: u64 = 64;

/// The fewest connections a derived cap allows, however low the limit.
const MIN_DERIVED_CAP: u64 = 16;

/// Used when the limit cannot be read (not a Unix system).
const UNKNOWN_LIMIT: u64 = 1024;

/// The soft limit in force and the hard limit above it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FdLimit {
    pub soft: u64,
    pub hard: u64,
}

/// Raises the soft limit on open descriptors to the hard limit (a default of 1,024 is what
/// lets ~1,000 idle sockets lock every client out). Returns the limits now in force.
pub fn raise() -> std::io::Result<FdLimit> {
    imp::raise()
}

/// The limits in force now, if they can be read.
pub fn current() -> Option<FdLimit> {
    imp::current()
}

/// The global connection cap derived from a soft limit: the limit minus the reserve.
pub fn derived_cap(soft: Option<u64>) -> usize {
    let soft = soft.unwrap_or(UNKNOWN_LIMIT);
    let cap = soft
        .saturating_sub(RESERVED_DESCRIPTORS)
        .max(MIN_DERIVED_CAP);
    usize::try_from(cap).unwrap_or(usize::MAX)
}

#[cfg(unix)]
mod imp {
    use super::FdLimit;

    /// An unlimited hard limit is taken as this many (the kernel's own ceiling is near it).
    const UNLIMITED: u64 = 1 << 20;

    fn read() -> std::io::Result<libc::rlimit> {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit writes into the struct it is given and keeps no pointer.
        if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(limit)
    }

    fn figures(limit: &libc::rlimit) -> FdLimit {
        let clamp = |v: libc::rlim_t| {
            if v == libc::RLIM_INFINITY {
                UNLIMITED
            } else {
                v
            }
        };
        FdLimit {
            soft: clamp(limit.rlim_cur),
            hard: clamp(limit.rlim_max),
        }
    }

    pub fn raise() -> std::io::Result<FdLimit> {
        let mut limit = read()?;
        if limit.rlim_cur != limit.rlim_max {
            limit.rlim_cur = limit.rlim_max;
            // SAFETY: setrlimit reads the struct it is given and keeps no pointer.
            if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) } != 0 {
                return Err(std::io::Error::last_os_error());
            }
        }
        Ok(figures(&read()?))
    }

    pub fn current() -> Option<FdLimit> {
        read().ok().map(|l| figures(&l))
    }
}

#[cfg(not(unix))]
mod imp {
    use super::FdLimit;

    pub fn raise() -> std::io::Result<FdLimit> {
        Err(std::io::Error::other(
            "descriptor limits are not adjustable here",
        ))
    }

    pub fn current() -> Option<FdLimit> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_derived_cap_keeps_a_reserve_and_a_floor() {
        assert_eq!(derived_cap(Some(1024)), 960);
        assert_eq!(derived_cap(Some(65_536)), 65_472);
        assert_eq!(derived_cap(Some(70)), 16);
        assert_eq!(derived_cap(None), 960);
    }

    #[test]
    fn raising_never_lowers_the_limit() {
        let before = current().expect("readable");
        let after = raise().expect("raised");
        assert!(after.soft >= before.soft);
        assert_eq!(after.soft, after.hard);
    }
}
