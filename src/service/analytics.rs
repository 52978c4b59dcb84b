//! Analytics, reports and usage metering (see docs/metrics.md).
