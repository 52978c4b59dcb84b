//! The chat view: transcript (live), reply box with send-as switch and canned responses,
//! "user is typing", and the details panel. The page is assembled here from the parts each
//! submodule owns; actions answer htmx with the refreshed partial and plain forms with a redirect.

mod actions;
mod details;
mod export;
mod files;
mod transcript;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};

use super::error::{PageError, PageResult};
use super::hypermedia::{ChatUrl, LiveEvent, Url};
use super::session::DashboardAuth;
use super::views::{Layout, file_size, user_label};
use crate::domain::SessionId;
use crate::http::extract::{AppState, session_path};
use crate::service::{canned, transcript as transcripts};

pub use actions::{
    add_note, agent_typing, assign, change_label, end, priority, release, reply, transfer,
};
pub use details::details_partial;
use details::{Details, details_of};
pub use export::export_route;
use export::{ExportLink, export_links};
pub use files::upload;
use transcript::{MessageView, messages_of};
pub use transcript::{transcript_partial, typing_partial};

pub struct CannedOption {
    pub shortcut: String,
    pub title: String,
    pub text: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "dashboard/chat_page.html")]
pub struct ChatPage {
    layout: Layout,
    id: String,
    user: String,
    subtitle: String,
    messages: Vec<MessageView>,
    user_typing: bool,
    active: bool,
    persona: Option<String>,
    canned: Vec<CannedOption>,
    max_length: usize,
    /// The upload limit, for the page script to refuse a bigger file before sending it.
    max_attachment_bytes: u64,
    /// The same limit as people read it ("10 MB").
    max_attachment_size: String,
    /// An offline-form chat: what happens to a reply (emailed, or only shown in the widget).
    offline_note: Option<&'static str>,
    details: Details,
    exports: Vec<ExportLink>,
}

fn chat_id(raw: &str) -> PageResult<SessionId> {
    session_path(raw).map_err(PageError::from)
}

pub async fn page(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
    Path(id): Path<String>,
) -> PageResult<ChatPage> {
    let id = chat_id(&id)?;
    let d = transcripts::detail(&ctx, &session.agent, id.as_str()).await?;
    let canned = canned::list(&ctx, &session.agent)
        .await?
        .into_iter()
        .map(|c| CannedOption {
            shortcut: c.shortcut,
            title: c.title,
            text: c.body,
        })
        .collect();
    let s = &d.session;
    let subtitle = match &d.persona {
        Some(p) => format!("Chatting with {}", p.name),
        None => "Direct chat with support".to_string(),
    };
    Ok(ChatPage {
        layout: Layout::new(&session, Url::Queue),
        id: s.id.clone(),
        user: user_label(s),
        subtitle,
        messages: messages_of(&d, &ctx.file_links),
        user_typing: d.user_typing,
        active: s.status.is_active(),
        persona: d.persona.as_ref().map(|p| p.name.clone()),
        canned,
        max_length: ctx.settings.max_message_length,
        max_attachment_bytes: ctx.settings.attachments.max_bytes,
        max_attachment_size: file_size(ctx.settings.attachments.max_bytes),
        offline_note: (s.channel == crate::domain::Channel::Offline).then(|| {
            match (ctx.mail.enabled(), s.user_email.is_some()) {
                (true, true) => "This visitor left a message while nobody could answer: your reply is emailed to them.",
                (true, false) => "This visitor left no email address: they see your reply only if they come back to the site.",
                (false, _) => "Email is off (SMTP_URL is not set): the visitor sees your reply only if they come back to the site.",
            }
        }),
        details: details_of(&ctx, &session, &d).await?,
        exports: export_links(&s.id),
    })
}
