//! The audit log page: who did what, newest first, fifty a page.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use serde::Deserialize;

use crate::domain::audit::AuditFilter;
use crate::http::dashboard::error::PageResult;
use crate::http::dashboard::hypermedia::{ChatUrl, Url};
use crate::http::dashboard::session::DashboardAuth;
use crate::http::dashboard::views::{Layout, date_time};
use crate::http::extract::{AppState, page_param};

pub struct AuditLine {
    pub at: String,
    pub agent: String,
    pub action: String,
    pub session: Option<String>,
    pub detail: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "dashboard/audit_page.html")]
pub struct AuditPage {
    layout: Layout,
    events: Vec<AuditLine>,
    page: i64,
    total_pages: i64,
    previous: Option<i64>,
    next: Option<i64>,
}

#[derive(Deserialize)]
pub struct AuditQuery {
    page: Option<String>,
}

pub async fn page(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
    Query(q): Query<AuditQuery>,
) -> PageResult<AuditPage> {
    let request = page_param(q.page.as_deref(), None, 50, 50)?;
    let (rows, pages, _) =
        crate::service::audit::list(&ctx, &session.agent, AuditFilter::default(), request).await?;
    Ok(AuditPage {
        layout: Layout::new(&session, Url::Audit),
        events: rows
            .into_iter()
            .map(|e| AuditLine {
                at: date_time(e.at),
                agent: e.agent_name.unwrap_or_else(|| "system".into()),
                action: e.action,
                session: e.session_id,
                detail: e.detail.map(|d| d.to_string()).unwrap_or_default(),
            })
            .collect(),
        page: pages.current_page,
        total_pages: pages.total_pages.max(1),
        previous: pages.has_previous.then(|| pages.current_page - 1),
        next: pages.has_next.then(|| pages.current_page + 1),
    })
}
