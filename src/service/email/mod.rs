//! Email (SPEC.md section 10) over SMTP with lettre: offline messages to the team, agents'
//! replies to offline messages to the visitor, transcripts on request, and an alert when a chat
//! waits with nobody online. Every email is a row of the outbox, written in the transaction
//! that decided to send it, and sent at least once by [`worker`] on the webhook schedule.

pub mod compose;
pub mod worker;

use std::collections::HashSet;
use std::sync::Mutex;

use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, Tokio1Executor};
use secrecy::ExposeSecret;
use tokio::sync::Notify;

use super::Services;
use crate::auth::UserPrincipal;
use crate::config::Settings;
use crate::domain::webhook::EventType;
use crate::domain::{Email, SessionId};
use crate::error::{Error, Result};
use crate::store::outbox::{NewEmail, OutboxEvent};

/// Most messages a transcript email lists (the newest are left out beyond it).
const TRANSCRIPT_MESSAGES: i64 = 2000;

/// How long the SMTP server has for one email.
const SMTP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// The mail sender's state; `transport` is `None` when email is off.
pub struct Mailer {
    transport: Option<AsyncSmtpTransport<Tokio1Executor>>,
    from: Option<Mailbox>,
    notify: Option<String>,
    in_flight: Mutex<HashSet<i64>>,
    wake: Notify,
    /// Chats already alerted about since the start (the outbox's key makes it once ever).
    alerted: Mutex<HashSet<String>>,
}

impl Mailer {
    pub fn new(settings: &Settings) -> Result<Self> {
        let mut mailer = Mailer {
            transport: None,
            from: None,
            notify: None,
            in_flight: Mutex::new(HashSet::new()),
            wake: Notify::new(),
            alerted: Mutex::new(HashSet::new()),
        };
        let Some(email) = &settings.email else {
            return Ok(mailer);
        };
        let url = transport_url(email.smtp_url.expose_secret())?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&url)
            .map_err(|e| Error::internal_from("SMTP_URL", e))?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        mailer.transport = Some(transport);
        mailer.from = Some(
            email
                .from
                .parse()
                .map_err(|e| Error::internal_from("EMAIL_FROM", e))?,
        );
        mailer.notify = email.notify.clone();
        Ok(mailer)
    }

    /// Email is on (`SMTP_URL` is set).
    pub fn enabled(&self) -> bool {
        self.transport.is_some()
    }

    /// The team's notices are on (`NOTIFY_EMAIL` is set too).
    pub fn notifies_team(&self) -> bool {
        self.enabled() && self.notify.is_some()
    }

    /// The outbox events email needs written.
    pub fn wanted_events(&self) -> Vec<EventType> {
        let mut wanted = Vec::new();
        if self.enabled() {
            wanted.push(EventType::OfflineReplyCreated);
        }
        if self.notifies_team() {
            wanted.push(EventType::OfflineMessageCreated);
        }
        wanted
    }

    /// The emails an outbox event sends, queued with its fan-out.
    pub fn emails_for(&self, event: &OutboxEvent, public_url: Option<&str>) -> Vec<NewEmail> {
        let (Some(message), true) = (&event.message, self.enabled()) else {
            return Vec::new();
        };
        let s = &event.session;
        match event.event {
            EventType::OfflineMessageCreated => match &self.notify {
                Some(team) => vec![compose::offline_message(s, message, public_url).into_email(
                    "offline_message",
                    format!("offline_message:{}:{}", s.id, message.id),
                    Some(&s.id),
                    team,
                    s.user_email.as_deref(),
                )],
                None => Vec::new(),
            },
            EventType::OfflineReplyCreated => match &s.user_email {
                Some(visitor) => vec![compose::offline_reply(s, message).into_email(
                    "offline_reply",
                    format!("offline_reply:{}:{}", s.id, message.id),
                    Some(&s.id),
                    visitor,
                    self.notify.as_deref(),
                )],
                None => Vec::new(),
            },
            _ => Vec::new(),
        }
    }

    fn wake(&self) {
        self.wake.notify_one();
    }
}

/// `smtp://` without a `tls` setting means STARTTLS required (credentials never cross the
/// network in the clear), except to a loopback relay; `tls=none` asks for plain SMTP.
fn transport_url(raw: &str) -> Result<String> {
    let mut url =
        reqwest::Url::parse(raw.trim()).map_err(|e| Error::internal_from("SMTP_URL", e))?;
    if url.scheme() != "smtp" {
        return Ok(url.to_string());
    }
    let tls = url
        .query_pairs()
        .find(|(k, _)| k == "tls")
        .map(|(_, v)| v.into_owned());
    let loopback = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    let keep: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != "tls")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let tls = match tls.as_deref() {
        Some("none") => None,
        Some(other) => Some(other.to_string()),
        None if loopback => None,
        None => Some("required".to_string()),
    };
    url.set_query(None);
    {
        let mut pairs = url.query_pairs_mut();
        for (k, v) in &keep {
            pairs.append_pair(k, v);
        }
        if let Some(tls) = &tls {
            pairs.append_pair("tls", tls);
        }
    }
    let text = url.to_string();
    Ok(text.trim_end_matches('?').to_string())
}

/// Emails the transcript of one of the user's chats to `to` (or to the address the chat was
/// started with). Asked twice with nothing new in the chat, it is sent once.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"), fields(user_id = %user.user_id))]
pub async fn request_transcript(
    ctx: &Services,
    user: &UserPrincipal,
    session_id: &SessionId,
    to: Option<Email>,
) -> Result<()> {
    if !ctx.mail.enabled() {
        return Err(Error::Unavailable("Email is not set up on this server"));
    }
    let session = ctx
        .store
        .session(session_id.as_str().to_string())
        .await?
        .filter(|s| user.owner().owns(s))
        .ok_or(Error::SessionNotFound)?;
    let (messages, _) = ctx
        .store
        .list_messages(user.owner(), session.id.clone(), 0, TRANSCRIPT_MESSAGES)
        .await?;
    let to = match to {
        Some(email) => email.into_string(),
        None => session.user_email.clone().ok_or_else(|| {
            Error::validation("email", "email is required: the chat has no address")
        })?,
    };
    let last = messages.last().map_or(0, |m| m.seq);
    let email = compose::transcript(&session, &messages).into_email(
        "transcript",
        format!("transcript:{}:{to}:{last}", session.id),
        Some(&session.id),
        &to,
        ctx.mail.notify.as_deref(),
    );
    ctx.store.queue_email(email, ctx.clock.now()).await?;
    ctx.mail.wake();
    Ok(())
}

/// Queues one alert per chat that has waited past `ALERT_AFTER_MINUTES` while no agent is
/// online (maintenance calls it every few seconds).
pub async fn alert_waiting(ctx: &Services) -> Result<()> {
    let (Some(alert_after), Some(team)) = (
        ctx.settings.email.as_ref().and_then(|e| e.alert_after),
        ctx.mail.notify.as_deref(),
    ) else {
        return Ok(());
    };
    if !ctx.mail.enabled() {
        return Ok(());
    }
    let now = ctx.clock.now();
    let cutoff = now.0 - i64::try_from(alert_after.as_millis()).unwrap_or(i64::MAX);
    let waiting: Vec<_> = ctx
        .store
        .active_sessions()
        .await?
        .into_iter()
        .map(|a| a.session)
        .filter(|s| {
            s.assigned_agent_id.is_none()
                && s.channel != crate::domain::Channel::Offline
                && s.created_at.0 <= cutoff
        })
        .filter(|s| !ctx.mail.alerted.lock().expect("alerted").contains(&s.id))
        .collect();
    if waiting.is_empty() || super::hours::any_agent_online(ctx, now).await? {
        return Ok(());
    }
    for s in waiting {
        let minutes = (now.0 - s.created_at.0) / 60_000;
        let email = compose::waiting_alert(&s, minutes, ctx.settings.public_url.as_deref())
            .into_email(
                "waiting_alert",
                format!("waiting_alert:{}", s.id),
                Some(&s.id),
                team,
                None,
            );
        ctx.store.queue_email(email, now).await?;
        ctx.mail
            .alerted
            .lock()
            .expect("alerted")
            .insert(s.id.clone());
    }
    ctx.mail.wake();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::transport_url;

    #[test]
    fn plain_smtp_needs_starttls_except_to_a_local_relay() {
        assert_eq!(
            transport_url("smtp://u:p@mail.example.com:587").unwrap(),
            "smtp://u:p@mail.example.com:587?tls=required"
        );
        assert_eq!(
            transport_url("smtp://mail.example.com:25?tls=none").unwrap(),
            "smtp://mail.example.com:25"
        );
        assert_eq!(
            transport_url("smtp://127.0.0.1:2525").unwrap(),
            "smtp://127.0.0.1:2525"
        );
        assert_eq!(
            transport_url("smtp://mail.example.com?tls=opportunistic").unwrap(),
            "smtp://mail.example.com?tls=opportunistic"
        );
        assert_eq!(
            transport_url("smtps://u:p@mail.example.com").unwrap(),
            "smtps://u:p@mail.example.com"
        );
    }
}
