//! The webhooks page (super admins): every endpoint with its events, switch and health; add,
//! save, rotate the secret, delete. A new or rotated secret is shown once, on the page that
//! answers the post (not after a redirect): lists never carry it, so a reload does not bring it
//! back.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::form_error;
use crate::domain::Permission;
use crate::domain::webhook::{EventType, WebhookEndpoint};
use crate::error::Error;
use crate::http::dashboard::error::PageResult;
use crate::http::dashboard::form::Form;
use crate::http::dashboard::hypermedia::{ItemUrl, Url};
use crate::http::dashboard::session::{DashboardAuth, see_other};
use crate::http::dashboard::views::{Layout, date_time};
use crate::http::extract::AppState;
use crate::service::dashboard_auth::DashboardSession;
use crate::service::webhooks::{self, EndpointInput, MAX_DESCRIPTION_CHARS, MAX_URL_CHARS};

/// One of the six event checkboxes.
pub struct EventBox {
    pub value: &'static str,
    pub checked: bool,
}

fn event_boxes(checked: impl Fn(EventType) -> bool) -> Vec<EventBox> {
    EventType::ALL
        .into_iter()
        .map(|t| EventBox {
            value: t.as_str(),
            checked: checked(t),
        })
        .collect()
}

/// Why an endpoint is not receiving, as the page says it; `None` when it is healthy.
pub fn health_notice(e: &WebhookEndpoint) -> Option<String> {
    match (&e.disabled_reason, e.failing_since) {
        (Some(reason), _) => Some(format!("Turned off: {reason}")),
        (None, Some(since)) => Some(format!("Failing since {}", date_time(since))),
        (None, None) => None,
    }
}

pub struct EndpointLine {
    pub id: String,
    pub url: String,
    pub description: String,
    pub events: Vec<EventBox>,
    pub active: bool,
    pub notice: Option<String>,
    /// Why the last post to this endpoint's forms was refused.
    pub error: Option<String>,
}

/// The add form, empty or as typed.
pub struct NewEndpoint {
    pub url: String,
    pub description: String,
    pub events: Vec<EventBox>,
    pub active: bool,
    pub error: Option<String>,
}

/// A secret just made or rotated, shown on this one answer.
pub struct RevealedSecret {
    pub endpoint_id: String,
    pub url: String,
    pub secret: String,
    pub rotated: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "dashboard/webhooks_page.html")]
pub struct WebhooksPage {
    layout: Layout,
    endpoints: Vec<EndpointLine>,
    new_endpoint: NewEndpoint,
    revealed: Option<RevealedSecret>,
    /// An error no form on the page owns (the endpoint is gone).
    error: Option<String>,
    max_url_chars: usize,
    max_description_chars: usize,
}

/// The fields of an endpoint's form as posted: `events` repeats, one per ticked box, and an
/// unticked `active` box is not sent at all.
type Fields = Vec<(String, String)>;

struct EndpointDraft {
    url: String,
    description: String,
    events: Vec<String>,
    active: bool,
}

impl EndpointDraft {
    fn of(fields: &Fields) -> Self {
        let first = |name: &str| {
            fields
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        EndpointDraft {
            url: first("url").unwrap_or_default(),
            description: first("description").unwrap_or_default(),
            events: fields
                .iter()
                .filter(|(k, _)| k == "events")
                .map(|(_, v)| v.clone())
                .collect(),
            active: first("active").is_some(),
        }
    }

    fn input(&self, ctx: &AppState) -> Result<EndpointInput, Error> {
        EndpointInput::new(
            ctx,
            &self.url,
            &self.events,
            Some(&self.description),
            Some(self.active),
        )
    }

    fn has(&self, event: EventType) -> bool {
        self.events.iter().any(|e| e == event.as_str())
    }
}

/// Which form a refusal belongs to, so the page shows it there, with what was typed.
enum FormTarget {
    New,
    Endpoint(String),
}

struct Refusal {
    target: FormTarget,
    draft: Option<EndpointDraft>,
    message: String,
}

async fn webhooks_page(
    ctx: &AppState,
    session: &DashboardSession,
    revealed: Option<RevealedSecret>,
    refusal: Option<Refusal>,
) -> PageResult<WebhooksPage> {
    let endpoints = webhooks::list(ctx, &session.agent).await?;
    let (mut new_endpoint, mut error) = (
        NewEndpoint {
            url: String::new(),
            description: String::new(),
            events: event_boxes(|_| false),
            active: true,
            error: None,
        },
        None,
    );
    let mut lines: Vec<EndpointLine> = endpoints
        .iter()
        .map(|e| EndpointLine {
            id: e.id.clone(),
            url: e.url.clone(),
            description: e.description.clone(),
            events: event_boxes(|t| e.events.contains(&t)),
            active: e.active,
            notice: health_notice(e),
            error: None,
        })
        .collect();
    if let Some(Refusal {
        target,
        draft,
        message,
    }) = refusal
    {
        match target {
            FormTarget::New => {
                if let Some(d) = draft {
                    new_endpoint.events = event_boxes(|t| d.has(t));
                    (new_endpoint.url, new_endpoint.description) = (d.url, d.description);
                    new_endpoint.active = d.active;
                }
                new_endpoint.error = Some(message);
            }
            FormTarget::Endpoint(id) => match lines.iter_mut().find(|l| l.id == id) {
                Some(line) => {
                    if let Some(d) = draft {
                        line.events = event_boxes(|t| d.has(t));
                        (line.url, line.description, line.active) =
                            (d.url, d.description, d.active);
                    }
                    line.error = Some(message);
                }
                None => error = Some(message),
            },
        }
    }
    Ok(WebhooksPage {
        layout: Layout::new(session, Url::Webhooks),
        endpoints: lines,
        new_endpoint,
        revealed,
        error,
        max_url_chars: MAX_URL_CHARS,
        max_description_chars: MAX_DESCRIPTION_CHARS,
    })
}

pub async fn page(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
) -> PageResult<WebhooksPage> {
    webhooks_page(&ctx, &session, None, None).await
}

/// Success: the page with the secret (create, rotate) or a redirect to it (save, delete).
/// Refusal: the page again, the message next to the form, with the status code.
async fn webhooks_outcome(
    ctx: &AppState,
    session: &DashboardSession,
    target: FormTarget,
    draft: Option<EndpointDraft>,
    result: Result<Option<RevealedSecret>, Error>,
) -> PageResult<Response> {
    match result {
        Ok(None) => Ok(see_other(Url::Webhooks.as_str())),
        Ok(Some(secret)) => Ok(webhooks_page(ctx, session, Some(secret), None)
            .await?
            .into_response()),
        Err(e) => {
            let (status, message): (StatusCode, String) = form_error(e)?;
            let refusal = Refusal {
                target,
                draft,
                message,
            };
            let page = webhooks_page(ctx, session, None, Some(refusal)).await?;
            Ok((status, page).into_response())
        }
    }
}

fn revealed(endpoint: WebhookEndpoint, rotated: bool) -> Option<RevealedSecret> {
    Some(RevealedSecret {
        endpoint_id: endpoint.id,
        url: endpoint.url,
        secret: endpoint.secret,
        rotated,
    })
}

pub async fn create(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
    Form(fields): Form<Fields>,
) -> PageResult<Response> {
    session.agent.require(Permission::ManageWebhooks)?;
    let draft = EndpointDraft::of(&fields);
    let result = async {
        let endpoint = webhooks::create(&ctx, &session.agent, draft.input(&ctx)?).await?;
        Ok(revealed(endpoint, false))
    }
    .await;
    webhooks_outcome(&ctx, &session, FormTarget::New, Some(draft), result).await
}

pub async fn update(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> PageResult<Response> {
    session.agent.require(Permission::ManageWebhooks)?;
    let draft = EndpointDraft::of(&fields);
    let result = async {
        webhooks::update(&ctx, &session.agent, &id, draft.input(&ctx)?).await?;
        Ok(None)
    }
    .await;
    let target = FormTarget::Endpoint(id);
    webhooks_outcome(&ctx, &session, target, Some(draft), result).await
}

pub async fn rotate_secret(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
    Path(id): Path<String>,
) -> PageResult<Response> {
    let result = webhooks::rotate_secret(&ctx, &session.agent, &id)
        .await
        .map(|endpoint| revealed(endpoint, true));
    webhooks_outcome(&ctx, &session, FormTarget::Endpoint(id), None, result).await
}

pub async fn delete(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
    Path(id): Path<String>,
) -> PageResult<Response> {
    let result = webhooks::delete(&ctx, &session.agent, &id)
        .await
        .map(|()| None);
    webhooks_outcome(&ctx, &session, FormTarget::Endpoint(id), None, result).await
}
