//! Reports as CSV files, one table per file.

use serde::Serialize;

use super::report::Report;
use crate::domain::spreadsheet::{formula_safe, rfc4180_writer};
use crate::error::{Error, Result};

/// Which table of a report a CSV file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportTable {
    Days,
    Agents,
    Sessions,
    Labels,
}

impl ReportTable {
    pub fn parse(raw: Option<&str>) -> Result<Self> {
        match raw.unwrap_or("days") {
            "days" => Ok(ReportTable::Days),
            "agents" => Ok(ReportTable::Agents),
            "sessions" => Ok(ReportTable::Sessions),
            "labels" => Ok(ReportTable::Labels),
            _ => Err(Error::validation(
                "table",
                "table must be days, agents, sessions or labels",
            )),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ReportTable::Days => "days",
            ReportTable::Agents => "agents",
            ReportTable::Sessions => "sessions",
            ReportTable::Labels => "labels",
        }
    }
}

/// One table of the report as RFC 4180 CSV (CRLF line ends, quotes where needed). Rows are
/// the same values the JSON report carries, column names are the JSON field names in order,
/// numbers are written as JSON writes them (`4.0` stays `4.0`) and `null` as an empty cell.
pub fn report_csv(report: &Report, table: ReportTable) -> Result<String> {
    match table {
        ReportTable::Days => rows_to_csv(&report.days),
        ReportTable::Agents => rows_to_csv(&report.agents),
        ReportTable::Sessions => rows_to_csv(&report.sessions),
        ReportTable::Labels => rows_to_csv(&report.labels),
    }
}

fn rows_to_csv<T: Serialize + Default>(rows: &[T]) -> Result<String> {
    let csv_error = |e: &dyn std::fmt::Display| Error::internal(format!("csv: {e}"));
    let as_object = |row: &T| match serde_json::to_value(row) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        Ok(_) => Err(Error::internal("csv: a report row is not an object")),
        Err(e) => Err(csv_error(&e)),
    };
    let mut out = rfc4180_writer(Vec::new());
    let header = as_object(rows.first().unwrap_or(&T::default()))?;
    out.write_record(header.keys()).map_err(|e| csv_error(&e))?;
    for row in rows {
        let cells = as_object(row)?.into_iter().map(|(_, value)| match value {
            serde_json::Value::Null => String::new(),
            // A hostile user id or agent name stays text in a spreadsheet.
            serde_json::Value::String(text) => formula_safe(&text).into_owned(),
            other => other.to_string(),
        });
        out.write_record(cells).map_err(|e| csv_error(&e))?;
    }
    let bytes = out.into_inner().map_err(|e| csv_error(&e))?;
    String::from_utf8(bytes).map_err(|e| csv_error(&e))
}
