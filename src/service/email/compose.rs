//! What each email says: a plain-text and an HTML part from one view (askama escapes the HTML
//! part; the text part is plain text by its extension).

use askama::Template;

use crate::domain::message::Message;
use crate::domain::session::Session;
use crate::domain::{Sender, Timestamp};
use crate::store::outbox::NewEmail;

pub struct Line {
    pub who: String,
    pub time: String,
    pub text: String,
}

#[derive(Template)]
#[template(path = "email/notice.txt")]
struct NoticeText<'a> {
    heading: &'a str,
    paragraphs: &'a [String],
    lines: &'a [Line],
    link: &'a Option<(String, String)>,
    footer: &'a str,
}

#[derive(Template)]
#[template(path = "email/notice.html")]
struct NoticeHtml<'a> {
    heading: &'a str,
    paragraphs: &'a [String],
    lines: &'a [Line],
    link: &'a Option<(String, String)>,
    footer: &'a str,
}

/// One email's content before it has an address.
pub struct Notice {
    pub subject: String,
    pub heading: String,
    pub paragraphs: Vec<String>,
    pub lines: Vec<Line>,
    /// `(label, url)`.
    pub link: Option<(String, String)>,
    pub footer: String,
}

impl Notice {
    pub fn into_email(
        self,
        kind: &'static str,
        dedupe_key: String,
        session_id: Option<&str>,
        to: &str,
        reply_to: Option<&str>,
    ) -> NewEmail {
        let text = NoticeText {
            heading: &self.heading,
            paragraphs: &self.paragraphs,
            lines: &self.lines,
            link: &self.link,
            footer: &self.footer,
        }
        .render()
        .unwrap_or_else(|_| self.paragraphs.join("\n\n"));
        let html = NoticeHtml {
            heading: &self.heading,
            paragraphs: &self.paragraphs,
            lines: &self.lines,
            link: &self.link,
            footer: &self.footer,
        }
        .render()
        .unwrap_or_default();
        NewEmail {
            kind,
            dedupe_key,
            session_id: session_id.map(str::to_string),
            to: to.to_string(),
            reply_to: reply_to.map(str::to_string),
            subject: self.subject,
            text,
            html,
        }
    }
}

/// "2026-12-03 07:31 UTC".
pub fn utc_time(at: Timestamp) -> String {
    chrono::DateTime::from_timestamp_millis(at.0)
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}

fn visitor(s: &Session) -> String {
    match (&s.user_name, &s.user_email) {
        (Some(name), Some(email)) => format!("{name} <{email}>"),
        (Some(name), None) => name.clone(),
        (None, Some(email)) => email.clone(),
        (None, None) => s.user_id.clone(),
    }
}

fn dashboard_link(public_url: Option<&str>, s: &Session) -> Option<(String, String)> {
    public_url.map(|base| {
        (
            "Open the chat in the dashboard".to_string(),
            format!("{}/admin/chats/{}", base.trim_end_matches('/'), s.id),
        )
    })
}

/// The page the visitor wrote from, where the widget shows the conversation again.
fn page_link(s: &Session) -> Option<(String, String)> {
    let metadata: serde_json::Value = serde_json::from_str(s.metadata.as_deref()?).ok()?;
    let page = metadata.get("pageUrl")?.as_str()?;
    let url = reqwest::Url::parse(page).ok()?;
    matches!(url.scheme(), "http" | "https").then(|| {
        (
            "Continue the conversation where you left your message".to_string(),
            url.to_string(),
        )
    })
}

const FOOTER: &str = "Sent by the support chat.";

fn line_of(m: &Message, s: &Session) -> Line {
    let who = match m.sender {
        Sender::User => s.user_name.clone().unwrap_or_else(|| "You".into()),
        _ => m.display_name.clone().unwrap_or_else(|| "Support".into()),
    };
    let mut text = m.body.clone();
    for a in &m.attachments {
        text.push_str(&format!("\n[file: {}]", a.name));
    }
    Line {
        who,
        time: utc_time(m.created_at),
        text: text.trim().to_string(),
    }
}

/// The team hears of a message left while nobody could answer.
pub fn offline_message(s: &Session, m: &Message, public_url: Option<&str>) -> Notice {
    Notice {
        subject: format!("New offline message from {}", visitor(s)),
        heading: "A visitor left a message".into(),
        paragraphs: vec![format!(
            "{} wrote while nobody could answer. Reply in the dashboard; the reply is emailed to them.",
            visitor(s)
        )],
        lines: vec![line_of(m, s)],
        link: dashboard_link(public_url, s),
        footer: FOOTER.into(),
    }
}

/// The visitor gets an agent's reply to their offline message.
pub fn offline_reply(s: &Session, m: &Message) -> Notice {
    let from = m.display_name.clone().unwrap_or_else(|| "Support".into());
    Notice {
        subject: format!("{from} replied to your message"),
        heading: format!("{from} replied to your message"),
        paragraphs: vec!["Thank you for your message. Here is our answer:".into()],
        lines: vec![line_of(m, s)],
        link: page_link(s),
        footer: format!("{FOOTER} Replies to this email reach the support team."),
    }
}

/// A chat's transcript, as its visitor asked.
pub fn transcript(s: &Session, messages: &[Message]) -> Notice {
    Notice {
        subject: "The transcript of your chat".into(),
        heading: "Your chat with support".into(),
        paragraphs: vec![format!("Started {}.", utc_time(s.created_at))],
        lines: messages
            .iter()
            .filter(|m| m.sender != Sender::System)
            .map(|m| line_of(m, s))
            .collect(),
        link: None,
        footer: FOOTER.into(),
    }
}

/// The team hears of a chat waiting with nobody online.
pub fn waiting_alert(s: &Session, waited_minutes: i64, public_url: Option<&str>) -> Notice {
    Notice {
        subject: format!("A chat has waited {waited_minutes} minutes with no agent online"),
        heading: "A customer is waiting".into(),
        paragraphs: vec![format!(
            "{} started a chat {} and no agent is online to take it.",
            visitor(s),
            utc_time(s.created_at)
        )],
        lines: Vec::new(),
        link: dashboard_link(public_url, s),
        footer: FOOTER.into(),
    }
}
