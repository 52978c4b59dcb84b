//! A transcript as plain text: a heading with the chat's facts, then one paragraph per message
//! or internal note, in the order of the timeline. What people wrote is indented, so only the
//! export itself starts a line with `[time]`: a message cannot pass itself off as another
//! message or as a note.

use std::fmt::Write;

use super::transcript::{Entry, TranscriptExport};
use super::utc;

pub fn transcript_text(doc: &TranscriptExport) -> String {
    let chat = &doc.transcript.chat;
    let user = chat.user_label();
    let mut out = String::with_capacity(256 + doc.transcript.messages.len() * 128);
    // Writing to a String cannot fail.
    let _ = writeln!(out, "Chat {}", chat.session_id);
    let _ = write!(out, "User: {user}");
    if let (Some(email), true) = (&chat.user_email, chat.user_name.is_some()) {
        let _ = write!(out, " <{email}>");
    }
    let _ = writeln!(out, " (user id {})", chat.user_id);
    let _ = writeln!(out, "Channel: {}", chat.channel.as_str());
    let _ = writeln!(out, "Status: {}", chat.status.as_str());
    let _ = writeln!(out, "Started: {}", utc(chat.created_at));
    if let Some(ended) = chat.ended_at {
        let _ = writeln!(out, "Ended: {}", utc(ended));
    }
    if let Some(agent) = &chat.assigned_agent {
        let _ = writeln!(out, "Agent: {}", agent.name);
    }
    if let Some(rating) = &chat.rating {
        let _ = write!(out, "Rating: {}/5", rating.rating);
        if let Some(feedback) = &rating.feedback {
            let _ = write!(out, ", feedback: {feedback}");
        }
        out.push('\n');
    }
    let _ = writeln!(out, "Exported: {}", utc(doc.exported_at));
    for entry in doc.transcript.timeline() {
        out.push('\n');
        match entry {
            Entry::Message(m) => {
                let _ = writeln!(out, "[{}] {}:", utc(m.sent_at), m.author(user));
                indented(&mut out, &m.body);
                if !m.attachments.is_empty() {
                    let _ = writeln!(out, "  Files: {}", m.attachments.join(", "));
                }
            }
            Entry::Note(n) => {
                let by = n.agent_name.as_deref().unwrap_or(&n.agent_id);
                let _ = writeln!(
                    out,
                    "[{}] INTERNAL NOTE by {by} (never shown to the user):",
                    utc(n.created_at)
                );
                indented(&mut out, &n.body);
            }
        }
    }
    out
}

/// `text`'s lines, each indented by two spaces.
fn indented(out: &mut String, text: &str) {
    for line in text.lines() {
        out.push_str("  ");
        out.push_str(line);
        out.push('\n');
    }
}
