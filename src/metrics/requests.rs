//! Requests and their latency per method, matched route and status class.
//!
//! Recorded once per request, so kept cheap: the labels are built from what the request
//! already holds (the route is the router's shared `MatchedPath`, the method and class are
//! static strings), and one read-locked map lookup finds both handles; a new label set takes
//! the write lock once, the first time it is seen.

use std::collections::HashMap;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::RwLock;
use std::time::Duration;

use axum::extract::MatchedPath;
use axum::http::{Method, StatusCode};
use prometheus_client::encoding::{EncodeLabel, EncodeLabelSet, LabelSetEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

/// Seconds to an answer's head: a poll answered from memory takes well under a millisecond, a
/// held long-poll up to its 30 s wait. (A stream's head comes at once; its life is not timed.)
const LATENCY_BUCKETS: [f64; 16] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0,
    35.0,
];

/// The route label: the path pattern the router matched (`/api/chat/poll/{sessionId}`), never
/// the raw path, so session ids never become series; `unmatched` for everything answered
/// before or without a route (unknown paths, refusals at the edge).
#[derive(Clone, Debug, Default)]
pub struct RouteLabel(Option<MatchedPath>);

impl RouteLabel {
    pub fn new(route: Option<MatchedPath>) -> RouteLabel {
        RouteLabel(route)
    }

    pub fn as_str(&self) -> &str {
        self.0.as_ref().map_or("unmatched", MatchedPath::as_str)
    }
}

impl PartialEq for RouteLabel {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for RouteLabel {}

impl Hash for RouteLabel {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

/// The labels of one request series.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct RequestLabels {
    method: &'static str,
    route: RouteLabel,
    status: &'static str,
}

impl EncodeLabelSet for RequestLabels {
    fn encode(&self, encoder: &mut LabelSetEncoder) -> Result<(), fmt::Error> {
        ("method", self.method).encode(encoder.encode_label())?;
        ("route", self.route.as_str()).encode(encoder.encode_label())?;
        ("status", self.status).encode(encoder.encode_label())
    }
}

/// The method as a label; methods outside the standard set are one series, `other`.
pub fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// `2xx`, `4xx` and so on.
pub fn status_class(status: StatusCode) -> &'static str {
    match status.as_u16() / 100 {
        1 => "1xx",
        2 => "2xx",
        3 => "3xx",
        4 => "4xx",
        _ => "5xx",
    }
}

type LatencyFamily = Family<RequestLabels, Histogram, fn() -> Histogram>;

/// The handles of one label set.
#[derive(Clone)]
struct Series {
    requests: Counter,
    latency: Histogram,
}

/// The request series; see the module documentation.
pub struct RequestMetrics {
    requests: Family<RequestLabels, Counter>,
    latency: LatencyFamily,
    /// Both handles per label set, so a request costs one lookup, not one per family.
    series: RwLock<HashMap<RequestLabels, Series>>,
}

impl fmt::Debug for RequestMetrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestMetrics").finish_non_exhaustive()
    }
}

impl RequestMetrics {
    pub(super) fn register(registry: &mut Registry) -> RequestMetrics {
        let requests = Family::<RequestLabels, Counter>::default();
        let latency: LatencyFamily =
            Family::new_with_constructor(|| Histogram::new(LATENCY_BUCKETS));
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, matched route and status class",
            requests.clone(),
        );
        registry.register_with_unit(
            "http_request_duration",
            "Time from a request's arrival to its answer's head, by method, matched route and \
             status class",
            Unit::Seconds,
            latency.clone(),
        );
        RequestMetrics {
            requests,
            latency,
            series: RwLock::new(HashMap::new()),
        }
    }

    /// Counts one answered request and its latency.
    pub fn observe(&self, method: &Method, route: RouteLabel, status: StatusCode, took: Duration) {
        let labels = RequestLabels {
            method: method_label(method),
            route,
            status: status_class(status),
        };
        let known = self
            .series
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&labels)
            .cloned();
        let series = match known {
            Some(series) => series,
            None => {
                let series = Series {
                    requests: self.requests.get_or_create_owned(&labels),
                    latency: self.latency.get_or_create_owned(&labels),
                };
                self.series
                    .write()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(labels, series.clone());
                series
            }
        };
        series.requests.inc();
        series.latency.observe(took.as_secs_f64());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_counted_per_route_and_class_without_raw_paths() {
        let mut registry = Registry::with_prefix("frontdesk");
        let metrics = RequestMetrics::register(&mut registry);
        let ms = Duration::from_millis(3);
        metrics.observe(
            &Method::GET,
            RouteLabel::default(),
            StatusCode::NOT_FOUND,
            ms,
        );
        metrics.observe(
            &Method::GET,
            RouteLabel::default(),
            StatusCode::NOT_FOUND,
            ms,
        );
        let odd = Method::from_bytes(b"BREW").unwrap();
        metrics.observe(&odd, RouteLabel::default(), StatusCode::OK, ms);
        let mut text = String::new();
        prometheus_client::encoding::prometheus_text::encode(&mut text, &registry).unwrap();
        assert!(
            text.contains(
                "frontdesk_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"4xx\"} 2"
            ),
            "{text}"
        );
        assert!(
            text.contains("frontdesk_http_requests_total{method=\"other\",route=\"unmatched\",status=\"2xx\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("frontdesk_http_request_duration_seconds_bucket{method=\"GET\",route=\"unmatched\",status=\"4xx\",le=\"0.005\"} 2"),
            "{text}"
        );
    }
}
