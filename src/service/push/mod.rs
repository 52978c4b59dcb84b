//! Mobile push (SPEC.md section 10, FCM HTTP v1): apps register their device; when an agent
//! writes to a user who has had no poll or stream open for [`AWAY_MS`], each of the user's
//! devices gets a notification (title: the name the user sees; body: the first 100 characters;
//! data: `sessionId`, `messageId`). Pushes go through the outbox like webhooks and email.

mod fcm;
pub mod worker;

use std::collections::HashSet;
use std::sync::Mutex;

use tokio::sync::Notify;

use super::Services;
use crate::auth::UserPrincipal;
use crate::config::Settings;
use crate::domain::attachment::fallback_text;
use crate::domain::webhook::EventType;
use crate::domain::{Sender, SessionOwner};
use crate::error::{Error, Result};
use crate::store::outbox::{NewPush, OutboxEvent};

pub use fcm::ServiceAccount;

/// A user is away when nothing of theirs has watched the chat for this long.
pub const AWAY_MS: i64 = 30_000;
/// Characters of the message a notification shows.
const BODY_CHARS: usize = 100;
/// Devices kept per user.
pub const MAX_DEVICES_PER_USER: usize = 10;
const MAX_TOKEN_CHARS: usize = 4096;

/// The push sender's state; `fcm` is `None` when push is off.
pub struct Pusher {
    fcm: Option<fcm::Fcm>,
    in_flight: Mutex<HashSet<i64>>,
    wake: Notify,
}

impl Pusher {
    pub fn new(settings: &Settings) -> Result<Self> {
        let fcm = settings.push.as_ref().map(fcm::Fcm::new).transpose()?;
        Ok(Pusher {
            fcm,
            in_flight: Mutex::new(HashSet::new()),
            wake: Notify::new(),
        })
    }

    pub fn enabled(&self) -> bool {
        self.fcm.is_some()
    }

    /// The outbox events push needs written.
    pub fn wanted_events(&self) -> Vec<EventType> {
        if self.enabled() {
            vec![EventType::MessageCreated]
        } else {
            Vec::new()
        }
    }
}

/// A device token as the app sends it.
fn parse_token(raw: &str) -> Result<String> {
    let token = raw.trim();
    if token.is_empty() {
        return Err(Error::validation("token", "token must not be empty"));
    }
    if token.chars().count() > MAX_TOKEN_CHARS
        || token.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(Error::validation(
            "token",
            format!("token must be at most {MAX_TOKEN_CHARS} characters with no spaces"),
        ));
    }
    Ok(token.to_string())
}

fn parse_platform(raw: &str) -> Result<&'static str> {
    ["android", "ios", "web"]
        .into_iter()
        .find(|p| *p == raw)
        .ok_or_else(|| Error::validation("platform", "platform must be android, ios or web"))
}

/// Registers the caller's device. Accepted even while push is off, so that turning it on
/// reaches devices that registered before; answers whether push is on.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"), fields(user_id = %user.user_id))]
pub async fn register_device(
    ctx: &Services,
    user: &UserPrincipal,
    token: &str,
    platform: &str,
) -> Result<bool> {
    let token = parse_token(token)?;
    let platform = parse_platform(platform)?;
    ctx.store
        .register_push_token(
            user.owner(),
            token,
            platform,
            MAX_DEVICES_PER_USER,
            ctx.clock.now(),
        )
        .await?;
    Ok(ctx.push.enabled())
}

/// The push an outbox event sends: an agent's message to a user who is away.
pub fn push_for(ctx: &Services, event: &OutboxEvent) -> Option<NewPush> {
    if !ctx.push.enabled() || event.event != EventType::MessageCreated {
        return None;
    }
    let message = event.message.as_ref()?;
    if message.sender != Sender::Admin {
        return None;
    }
    let session = &event.session;
    let watching = ctx
        .hub
        .get(&session.id)
        .is_some_and(|cell| cell.watched_within(ctx.clock.now(), AWAY_MS));
    if watching {
        return None;
    }
    let text = if message.body.is_empty() {
        fallback_text(&message.attachments)
    } else {
        message.body.clone()
    };
    Some(NewPush {
        owner: SessionOwner::of(session),
        session_id: session.id.clone(),
        message_id: message.id.clone(),
        title: message
            .display_name
            .clone()
            .unwrap_or_else(|| "Support".into()),
        body: text.chars().take(BODY_CHARS).collect(),
    })
}
