//! Every message stored in a stretch of time, written as it is read (`frontdesk export`): one
//! JSON object a line, or CSV. Messages are read in batches in the order they were stored,
//! each batch one short read, and written through the caller's writer, so memory stays the
//! same however long the range and the server can keep writing meanwhile.

use std::io::Write;

use serde::Serialize;

use super::csv::NAME_SEPARATOR;
use crate::domain::export::{ExportRange, RangeFormat};
use crate::domain::spreadsheet::{formula_safe, rfc4180_writer};
use crate::domain::{Channel, Sender, Timestamp};
use crate::error::{Error, Result};
use crate::store::ExportStore;
use crate::store::export::RangeMessage;

/// Messages per read: big enough that a read's fixed cost is small beside its rows, small
/// enough that a batch takes a few hundred kilobytes.
pub const BATCH: usize = 2_000;

/// One exported message: a JSON line, or a CSV row whose columns are these names in order.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MessageLine<'a> {
    chat_id: &'a str,
    user_id: &'a str,
    channel: Channel,
    seq: i64,
    message_id: &'a str,
    sent_at: Timestamp,
    sender: Sender,
    agent_id: Option<&'a str>,
    agent_name: Option<&'a str>,
    shown_as: Option<&'a str>,
    body: &'a str,
    attachments: &'a [String],
}

/// The CSV header: [`MessageLine`]'s names.
pub const CSV_COLUMNS: [&str; 12] = [
    "chatId",
    "userId",
    "channel",
    "seq",
    "messageId",
    "sentAt",
    "sender",
    "agentId",
    "agentName",
    "shownAs",
    "body",
    "attachments",
];

impl<'a> From<&'a RangeMessage> for MessageLine<'a> {
    fn from(m: &'a RangeMessage) -> Self {
        MessageLine {
            chat_id: &m.session_id,
            user_id: &m.user_id,
            channel: m.channel,
            seq: m.seq,
            message_id: &m.message_id,
            sent_at: m.created_at,
            sender: m.sender,
            agent_id: m.agent_id.as_deref(),
            agent_name: m.agent_name.as_deref(),
            shown_as: m.shown_as.as_deref(),
            body: &m.body,
            attachments: &m.attachment_names,
        }
    }
}

/// Where lines go, in the chosen format.
enum Sink<W: Write> {
    Jsonl(W),
    /// Boxed: the writer carries its own buffer state, and there is one sink per export.
    Csv(Box<csv::Writer<W>>),
}

impl<W: Write> Sink<W> {
    fn new(format: RangeFormat, out: W) -> Result<Self> {
        Ok(match format {
            RangeFormat::Jsonl => Sink::Jsonl(out),
            RangeFormat::Csv => {
                let mut csv = rfc4180_writer(out);
                csv.write_record(CSV_COLUMNS).map_err(write_error)?;
                Sink::Csv(Box::new(csv))
            }
        })
    }

    fn write(&mut self, m: &RangeMessage) -> Result<()> {
        match self {
            Sink::Jsonl(out) => {
                serde_json::to_writer(&mut *out, &MessageLine::from(m))
                    .map_err(|e| Error::internal_from("writing the export", e))?;
                out.write_all(b"\n").map_err(write_error)
            }
            Sink::Csv(out) => {
                let text = |v: &str| formula_safe(v).into_owned();
                let optional = |v: &Option<String>| text(v.as_deref().unwrap_or_default());
                out.write_record([
                    text(&m.session_id),
                    text(&m.user_id),
                    m.channel.as_str().to_string(),
                    m.seq.to_string(),
                    text(&m.message_id),
                    m.created_at.rfc3339(),
                    m.sender.as_str().to_string(),
                    optional(&m.agent_id),
                    optional(&m.agent_name),
                    optional(&m.shown_as),
                    text(&m.body),
                    text(&m.attachment_names.join(NAME_SEPARATOR)),
                ])
                .map_err(write_error)
            }
        }
    }

    fn finish(self) -> Result<()> {
        match self {
            Sink::Jsonl(mut out) => out.flush().map_err(write_error),
            Sink::Csv(mut out) => out.flush().map_err(write_error),
        }
    }
}

fn write_error(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Error {
    Error::internal_from("writing the export", e)
}

/// Writes every message stamped within `range` to `out` in `format`, in the order they were
/// stored; answers how many. The caller buffers `out`. Writing blocks the calling thread,
/// which is what a command-line export wants.
pub async fn write_range<W: Write>(
    store: &dyn ExportStore,
    range: ExportRange,
    format: RangeFormat,
    out: W,
) -> Result<u64> {
    let mut sink = Sink::new(format, out)?;
    let mut written = 0u64;
    let mut after = None;
    loop {
        let batch = store.messages_in_range(range, after, BATCH).await?;
        for message in &batch {
            sink.write(message)?;
        }
        written += batch.len() as u64;
        match batch.last() {
            Some(last) if batch.len() == BATCH => after = Some(last.cursor),
            _ => break,
        }
    }
    sink.finish()?;
    Ok(written)
}
