//! The search page: the query from the top bar's box, filters, and a page of hits with links
//! to their chats. Without a query it shows the empty form.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};

use super::error::PageResult;
use super::hypermedia::{ChatUrl, Url};
use super::session::DashboardAuth;
use super::views::{LabelView, Layout, date_time, status_label};
use crate::domain::Channel;
use crate::domain::search::{HitSource, snippet_html};
use crate::http::extract::AppState;
use crate::service::search::{self, SearchForm};
use crate::service::{agents, labels};

pub struct HitRow {
    pub chat_url: String,
    pub who: String,
    pub source: &'static str,
    pub at: String,
    pub status: &'static str,
    pub channel: &'static str,
    /// Already escaped by `snippet_html`; only its `<mark>` tags are markup.
    pub snippet_html: String,
}

pub struct Choice {
    pub value: String,
    pub label: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "dashboard/search_page.html")]
pub struct SearchPage {
    layout: Layout,
    q: String,
    from: String,
    to: String,
    agent_id: String,
    status: String,
    rating: String,
    channel: String,
    agents: Vec<Choice>,
    labels: Vec<LabelView>,
    searched: bool,
    hits: Vec<HitRow>,
    page: usize,
    previous: Option<String>,
    next: Option<String>,
}

pub async fn page(
    State(ctx): State<AppState>,
    DashboardAuth(session): DashboardAuth,
    Query(mut p): Query<SearchForm>,
) -> PageResult<SearchPage> {
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let mut layout = Layout::new(&session, Url::Search);
    layout.search = text(&p.q);
    let agents = agents::list(&ctx, &session.agent)
        .await?
        .into_iter()
        .map(|a| Choice {
            value: a.agent.id,
            label: a.agent.name,
        })
        .collect();
    let labels = LabelView::choices(
        &labels::list(&ctx, &session.agent).await?,
        p.label.as_deref(),
    );
    // Search with the label the select shows: an unknown one (deleted since the link was made)
    // is no filter, here and in the page links.
    p.label = LabelView::selected_id(&labels).map(str::to_string);
    let mut page = SearchPage {
        labels,
        layout,
        q: text(&p.q),
        from: text(&p.from),
        to: text(&p.to),
        agent_id: text(&p.agent_id),
        status: text(&p.status),
        rating: text(&p.rating),
        channel: text(&p.channel),
        agents,
        searched: false,
        hits: Vec::new(),
        page: 1,
        previous: None,
        next: None,
    };
    if page.q.trim().is_empty() {
        return Ok(page);
    }
    let found = search::search(&ctx, &session.agent, p.check()?).await?;
    page.searched = true;
    page.page = found.search.page;
    let link = |n: usize| page_link(&p, n);
    page.previous = (found.search.page > 1).then(|| link(found.search.page - 1));
    page.next = found.has_more.then(|| link(found.search.page + 1));
    page.hits = found
        .hits
        .into_iter()
        .map(|h| HitRow {
            chat_url: ChatUrl::Page.of(&h.session_id),
            who: h
                .chat
                .user_name
                .or(h.chat.user_email)
                .unwrap_or_else(|| "Customer".into()),
            source: match h.source {
                HitSource::Message => "Message",
                HitSource::Note => "Note",
                HitSource::Customer => "Customer",
            },
            at: date_time(h.created_at),
            status: status_label(h.chat.status),
            channel: match h.chat.channel {
                Channel::App => "App",
                Channel::Web => "Website",
                Channel::Offline => "Offline form",
            },
            snippet_html: snippet_html(&h.snippet),
        })
        .collect();
    Ok(page)
}

/// This search's URL at page `n`, every filter kept.
fn page_link(p: &SearchForm, n: usize) -> String {
    let fields = [
        ("q", &p.q),
        ("from", &p.from),
        ("to", &p.to),
        ("agentId", &p.agent_id),
        ("status", &p.status),
        ("rating", &p.rating),
        ("channel", &p.channel),
        ("label", &p.label),
        ("limit", &p.limit),
    ];
    let mut pairs: Vec<(&str, String)> = fields
        .into_iter()
        .filter_map(|(name, value)| {
            let v = value.as_deref().filter(|v| !v.is_empty())?;
            Some((name, v.to_string()))
        })
        .collect();
    pairs.push(("page", n.to_string()));
    let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    format!("{}?{query}", Url::Search.as_str())
}
