//! The canned replies page: everyone reads them, managers add, edit and delete.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::form_error;
use crate::domain::Permission;
use crate::error::Error;
use crate::http::dashboard::error::PageResult;
use crate::http::dashboard::form::Form;
use crate::http::dashboard::hypermedia::{ItemUrl, Url};
use crate::http::dashboard::session::{DashboardAuth, see_other};
use crate::http::dashboard::views::Layout;
use crate::http::extract::AppState;
use crate::service::canned::{self, CannedInput};
use crate::service::dashboard_auth::DashboardSession;

pub struct CannedLine {
    pub id: String,
    pub title: String,
    pub shortcut: String,
    pub text: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "dashboard/canned_page.html")]
pub struct CannedPage {
    layout: Layout,
    responses: Vec<CannedLine>,
    can_edit: bool,
    error: Option<String>,
}

async fn canned_page(
    ctx: &AppState,
    session: &DashboardSession,
    error: Option<String>,
) -> PageResult<CannedPage> {
    let responses = canned::list(ctx, &session.agent)
        .await?
        .into_iter()
        .map(|c| CannedLine {
            id: c.id,
            title: c.title,
            shortcut: c.shortcut,
            text: c.body,
        })
        .collect();
    Ok(CannedPage {
        layout: Layout::new(session, Url::Canned),
        responses,
        can_edit: session.agent.role.can(Permission::ManageCannedResponses),
        error,
    })
}

pub async fn page(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
) -> PageResult<CannedPage> {
    canned_page(&ctx, &session, None).await
}

async fn canned_outcome(
    ctx: &AppState,
    session: &DashboardSession,
    result: Result<(), Error>,
) -> PageResult<Response> {
    match result {
        Ok(()) => Ok(see_other(Url::Canned.as_str())),
        Err(e) => {
            let (status, message) = form_error(e)?;
            Ok((status, canned_page(ctx, session, Some(message)).await?).into_response())
        }
    }
}

#[derive(Deserialize)]
pub struct CannedForm {
    title: String,
    shortcut: String,
    text: String,
}

impl CannedForm {
    fn input(&self) -> Result<CannedInput, Error> {
        CannedInput::new(&self.title, &self.shortcut, &self.text)
    }
}

pub async fn create(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
    Form(form): Form<CannedForm>,
) -> PageResult<Response> {
    let result = async {
        canned::create(&ctx, &session.agent, form.input()?)
            .await
            .map(|_| ())
    }
    .await;
    canned_outcome(&ctx, &session, result).await
}

pub async fn update(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
    Path(id): Path<String>,
    Form(form): Form<CannedForm>,
) -> PageResult<Response> {
    let result = async {
        canned::update(&ctx, &session.agent, &id, form.input()?)
            .await
            .map(|_| ())
    }
    .await;
    canned_outcome(&ctx, &session, result).await
}

pub async fn delete(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
    Path(id): Path<String>,
) -> PageResult<Response> {
    let result = canned::delete(&ctx, &session.agent, &id).await;
    canned_outcome(&ctx, &session, result).await
}
