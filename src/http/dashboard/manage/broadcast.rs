//! The broadcast page (super admins): one system message into every chat going on. The form
//! carries a message id made when it was shown, so a double submit or a browser resend is a
//! retry that stores nothing twice.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::form_error;
use crate::domain::{MessageId, MessageText, Permission};
use crate::error::{Error, Result};
use crate::http::dashboard::error::PageResult;
use crate::http::dashboard::form::Form;
use crate::http::dashboard::hypermedia::Url;
use crate::http::dashboard::session::DashboardAuth;
use crate::http::dashboard::views::Layout;
use crate::http::extract::AppState;
use crate::service::broadcast;
use crate::service::dashboard_auth::DashboardSession;

#[derive(Template, WebTemplate)]
#[template(path = "dashboard/broadcast_page.html")]
pub struct BroadcastPage {
    layout: Layout,
    /// The id the next submit uses.
    message_id: String,
    message: String,
    max_chars: usize,
    /// What the last submit reached.
    sent: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct BroadcastForm {
    message: Option<String>,
    message_id: Option<String>,
}

fn render(
    ctx: &AppState,
    session: &DashboardSession,
    message_id: String,
    message: String,
    sent: Option<String>,
    error: Option<String>,
) -> BroadcastPage {
    BroadcastPage {
        layout: Layout::new(session, Url::Broadcast),
        message_id,
        message,
        max_chars: ctx.settings.max_message_length,
        sent,
        error,
    }
}

fn fresh_id(ctx: &AppState) -> String {
    MessageId::generate(ctx.clock.now().0).into_string()
}

pub async fn page(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
) -> PageResult<BroadcastPage> {
    session.agent.require(Permission::Broadcast)?;
    Ok(render(
        &ctx,
        &session,
        fresh_id(&ctx),
        String::new(),
        None,
        None,
    ))
}

pub async fn send(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
    Form(form): Form<BroadcastForm>,
) -> PageResult<Response> {
    let typed = form.message.clone().unwrap_or_default();
    let result: Result<_> = async {
        let text = MessageText::parse(&typed, ctx.settings.max_message_length)?;
        let id = MessageId::parse(form.message_id.as_deref().unwrap_or_default())
            .map_err(|_| Error::validation("messageId", "the form is stale; send it again"))?;
        broadcast::send(&ctx, &session.agent, text, Some(id)).await
    }
    .await;
    match result {
        Ok(summary) => {
            let sent = match (summary.chats, summary.already_had) {
                (0, 0) => "There are no active chats: nobody got the message.".to_string(),
                (0, _) => "This message was sent already; nothing was sent twice.".to_string(),
                (1, _) => "Sent to 1 active chat.".to_string(),
                (n, _) => format!("Sent to {n} active chats."),
            };
            Ok(render(
                &ctx,
                &session,
                fresh_id(&ctx),
                String::new(),
                Some(sent),
                None,
            )
            .into_response())
        }
        Err(e) => {
            let (status, message): (StatusCode, String) = form_error(e)?;
            // The same id again: resending this form is still a retry of the same broadcast.
            let id = form.message_id.unwrap_or_else(|| fresh_id(&ctx));
            Ok((
                status,
                render(&ctx, &session, id, typed, None, Some(message)),
            )
                .into_response())
        }
    }
}
