//! Privacy exports (SPEC.md section 12): everything stored about one person as one JSON
//! document. Super admins ask for anyone by id (both the business's user and a guest of that
//! id); a user asks for themselves, and gets the same document less what the product never
//! shows users: internal notes, the real agent behind a reply, uploads agents never sent, and
//! emails to the team. Exports for agents and the command line are audited (`user_export`)
//! without their content.

use serde::Serialize;
use serde_json::json;

use super::transcript::ChatTranscript;
use super::{AgentPrincipal, Services};
use crate::auth::UserPrincipal;
use crate::domain::audit::NewAuditEvent;
use crate::domain::ids::check_user_id;
use crate::domain::{Permission, Timestamp};
use crate::error::Result;
use crate::store::export::{
    EmailRecord, Person, PersonChat, PersonRecord, PushDevice, PushNotice, Upload,
};

/// Everything stored about one person.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PersonExport {
    pub exported_at: Timestamp,
    pub user_id: String,
    /// Their chats, oldest first.
    pub chats: Vec<PersonChatExport>,
    /// Devices registered for push notifications.
    pub push_devices: Vec<PushDeviceExport>,
    /// Push notifications queued for those devices.
    pub push_notifications: Vec<PushNotificationExport>,
    /// Emails about their chats.
    pub emails: Vec<EmailExport>,
}

/// One chat with everything stored with it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PersonChatExport {
    #[serde(flatten)]
    pub transcript: ChatTranscript,
    /// A guest of the server's own making rather than a user of the business's sign-in.
    pub is_guest: bool,
    pub user_phone: Option<String>,
    pub end_reason: Option<String>,
    /// What the client sent about itself (the website widget: page, referrer, language, browser).
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<serde_json::Value>,
    /// Every file uploaded to the chat, sent or not (metadata; the files themselves are not in
    /// the document).
    pub attachments: Vec<AttachmentExport>,
}

/// An upload's metadata.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttachmentExport {
    pub attachment_id: String,
    pub name: String,
    pub content_type: &'static str,
    pub size: u64,
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// `user` or `agent`.
    pub uploaded_by: &'static str,
    /// The message that carried it; null when it was never sent.
    pub message_id: Option<String>,
    pub uploaded_at: Timestamp,
}

/// A device registered for push.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PushDeviceExport {
    pub token: String,
    pub platform: String,
    pub registered_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A push notification queued for one of the devices.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PushNotificationExport {
    pub session_id: String,
    pub message_id: String,
    pub title: String,
    pub body: String,
    /// `pending`, `sent` or `failed`.
    pub status: String,
    pub created_at: Timestamp,
}

/// An email about one of the chats.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EmailExport {
    pub session_id: String,
    /// `transcript` and `offline_reply` go to the person; `offline_message` and
    /// `waiting_alert` to the team.
    pub kind: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    /// `pending`, `sent` or `failed`.
    pub status: String,
    pub created_at: Timestamp,
    pub sent_at: Option<Timestamp>,
}

/// Who the document is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reader {
    /// A super admin or the command line: everything.
    Operator,
    /// The person themselves: what the product shows users.
    Themselves,
}

/// Everything stored under `user_id`, for a super admin. An id nothing is stored under gets a
/// document with empty lists: the answer to "what do you hold about this person" is "nothing".
#[tracing::instrument(skip_all, err(level = "debug"), fields(agent_id = %actor.id))]
pub async fn export_for_agent(
    ctx: &Services,
    actor: &AgentPrincipal,
    user_id: &str,
) -> Result<PersonExport> {
    actor.require(Permission::PrivacyRequests)?;
    let user_id = checked_user_id(user_id)?;
    let record = ctx.store.person_record(Person::Id(user_id.clone())).await?;
    audited(ctx, Some(&actor.id), "agent", &user_id, &record).await?;
    Ok(document(ctx, user_id, record, Reader::Operator))
}

/// Everything stored under `user_id`, for whoever runs the command line (who can read the
/// database file anyway); audited without an agent.
pub async fn export_for_operator(ctx: &Services, user_id: &str) -> Result<PersonExport> {
    let user_id = checked_user_id(user_id)?;
    let record = ctx.store.person_record(Person::Id(user_id.clone())).await?;
    audited(ctx, None, "command_line", &user_id, &record).await?;
    Ok(document(ctx, user_id, record, Reader::Operator))
}

/// What is stored about the caller: their own id in their own namespace, nobody else's. Not
/// audited: it discloses nothing to anyone but its owner, and a row per request would let any
/// holder of a token grow the database at will.
#[tracing::instrument(skip_all, err(level = "debug"))]
pub async fn export_own(ctx: &Services, user: &UserPrincipal) -> Result<PersonExport> {
    let owner = user.owner();
    let user_id = owner.user_id.to_string();
    let record = ctx.store.person_record(Person::Owner(owner)).await?;
    Ok(document(ctx, user_id, record, Reader::Themselves))
}

fn checked_user_id(raw: &str) -> Result<String> {
    check_user_id(raw)?;
    Ok(raw.to_string())
}

/// Records that `user_id`'s data was exported, by whom, and how much: never the content.
async fn audited(
    ctx: &Services,
    agent_id: Option<&str>,
    requested_by: &str,
    user_id: &str,
    record: &PersonRecord,
) -> Result<()> {
    ctx.store
        .record_audit(NewAuditEvent {
            at: ctx.clock.now(),
            agent_id: agent_id.map(str::to_string),
            action: "user_export".into(),
            session_id: None,
            detail: Some(json!({
                "userId": user_id,
                "requestedBy": requested_by,
                "chats": record.chats.len(),
            })),
        })
        .await
}

fn document(ctx: &Services, user_id: String, record: PersonRecord, reader: Reader) -> PersonExport {
    let themselves = reader == Reader::Themselves;
    PersonExport {
        exported_at: ctx.clock.now(),
        user_id,
        chats: record
            .chats
            .iter()
            .map(|chat| chat_export(chat, reader))
            .collect(),
        push_devices: record
            .push_devices
            .iter()
            .map(PushDeviceExport::from)
            .collect(),
        push_notifications: record
            .push_notifications
            .iter()
            .map(PushNotificationExport::from)
            .collect(),
        emails: record
            .emails
            .iter()
            .filter(|e| !themselves || matches!(e.kind.as_str(), "transcript" | "offline_reply"))
            .map(EmailExport::from)
            .collect(),
    }
}

fn chat_export(chat: &PersonChat, reader: Reader) -> PersonChatExport {
    let s = &chat.record.session;
    let mut transcript = ChatTranscript::of(&chat.record);
    if reader == Reader::Themselves {
        // What users see of a chat: the names replies were shown under, never the agent
        // behind them or their notes.
        transcript.chat.assigned_agent = None;
        transcript.internal_notes.clear();
        for m in &mut transcript.messages {
            m.agent_id = None;
            m.agent_name = None;
        }
    }
    PersonChatExport {
        transcript,
        is_guest: s.is_guest,
        user_phone: s.user_phone.clone(),
        end_reason: s.end_reason.clone(),
        metadata: s
            .metadata
            .as_deref()
            .and_then(|m| serde_json::from_str(m).ok()),
        attachments: chat
            .uploads
            .iter()
            .filter(|u| reader == Reader::Operator || !u.by_agent || u.message_id.is_some())
            .map(AttachmentExport::from)
            .collect(),
    }
}

impl From<&Upload> for AttachmentExport {
    fn from(u: &Upload) -> Self {
        let a = &u.attachment;
        AttachmentExport {
            attachment_id: a.id.as_str().to_string(),
            name: a.name.clone(),
            content_type: a.kind.mime(),
            size: a.size,
            width: a.width,
            height: a.height,
            uploaded_by: if u.by_agent { "agent" } else { "user" },
            message_id: u.message_id.clone(),
            uploaded_at: u.created_at,
        }
    }
}

impl From<&PushDevice> for PushDeviceExport {
    fn from(d: &PushDevice) -> Self {
        PushDeviceExport {
            token: d.token.clone(),
            platform: d.platform.clone(),
            registered_at: d.created_at,
            updated_at: d.updated_at,
        }
    }
}

impl From<&PushNotice> for PushNotificationExport {
    fn from(p: &PushNotice) -> Self {
        PushNotificationExport {
            session_id: p.session_id.clone(),
            message_id: p.message_id.clone(),
            title: p.title.clone(),
            body: p.body.clone(),
            status: p.status.clone(),
            created_at: p.created_at,
        }
    }
}

impl From<&EmailRecord> for EmailExport {
    fn from(e: &EmailRecord) -> Self {
        EmailExport {
            session_id: e.session_id.clone(),
            kind: e.kind.clone(),
            to: e.to.clone(),
            subject: e.subject.clone(),
            text: e.text.clone(),
            status: e.status.clone(),
            created_at: e.created_at,
            sent_at: e.sent_at,
        }
    }
}
