//! The personas page: the names and faces agents can reply as; add, edit, delete.

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
use crate::service::dashboard_auth::DashboardSession;
use crate::service::personas::{self, PersonaInput};

pub struct PersonaLine {
    pub id: String,
    pub name: String,
    pub bio: String,
    pub avatar_url: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "dashboard/personas_page.html")]
pub struct PersonasPage {
    layout: Layout,
    personas: Vec<PersonaLine>,
    error: Option<String>,
}

async fn personas_page(
    ctx: &AppState,
    session: &DashboardSession,
    error: Option<String>,
) -> PageResult<PersonasPage> {
    session.agent.require(Permission::ManagePersonas)?;
    let personas = personas::list(ctx, &session.agent)
        .await?
        .into_iter()
        .map(|p| PersonaLine {
            id: p.id,
            name: p.name,
            bio: p.bio.unwrap_or_default(),
            avatar_url: p.avatar_url.unwrap_or_default(),
        })
        .collect();
    Ok(PersonasPage {
        layout: Layout::new(session, Url::Personas),
        personas,
        error,
    })
}

pub async fn page(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
) -> PageResult<PersonasPage> {
    personas_page(&ctx, &session, None).await
}

async fn personas_outcome(
    ctx: &AppState,
    session: &DashboardSession,
    result: Result<(), Error>,
) -> PageResult<Response> {
    match result {
        Ok(()) => Ok(see_other(Url::Personas.as_str())),
        Err(e) => {
            let (status, message) = form_error(e)?;
            Ok((status, personas_page(ctx, session, Some(message)).await?).into_response())
        }
    }
}

#[derive(Deserialize)]
pub struct PersonaForm {
    name: String,
    bio: Option<String>,
    avatar_url: Option<String>,
}

impl PersonaForm {
    fn input(&self) -> Result<PersonaInput, Error> {
        PersonaInput::new(&self.name, self.bio.as_deref(), self.avatar_url.as_deref())
    }
}

pub async fn create(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
    Form(form): Form<PersonaForm>,
) -> PageResult<Response> {
    let result = async {
        personas::create(&ctx, &session.agent, form.input()?)
            .await
            .map(|_| ())
    }
    .await;
    personas_outcome(&ctx, &session, result).await
}

pub async fn update(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
    Path(id): Path<String>,
    Form(form): Form<PersonaForm>,
) -> PageResult<Response> {
    let result = async {
        personas::update(&ctx, &session.agent, &id, form.input()?)
            .await
            .map(|_| ())
    }
    .await;
    personas_outcome(&ctx, &session, result).await
}

pub async fn delete(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
    Path(id): Path<String>,
) -> PageResult<Response> {
    let result = personas::delete(&ctx, &session.agent, &id).await;
    personas_outcome(&ctx, &session, result).await
}
