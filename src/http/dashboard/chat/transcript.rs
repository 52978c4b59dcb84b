//! The transcript and the "user is typing" line: the parts of the chat view that redraw on
//! `transcript` and `typing` events.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};

use super::chat_id;
use crate::auth::{FileLinks, FileVariant};
use crate::domain::attachment::Attachment;
use crate::domain::{SendAs, Sender};
use crate::http::dashboard::error::PageResult;
use crate::http::dashboard::session::DashboardAuth;
use crate::http::dashboard::views::{clock_time, file_size, thumbnail_box, user_label};
use crate::http::extract::AppState;
use crate::service::transcript::{self, SessionDetail};
use crate::service::typing;

pub struct MessageView {
    /// The message id: the page script adds new messages by it instead of redrawing them all.
    pub key: String,
    /// `user`, `agent` or `system`: the bubble's side and colour.
    pub side: &'static str,
    pub from: String,
    /// The agent behind a persona reply (agents always see who wrote it).
    pub real_agent: Option<String>,
    pub time: String,
    pub iso: String,
    /// Empty for a message of files alone (its plain-text stand-in is for other clients).
    pub body: String,
    pub attachments: Vec<AttachmentView>,
    pub receipt: Option<&'static str>,
}

/// One file of a message, with its signed links.
pub struct AttachmentView {
    pub id: String,
    pub name: String,
    /// "2.4 MB".
    pub size: String,
    pub url: String,
    /// Raster images only: what the transcript shows (the thumbnail, or the image itself when
    /// it is small); everything else is a download link.
    pub thumbnail: Option<String>,
    /// The thumbnail's size in CSS pixels, so the transcript does not jump while it loads.
    pub box_size: Option<(u32, u32)>,
}

impl AttachmentView {
    fn of(a: &Attachment, links: &FileLinks) -> Self {
        let url = links.url(a, FileVariant::Original);
        let thumbnail = a
            .kind
            .is_raster_image()
            .then(|| links.thumbnail_url(a).unwrap_or_else(|| url.clone()));
        AttachmentView {
            id: a.id.as_str().to_string(),
            name: a.name.clone(),
            size: file_size(a.size),
            box_size: a.width.zip(a.height).map(|(w, h)| thumbnail_box(w, h)),
            url,
            thumbnail,
        }
    }
}

pub(super) fn messages_of(d: &SessionDetail, links: &FileLinks) -> Vec<MessageView> {
    let user = user_label(&d.session);
    d.messages
        .iter()
        .map(|m| {
            let agent_name = m
                .agent_id
                .as_deref()
                .and_then(|id| d.agent_name(id))
                .map(str::to_string);
            let (side, from, real_agent) = match m.sender {
                Sender::User => ("user", user.clone(), None),
                Sender::System => ("system", "Automatic message".to_string(), None),
                Sender::Admin => {
                    let shown = m.display_name.clone().unwrap_or_else(|| "Support".into());
                    let behind = (m.sent_as == Some(SendAs::Persona))
                        .then_some(agent_name)
                        .flatten();
                    ("agent", shown, behind)
                }
            };
            let receipt =
                (m.sender == Sender::Admin).then_some(match (m.read_at, m.delivered_at) {
                    (Some(_), _) => "Read",
                    (None, Some(_)) => "Delivered",
                    (None, None) => "Sent",
                });
            MessageView {
                key: m.id.clone(),
                side,
                from,
                real_agent,
                time: clock_time(m.created_at),
                iso: m.created_at.rfc3339(),
                body: m.body.clone(),
                attachments: m
                    .attachments
                    .iter()
                    .map(|a| AttachmentView::of(a, links))
                    .collect(),
                receipt,
            }
        })
        .collect()
}

#[derive(Template, WebTemplate)]
#[template(path = "dashboard/transcript_partial.html")]
pub struct TranscriptPartial {
    pub(super) messages: Vec<MessageView>,
}

#[derive(Template, WebTemplate)]
#[template(path = "dashboard/typing_partial.html")]
pub struct TypingPartial {
    user: String,
    user_typing: bool,
}

pub async fn transcript_partial(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
    Path(id): Path<String>,
) -> PageResult<TranscriptPartial> {
    let id = chat_id(&id)?;
    let d = transcript::detail(&ctx, &session.agent, id.as_str()).await?;
    Ok(TranscriptPartial {
        messages: messages_of(&d, &ctx.file_links),
    })
}

pub async fn typing_partial(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
    Path(id): Path<String>,
) -> PageResult<TypingPartial> {
    let id = chat_id(&id)?;
    let (user, user_typing) = typing::user_typing_now(&ctx, &session.agent, id.as_str()).await?;
    Ok(TypingPartial { user, user_typing })
}
