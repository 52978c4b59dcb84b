//! Clock and statistics: the run clock, latency histograms, error counts, the measurement
//! window and the report's latency lines and checks.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

pub static BASE: OnceLock<Instant> = OnceLock::new();

/// Microseconds since the load generator started: the send stamp carried inside replies.
pub fn now_us() -> u64 {
    BASE.get_or_init(Instant::now).elapsed().as_micros() as u64
}

pub fn us_at(at: Instant) -> u64 {
    at.saturating_duration_since(*BASE.get_or_init(Instant::now))
        .as_micros() as u64
}

/// A latency histogram in microseconds shared by many tasks (a lock per record is cheap next
/// to an HTTP round trip, and keeps one histogram instead of one per task).
pub struct Hist(Mutex<Histogram<u64>>);

impl Hist {
    fn new() -> Self {
        Hist(Mutex::new(
            Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("histogram bounds"),
        ))
    }
    pub fn record(&self, us: u64) {
        self.0.lock().unwrap().saturating_record(us.max(1));
    }
    pub fn get(&self) -> Histogram<u64> {
        self.0.lock().unwrap().clone()
    }
}

#[derive(Debug, Clone, Copy)]
pub enum Failure {
    Connect,
    Io,
    Timeout,
    Status(u16),
    Body,
    Ended,
}

#[derive(Default)]
pub struct Errors {
    connect: AtomicU64,
    io: AtomicU64,
    timeout: AtomicU64,
    body: AtomicU64,
    ended: AtomicU64,
    status: Mutex<BTreeMap<u16, u64>>,
}

impl Errors {
    pub fn add(&self, f: Failure) {
        match f {
            Failure::Connect => &self.connect,
            Failure::Io => &self.io,
            Failure::Timeout => &self.timeout,
            Failure::Body => &self.body,
            Failure::Ended => &self.ended,
            Failure::Status(code) => {
                *self.status.lock().unwrap().entry(code).or_default() += 1;
                return;
            }
        }
        .fetch_add(1, Relaxed);
    }
    pub fn total(&self) -> u64 {
        [
            &self.connect,
            &self.io,
            &self.timeout,
            &self.body,
            &self.ended,
        ]
        .iter()
        .map(|c| c.load(Relaxed))
        .sum::<u64>()
            + self.status.lock().unwrap().values().sum::<u64>()
    }
    pub fn describe(&self) -> String {
        if self.total() == 0 {
            return "none".into();
        }
        let mut parts: Vec<String> = [
            ("timeouts", &self.timeout),
            ("connection errors", &self.connect),
            ("broken connections", &self.io),
            ("unexpected bodies", &self.body),
            ("sessions ended", &self.ended),
        ]
        .iter()
        .filter(|(_, c)| c.load(Relaxed) > 0)
        .map(|(name, c)| format!("{name} {}", c.load(Relaxed)))
        .collect();
        for (code, n) in self.status.lock().unwrap().iter() {
            parts.push(format!("HTTP {code} x{n}"));
        }
        format!("{} ({})", self.total(), parts.join(", "))
    }
}

/// What one run measured. Counts and latencies only cover the window [start_us, end_us);
/// errors count over the whole run, warm-up included.
pub struct Stats {
    start_us: u64,
    end_us: u64,
    pub requests: AtomicU64,
    pub latency: Hist,
    pub lag: Hist,
    pub acked: AtomicU64,
    pub ack_latency: Hist,
    pub delivered: AtomicU64,
    pub delivery: Hist,
    pub events: AtomicU64,
    pub errors: Errors,
}

impl Stats {
    pub fn new(start: Instant, end: Instant) -> Arc<Self> {
        Arc::new(Stats {
            start_us: us_at(start),
            end_us: us_at(end),
            requests: AtomicU64::new(0),
            latency: Hist::new(),
            lag: Hist::new(),
            acked: AtomicU64::new(0),
            ack_latency: Hist::new(),
            delivered: AtomicU64::new(0),
            delivery: Hist::new(),
            events: AtomicU64::new(0),
            errors: Errors::default(),
        })
    }
    pub fn in_window(&self, us: u64) -> bool {
        (self.start_us..self.end_us).contains(&us)
    }
    pub fn seconds(&self) -> f64 {
        (self.end_us - self.start_us) as f64 / 1e6
    }
    /// A request that finished now after starting at `began`.
    pub fn request(&self, began: Instant) {
        let now = now_us();
        if self.in_window(now) {
            self.requests.fetch_add(1, Relaxed);
            self.latency.record(now - us_at(began));
        }
    }
    /// A reply stamped `sent_us` reached its phone now.
    pub fn delivery(&self, sent_us: u64) {
        if self.in_window(sent_us) {
            self.delivered.fetch_add(1, Relaxed);
            self.delivery.record(now_us().saturating_sub(sent_us));
        }
    }
}

fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

pub fn latency_line(h: &Histogram<u64>) -> String {
    if h.is_empty() {
        return "no samples".into();
    }
    format!(
        "p50 {:.2} ms  p99 {:.2} ms  max {:.2} ms  (n={})",
        ms(h.value_at_quantile(0.5)),
        ms(h.value_at_quantile(0.99)),
        ms(h.max()),
        h.len()
    )
}

/// Set when a check fails, for the exit status.
pub static CHECK_FAILED: AtomicBool = AtomicBool::new(false);

pub fn check(label: &str, pass: bool) {
    if !pass {
        CHECK_FAILED.store(true, Relaxed);
    }
    println!("  {label:.<56} {}", if pass { "PASS" } else { "FAIL" });
}

/// The measurement plan: load from `t0`, measured from `start` to `end`.
pub struct Window {
    pub t0: Instant,
    pub start: Instant,
    pub end: Instant,
}

impl Window {
    pub fn new(warmup: f64, duration: f64) -> Self {
        let t0 = Instant::now() + Duration::from_millis(100);
        let start = t0 + Duration::from_secs_f64(warmup);
        Window {
            t0,
            start,
            end: start + Duration::from_secs_f64(duration),
        }
    }
}
