//! Log lines on standard error: text for people or one JSON object a line for log shippers
//! (`LOG_FORMAT`), filtered by `RUST_LOG` (default `frontdesk=info`). Every line written while
//! a request is being answered carries the request's id, whichever level the request span is
//! at: the id comes from the task-local `http::request_id` keeps, which costs nothing per
//! request, only per line written.

use std::fmt;
use std::io::IsTerminal;

use tracing::{Event, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

use crate::config::LogFormat;
use crate::http::request_id;

/// The field, and in JSON the key, the request id is written under.
const FIELD: &str = "request_id";

/// Installs the process-wide subscriber. Called once, by `main`, before anything logs.
pub fn init(format: LogFormat) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("frontdesk=info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder
            .with_ansi(std::io::stderr().is_terminal())
            .map_event_format(|inner| Stamped { inner, json: false })
            .init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_ansi(false)
            .map_event_format(|inner| Stamped { inner, json: true })
            .init(),
    }
}

/// An event formatter that adds the id of the request being answered to each line: a
/// top-level `request_id` key in JSON, ` request_id=…` at the end of a text line. A line that
/// names the id itself (the internal-error line does) is left as it is.
#[derive(Debug)]
pub struct Stamped<F> {
    inner: F,
    json: bool,
}

impl<S, N, F> FormatEvent<S, N> for Stamped<F>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        if event.metadata().fields().field(FIELD).is_some() {
            return self.inner.format_event(ctx, writer, event);
        }
        let stamped = request_id::with_current(|answering| {
            let id = answering.id()?;
            let mut line = String::with_capacity(256);
            let formatted = self.inner.format_event(ctx, Writer::new(&mut line), event);
            Some(formatted.map(|()| stamp(&line, id, self.json)))
        })
        .flatten();
        match stamped {
            Some(line) => writer.write_str(&line?),
            None => self.inner.format_event(ctx, writer, event),
        }
    }
}

/// `line` (one formatted event, ending in a newline) with `id` added.
fn stamp(line: &str, id: &str, json: bool) -> String {
    let body = line.strip_suffix('\n').unwrap_or(line);
    if json {
        // The formatter writes one object; the id goes in first. An id is visible ASCII, but
        // may hold a quote or a backslash: it is written as a JSON string.
        let id = serde_json::Value::from(id);
        match body.strip_prefix('{') {
            Some(rest) if rest.starts_with('}') => format!("{{\"{FIELD}\":{id}}}\n"),
            Some(rest) => format!("{{\"{FIELD}\":{id},{rest}\n"),
            None => format!("{body}\n"),
        }
    } else if body.contains(&format!("{FIELD}=")) {
        // The request span (at debug level) already shows it.
        format!("{body}\n")
    } else {
        format!("{body} {FIELD}={id}\n")
    }
}

#[cfg(test)]
mod tests {
    use super::stamp;

    #[test]
    fn the_id_goes_first_in_json_and_last_in_text() {
        let json = stamp("{\"level\":\"INFO\",\"message\":\"hi\"}\n", "abc", true);
        assert_eq!(
            json,
            "{\"request_id\":\"abc\",\"level\":\"INFO\",\"message\":\"hi\"}\n"
        );
        let hostile = stamp("{\"message\":\"hi\"}\n", "a\"b\\c", true);
        let parsed: serde_json::Value = serde_json::from_str(&hostile).unwrap();
        assert_eq!(parsed["request_id"], "a\"b\\c");
        assert_eq!(stamp("{}\n", "abc", true), "{\"request_id\":\"abc\"}\n");
        assert_eq!(
            stamp("2026 INFO frontdesk: hi\n", "abc", false),
            "2026 INFO frontdesk: hi request_id=abc\n"
        );
        let spanned = "2026 DEBUG request{request_id=abc}: frontdesk: hi\n";
        assert_eq!(stamp(spanned, "abc", false), spanned);
    }
}
