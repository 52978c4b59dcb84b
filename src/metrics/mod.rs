//! The Prometheus series the server exposes at `/metrics` (the list is in docs/deploy.md): one
//! registry per running server, no global state, so every test server counts on its own.
//!
//! A leaf like `clock`: it names no other module of the crate. The code that measures holds a
//! handle (a counter, gauge or histogram is a shared atomic or a small lock) and never looks
//! anything up by name on a hot path; figures that already live elsewhere (active chats, held
//! polls, the outbox) are read when a scrape asks, not tracked on every change.

mod requests;

use std::sync::Arc;

use prometheus_client::encoding::prometheus_text;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

pub use requests::{RequestMetrics, RouteLabel, method_label, status_class};

/// The `Content-Type` of what [`Metrics::render`] writes: Prometheus' text format 0.0.4.
pub const CONTENT_TYPE: &str = prometheus_text::CONTENT_TYPE;

/// Every series, registered once; cheap handles the measuring code keeps.
pub struct Metrics {
    registry: Registry,
    /// Requests and their latency per method, matched route and status class.
    pub requests: Arc<RequestMetrics>,
    pub writer: WriterMetrics,
    /// Set when a scrape asks (see `service::observe`).
    pub active_chats: Gauge,
    pub waiting_chats: Gauge,
    pub agents_online: Gauge,
    pub held_polls: Gauge,
    pub open_streams: Gauge,
    /// Open realtime sockets (Socket.IO, WebSocket): the socket code increments it on connect
    /// and decrements it on close.
    pub open_sockets: Gauge,
    /// Outbox events not fanned out, and webhook deliveries, emails and pushes not sent.
    pub outbox_backlog: Gauge,
}

impl Metrics {
    /// Registers every series; `writer` is the store's own handles (the store measures its
    /// writer from the moment it opens).
    pub fn new(writer: WriterMetrics) -> Metrics {
        let mut registry = Registry::with_prefix("frontdesk");
        let requests = Arc::new(RequestMetrics::register(&mut registry));
        writer.register(&mut registry);
        let gauge = |registry: &mut Registry, name: &str, help: &str| {
            let gauge = Gauge::default();
            registry.register(name, help, gauge.clone());
            gauge
        };
        let active_chats = gauge(
            &mut registry,
            "chats_active",
            "Active chats (not silent past SESSION_TIMEOUT_MINUTES)",
        );
        let waiting_chats = gauge(
            &mut registry,
            "chats_waiting",
            "Active chats whose user waits for an answer",
        );
        let agents_online = gauge(
            &mut registry,
            "agents_online",
            "Enabled agents online (said so and seen in the last 2 minutes)",
        );
        let held_polls = gauge(
            &mut registry,
            "polls_held",
            "Long-polls held open, waiting for news",
        );
        let open_streams = gauge(
            &mut registry,
            "streams_open",
            "Client event streams (server-sent events) open",
        );
        let open_sockets = gauge(
            &mut registry,
            "sockets_open",
            "Realtime sockets (Socket.IO and WebSocket) open",
        );
        let outbox_backlog = gauge(
            &mut registry,
            "outbox_backlog",
            "Outbox events not fanned out yet, plus webhook deliveries, emails and pushes not sent yet",
        );
        Metrics {
            registry,
            requests,
            writer,
            active_chats,
            waiting_chats,
            agents_online,
            held_polls,
            open_streams,
            open_sockets,
            outbox_backlog,
        }
    }

    /// Every series in Prometheus' text format.
    pub fn render(&self) -> String {
        let mut text = String::with_capacity(16 * 1024);
        // Writing into a String cannot fail.
        let _ = prometheus_text::encode(&mut text, &self.registry);
        text
    }
}

/// What the single writer measures: how many jobs each transaction carried, how long the
/// transaction took to apply and commit, and how long the WAL flush after it took (the two
/// together are what a write waits for, beyond its queueing).
#[derive(Clone, Debug)]
pub struct WriterMetrics {
    pub batch_jobs: Histogram,
    pub commit_seconds: Histogram,
    pub flush_seconds: Histogram,
}

/// Jobs per batch: 1 to the writer's cap of 512.
const BATCH_BUCKETS: [f64; 10] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0];

/// Seconds for a commit or a flush: 100 µs to 1 s (a disk that takes longer is the news).
const DISK_BUCKETS: [f64; 12] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
];

impl Default for WriterMetrics {
    fn default() -> Self {
        WriterMetrics {
            batch_jobs: Histogram::new(BATCH_BUCKETS),
            commit_seconds: Histogram::new(DISK_BUCKETS),
            flush_seconds: Histogram::new(DISK_BUCKETS),
        }
    }
}

impl WriterMetrics {
    fn register(&self, registry: &mut Registry) {
        registry.register(
            "writer_batch_jobs",
            "Write jobs committed together in one transaction (group commit)",
            self.batch_jobs.clone(),
        );
        registry.register_with_unit(
            "writer_commit",
            "Time the writer took to apply and commit one batch",
            Unit::Seconds,
            self.commit_seconds.clone(),
        );
        registry.register_with_unit(
            "writer_flush",
            "Time one flush of the WAL to disk took, before the batches it covers were answered",
            Unit::Seconds,
            self.flush_seconds.clone(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_series_is_named_and_typed() {
        let metrics = Metrics::new(WriterMetrics::default());
        metrics.writer.batch_jobs.observe(3.0);
        metrics.open_sockets.inc();
        metrics.outbox_backlog.set(7);
        let text = metrics.render();
        for line in [
            "# TYPE frontdesk_writer_batch_jobs histogram",
            "frontdesk_writer_batch_jobs_bucket{le=\"2\"} 0",
            "frontdesk_writer_batch_jobs_bucket{le=\"4\"} 1",
            "# TYPE frontdesk_writer_commit_seconds histogram",
            "# TYPE frontdesk_writer_flush_seconds histogram",
            "frontdesk_chats_active 0",
            "frontdesk_chats_waiting 0",
            "frontdesk_agents_online 0",
            "frontdesk_polls_held 0",
            "frontdesk_streams_open 0",
            "frontdesk_sockets_open 1",
            "frontdesk_outbox_backlog 7",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "{line} missing from:\n{text}"
            );
        }
    }
}
