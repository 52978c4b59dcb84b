//! Server memory and CPU sampling from /proc, and the usage lines of the report.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

/// Samples the server's memory and both processes' CPU time.
pub struct Monitor {
    pid: Option<u32>,
    first_rss_kb: AtomicU64,
    peak_rss_kb: AtomicU64,
}

fn proc_status_kb(pid: u32, key: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    line[key.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// User + system CPU seconds of a process (`self` or a pid).
fn proc_cpu_seconds(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0) // USER_HZ
}

impl Monitor {
    pub fn new(pid: Option<u32>) -> Arc<Self> {
        Arc::new(Monitor {
            pid,
            first_rss_kb: AtomicU64::new(0),
            peak_rss_kb: AtomicU64::new(0),
        })
    }

    /// The server's resident memory now.
    pub fn rss_kb(&self) -> Option<u64> {
        proc_status_kb(self.pid?, "VmRSS:")
    }

    pub fn cpu(&self) -> (Option<f64>, Option<f64>) {
        (
            self.pid.and_then(|p| proc_cpu_seconds(&p.to_string())),
            proc_cpu_seconds("self"),
        )
    }

    /// Samples RSS every half second from `start` to `end`.
    pub fn sample(self: &Arc<Self>, start: Instant, end: Instant) {
        let Some(pid) = self.pid else { return };
        let monitor = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep_until(start.into()).await;
            while Instant::now() < end {
                if let Some(kb) = proc_status_kb(pid, "VmRSS:") {
                    let _ = monitor
                        .first_rss_kb
                        .compare_exchange(0, kb, Relaxed, Relaxed);
                    monitor.peak_rss_kb.fetch_max(kb, Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        });
    }

    /// Prints memory and CPU use over the window that began with `cpu_before`.
    pub fn report(&self, seconds: f64, cpu_before: (Option<f64>, Option<f64>)) -> Usage {
        let usage = self.report_quietly(seconds, cpu_before);
        usage.print();
        usage
    }

    /// Reads memory and CPU use over the window that began with `cpu_before`.
    pub fn report_quietly(&self, seconds: f64, cpu_before: (Option<f64>, Option<f64>)) -> Usage {
        let cpu_after = self.cpu();
        let used = |a: Option<f64>, b: Option<f64>| Some(b? - a?);
        let cores = |s: Option<f64>| s.map_or("?".into(), |s| format!("{:.2} cores", s / seconds));
        let server_cpu = used(cpu_before.0, cpu_after.0);
        let loadgen = cores(used(cpu_before.1, cpu_after.1));
        let Some(pid) = self.pid else {
            return Usage {
                lines: vec![format!(
                    "cpu               loadgen {loadgen} (give --server-pid for the server's)"
                )],
                ..Usage::default()
            };
        };
        let mb = |kb: u64| kb as f64 / 1024.0;
        let rss = proc_status_kb(pid, "VmRSS:");
        let peak = rss.map(|kb| kb.max(self.peak_rss_kb.load(Relaxed)));
        let show = |kb: Option<u64>| kb.map_or("?".into(), |kb| format!("{:.1} MB", mb(kb)));
        Usage {
            peak_rss_mb: peak.map(mb),
            server_cpu_s: server_cpu,
            lines: vec![
                format!(
                    "server memory     RSS {} at the end, {} when measuring began, {} peak while measuring; {} peak ever (VmHWM)",
                    show(rss),
                    show(Some(self.first_rss_kb.load(Relaxed)).filter(|kb| *kb > 0)),
                    show(peak),
                    show(proc_status_kb(pid, "VmHWM:")),
                ),
                format!(
                    "cpu               server {}, loadgen {loadgen}",
                    cores(server_cpu)
                ),
            ],
        }
    }
}

#[derive(Default)]
pub struct Usage {
    pub peak_rss_mb: Option<f64>,
    /// Server CPU seconds spent while measuring.
    pub server_cpu_s: Option<f64>,
    lines: Vec<String>,
}

impl Usage {
    pub fn print(&self) {
        for line in &self.lines {
            println!("{line}");
        }
    }
}
