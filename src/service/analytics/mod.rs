//! Analytics, reports and usage metering. Every metric's definition is in docs/metrics.md;
//! days are UTC calendar days. Each file computes one thing: `range` (which days), `metrics`
//! (headline figures from sums), `overview` (the analytics page), `report` and `csv`.

mod csv;
mod metrics;
mod overview;
mod range;
mod report;

pub use csv::{ReportTable, report_csv};
pub use metrics::{DayMetrics, Metrics};
pub use overview::{Analytics, RealTimeStats, analytics};
pub use range::{DEFAULT_RANGE_DAYS, DateRange, MAX_RANGE_DAYS, today};
pub use report::{AgentReportRow, LabelReportRow, MAX_USAGE_ROWS, Report, UsageRow, report};
