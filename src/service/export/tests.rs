//! The formats, written from one hand-made transcript.

use super::transcript::*;
use super::*;
use crate::domain::{Channel, Sender, SessionStatus};

fn message(seq: i64, sender: Sender, body: &str, at: i64) -> TranscriptMessage {
    TranscriptMessage {
        seq,
        message_id: format!("m{seq}"),
        sender,
        agent_id: (sender == Sender::Admin).then(|| "ag_1".into()),
        agent_name: (sender == Sender::Admin).then(|| "Sam Real".into()),
        shown_as: (sender == Sender::Admin).then(|| "Ava".into()),
        body: body.into(),
        sent_at: Timestamp(at),
        attachments: Vec::new(),
    }
}

fn note(body: &str, at: i64) -> InternalNote {
    InternalNote {
        note_id: "n1".into(),
        internal: true,
        agent_id: "ag_1".into(),
        agent_name: Some("Sam Real".into()),
        body: body.into(),
        created_at: Timestamp(at),
    }
}

fn doc() -> TranscriptExport {
    let mut files = message(3, Sender::User, "", 3_000);
    files.attachments = vec!["a.png".into(), "=b.pdf".into()];
    TranscriptExport {
        exported_at: Timestamp(9_000),
        transcript: ChatTranscript {
            chat: TranscriptChat {
                session_id: "chat_1".into(),
                user_id: "u1".into(),
                user_name: Some("Ann <b>".into()),
                user_email: Some("ann@example.com".into()),
                channel: Channel::Web,
                status: SessionStatus::EndedByUser,
                created_at: Timestamp(0),
                ended_at: Some(Timestamp(5_000)),
                assigned_agent: Some(ExportedAgent {
                    id: "ag_1".into(),
                    name: "Sam Real".into(),
                }),
                rating: Some(TranscriptRating {
                    rating: 4,
                    feedback: Some("=cmd|' /C calc'!A0".into()),
                    categories: Vec::new(),
                    submitted_at: Timestamp(6_000),
                }),
            },
            messages: vec![
                message(1, Sender::User, "<script>alert(1)</script>", 1_000),
                message(
                    2,
                    Sender::Admin,
                    "line one\n[00:00] Fake: not a message",
                    2_000,
                ),
                files,
            ],
            internal_notes: vec![note("+check refund", 2_500)],
        },
    }
}

#[test]
fn the_timeline_puts_each_note_where_it_was_written() {
    let d = doc();
    let order: Vec<String> = d
        .transcript
        .timeline()
        .iter()
        .map(|e| match e {
            Entry::Message(m) => m.message_id.clone(),
            Entry::Note(n) => n.note_id.clone(),
        })
        .collect();
    assert_eq!(order, ["m1", "m2", "n1", "m3"]);
}

#[test]
fn csv_has_one_row_per_entry_and_formulas_stay_text() {
    let file = render(&doc(), TranscriptFormat::Csv).unwrap();
    assert_eq!(file.media_type, "text/csv; charset=utf-8");
    assert_eq!(file.file_name, "chat-chat_1.csv");
    let text = String::from_utf8(file.body).unwrap();
    assert!(text.contains("\r\n"), "RFC 4180 line ends");
    let mut reader = ::csv::Reader::from_reader(text.as_bytes());
    assert_eq!(reader.headers().unwrap().len(), csv::COLUMNS.len());
    let rows: Vec<::csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 4);
    assert_eq!(&rows[0][11], "message");
    assert_eq!(&rows[0][19], "<script>alert(1)</script>");
    assert_eq!(&rows[1][19], "line one\n[00:00] Fake: not a message");
    assert_eq!(&rows[2][11], "internal_note");
    assert_eq!(&rows[2][19], "'+check refund", "a formula stays text");
    assert_eq!(&rows[3][20], "a.png; =b.pdf");
    assert_eq!(&rows[0][10], "'=cmd|' /C calc'!A0");
    assert_eq!(&rows[0][9], "4");
}

#[test]
fn text_indents_what_people_wrote() {
    let file = render(&doc(), TranscriptFormat::Text).unwrap();
    let text = String::from_utf8(file.body).unwrap();
    assert!(text.starts_with("Chat chat_1\n"), "{text}");
    assert!(text.contains("Rating: 4/5"), "{text}");
    assert!(
        text.contains("] Ava (sent by Sam Real):\n  line one\n  [00:00] Fake"),
        "{text}"
    );
    assert!(text.contains("INTERNAL NOTE by Sam Real"), "{text}");
    assert!(text.contains("  Files: a.png, =b.pdf"), "{text}");
    let headers = text.lines().filter(|l| l.starts_with('[')).count();
    assert_eq!(
        headers, 4,
        "only the export starts a line with a time: {text}"
    );
}

#[test]
fn the_page_escapes_everything_and_runs_nothing() {
    let file = render(&doc(), TranscriptFormat::Html).unwrap();
    assert!(file.inline);
    let page = String::from_utf8(file.body).unwrap();
    assert!(!page.contains("<script"), "{page}");
    assert!(
        page.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
        "{page}"
    );
    assert!(page.contains("Ann &#60;b&#62;"), "{page}");
    assert!(page.contains("Internal note"), "{page}");
    assert!(page.contains("@media print"), "{page}");
    assert!(
        file.style_sha256.is_some_and(|h| h.len() == 44),
        "a SHA-256 in base64"
    );
}

#[test]
fn json_is_the_document() {
    let file = render(&doc(), TranscriptFormat::Json).unwrap();
    let value: serde_json::Value = serde_json::from_slice(&file.body).unwrap();
    assert_eq!(value["chat"]["sessionId"], "chat_1");
    assert_eq!(value["messages"][1]["agentName"], "Sam Real");
    assert_eq!(value["messages"][1]["shownAs"], "Ava");
    assert_eq!(value["internalNotes"][0]["internal"], true);
    assert_eq!(value["chat"]["rating"]["rating"], 4);
}
