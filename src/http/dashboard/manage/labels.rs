//! The labels page: everyone sees the list; super admins add, rename, recolour and delete.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::form_error;
use crate::domain::Permission;
use crate::domain::label::LabelFields;
use crate::error::Error;
use crate::http::dashboard::error::PageResult;
use crate::http::dashboard::form::Form;
use crate::http::dashboard::hypermedia::{ItemUrl, Url};
use crate::http::dashboard::session::{DashboardAuth, see_other};
use crate::http::dashboard::views::{LabelView, Layout};
use crate::http::extract::AppState;
use crate::service::dashboard_auth::DashboardSession;
use crate::service::labels;

#[derive(Template, WebTemplate)]
#[template(path = "dashboard/labels_page.html")]
pub struct LabelsPage {
    layout: Layout,
    labels: Vec<LabelView>,
    can_edit: bool,
    error: Option<String>,
}

async fn labels_page(
    ctx: &AppState,
    session: &DashboardSession,
    error: Option<String>,
) -> PageResult<LabelsPage> {
    let all = labels::list(ctx, &session.agent).await?;
    Ok(LabelsPage {
        layout: Layout::new(session, Url::Labels),
        labels: all.iter().map(LabelView::of).collect(),
        can_edit: session.agent.role.can(Permission::ManageLabels),
        error,
    })
}

pub async fn page(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
) -> PageResult<LabelsPage> {
    labels_page(&ctx, &session, None).await
}

async fn outcome(
    ctx: &AppState,
    session: &DashboardSession,
    result: Result<(), Error>,
) -> PageResult<Response> {
    match result {
        Ok(()) => Ok(see_other(Url::Labels.as_str())),
        Err(e) => {
            let (status, message) = form_error(e)?;
            Ok((status, labels_page(ctx, session, Some(message)).await?).into_response())
        }
    }
}

#[derive(Deserialize)]
pub struct LabelForm {
    name: String,
    colour: String,
}

impl LabelForm {
    fn fields(&self) -> Result<LabelFields, Error> {
        LabelFields::parse(&self.name, &self.colour)
    }
}

pub async fn create(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
    Form(form): Form<LabelForm>,
) -> PageResult<Response> {
    let result = async {
        labels::create(&ctx, &session.agent, form.fields()?)
            .await
            .map(|_| ())
    }
    .await;
    outcome(&ctx, &session, result).await
}

pub async fn update(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
    Path(id): Path<String>,
    Form(form): Form<LabelForm>,
) -> PageResult<Response> {
    let result = async {
        labels::update(&ctx, &session.agent, &id, form.fields()?)
            .await
            .map(|_| ())
    }
    .await;
    outcome(&ctx, &session, result).await
}

pub async fn delete(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
    Path(id): Path<String>,
) -> PageResult<Response> {
    let result = labels::delete(&ctx, &session.agent, &id).await;
    outcome(&ctx, &session, result).await
}
