//! The dashboard's hypermedia, typed: every address a handler routes, redirects to or a template
//! links to, the server-sent event names the streams send and the templates listen for, and the
//! `HX-Request` extractor. A misspelt address or event name does not compile.
//!
//! Templates name these directly (`{{ Url::Queue }}`, `{{ ChatUrl::Reply.of(id) }}`,
//! `sse:{{ LiveEvent::Transcript }}`); the module of each template struct imports them.

use std::convert::Infallible;
use std::fmt;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::domain::export::TranscriptFormat;

/// Dashboard pages and streams with a fixed address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Url {
    Root,
    Login,
    Logout,
    Setup,
    Queue,
    QueueRows,
    QueueEvents,
    Analytics,
    AnalyticsCsv,
    Agents,
    Personas,
    Canned,
    Audit,
    Hours,
    Webhooks,
    Broadcast,
    Search,
    Labels,
}

impl Url {
    pub const fn as_str(self) -> &'static str {
        match self {
            Url::Root => "/admin",
            Url::Login => "/admin/login",
            Url::Logout => "/admin/logout",
            Url::Setup => "/admin/setup",
            Url::Queue => "/admin/queue",
            Url::QueueRows => "/admin/queue/rows",
            Url::QueueEvents => "/admin/events",
            Url::Analytics => "/admin/analytics",
            Url::AnalyticsCsv => "/admin/analytics.csv",
            Url::Agents => "/admin/agents",
            Url::Personas => "/admin/personas",
            Url::Canned => "/admin/canned",
            Url::Audit => "/admin/audit",
            Url::Hours => "/admin/settings/hours",
            Url::Webhooks => "/admin/webhooks",
            Url::Broadcast => "/admin/broadcast",
            Url::Search => "/admin/search",
            Url::Labels => "/admin/labels",
        }
    }
}

impl fmt::Display for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One chat's page, partials, stream and actions, all under `/admin/chats/{id}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChatUrl {
    Page,
    Transcript,
    Details,
    Typing,
    Events,
    Reply,
    Attachments,
    Assign,
    Release,
    Transfer,
    End,
    Priority,
    Notes,
    Labels,
    /// The transcript as a file: `export.json`, `export.csv`, `export.txt`, `export.html`.
    Export(TranscriptFormat),
}

impl ChatUrl {
    const fn tail(self) -> &'static str {
        match self {
            ChatUrl::Page => "",
            ChatUrl::Transcript => "/transcript",
            ChatUrl::Details => "/details",
            ChatUrl::Typing => "/typing",
            ChatUrl::Events => "/events",
            ChatUrl::Reply => "/reply",
            ChatUrl::Attachments => "/attachments",
            ChatUrl::Assign => "/assign",
            ChatUrl::Release => "/release",
            ChatUrl::Transfer => "/transfer",
            ChatUrl::End => "/end",
            ChatUrl::Priority => "/priority",
            ChatUrl::Notes => "/notes",
            ChatUrl::Labels => "/labels",
            ChatUrl::Export(TranscriptFormat::Json) => "/export.json",
            ChatUrl::Export(TranscriptFormat::Csv) => "/export.csv",
            ChatUrl::Export(TranscriptFormat::Text) => "/export.txt",
            ChatUrl::Export(TranscriptFormat::Html) => "/export.html",
        }
    }

    /// The router's pattern for this address.
    pub fn route(self) -> String {
        format!("/admin/chats/{{id}}{}", self.tail())
    }

    /// The address for the chat `id`.
    pub fn of(self, id: impl fmt::Display) -> String {
        format!("/admin/chats/{id}{}", self.tail())
    }
}

/// One managed item (agent, persona, canned reply, webhook endpoint) and its actions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemUrl {
    Agent,
    DisableAgent,
    Persona,
    DeletePersona,
    Canned,
    DeleteCanned,
    Label,
    DeleteLabel,
    Webhook,
    RotateWebhookSecret,
    DeleteWebhook,
    WebhookDeliveries,
}

impl ItemUrl {
    const fn parts(self) -> (Url, &'static str) {
        match self {
            ItemUrl::Agent => (Url::Agents, ""),
            ItemUrl::DisableAgent => (Url::Agents, "/disable"),
            ItemUrl::Persona => (Url::Personas, ""),
            ItemUrl::DeletePersona => (Url::Personas, "/delete"),
            ItemUrl::Canned => (Url::Canned, ""),
            ItemUrl::DeleteCanned => (Url::Canned, "/delete"),
            ItemUrl::Label => (Url::Labels, ""),
            ItemUrl::DeleteLabel => (Url::Labels, "/delete"),
            ItemUrl::Webhook => (Url::Webhooks, ""),
            ItemUrl::RotateWebhookSecret => (Url::Webhooks, "/rotate-secret"),
            ItemUrl::DeleteWebhook => (Url::Webhooks, "/delete"),
            ItemUrl::WebhookDeliveries => (Url::Webhooks, "/deliveries"),
        }
    }

    /// The router's pattern for this address.
    pub fn route(self) -> String {
        let (list, tail) = self.parts();
        format!("{list}/{{id}}{tail}")
    }

    /// The address for the item `id`.
    pub fn of(self, id: impl fmt::Display) -> String {
        let (list, tail) = self.parts();
        format!("{list}/{id}{tail}")
    }
}

/// Sending one delivery of one webhook endpoint again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryUrl {
    Redeliver,
}

impl DeliveryUrl {
    const fn tail(self) -> &'static str {
        match self {
            DeliveryUrl::Redeliver => "/redeliver",
        }
    }

    /// The router's pattern for this address.
    pub fn route(self) -> String {
        format!(
            "{}/{{delivery_id}}{}",
            ItemUrl::WebhookDeliveries.route(),
            self.tail()
        )
    }

    /// The address for delivery `delivery_id` of endpoint `endpoint_id`.
    pub fn of(self, endpoint_id: impl fmt::Display, delivery_id: impl fmt::Display) -> String {
        format!(
            "{}/{delivery_id}{}",
            ItemUrl::WebhookDeliveries.of(endpoint_id),
            self.tail()
        )
    }
}

/// What a dashboard stream says changed; the page fetches the matching partial
/// (`hx-trigger="sse:<name>"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LiveEvent {
    Queue,
    Transcript,
    Details,
    Typing,
}

impl LiveEvent {
    pub const ALL: [LiveEvent; 4] = [
        LiveEvent::Queue,
        LiveEvent::Transcript,
        LiveEvent::Details,
        LiveEvent::Typing,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            LiveEvent::Queue => "queue",
            LiveEvent::Transcript => "transcript",
            LiveEvent::Details => "details",
            LiveEvent::Typing => "typing",
        }
    }
}

impl fmt::Display for LiveEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether htmx made the request (`HX-Request` present): such requests get partials instead of
/// pages and redirects.
#[derive(Clone, Copy, Debug)]
pub struct HxRequest(pub bool);

impl<S: Send + Sync> FromRequestParts<S> for HxRequest {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(HxRequest(parts.headers.contains_key("hx-request")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_match_their_routes() {
        assert_eq!(ChatUrl::Page.route(), "/admin/chats/{id}");
        assert_eq!(ChatUrl::Reply.of("chat_1"), "/admin/chats/chat_1/reply");
        assert_eq!(
            ChatUrl::Export(TranscriptFormat::Text).of("chat_1"),
            "/admin/chats/chat_1/export.txt"
        );
        assert_eq!(ItemUrl::Agent.route(), "/admin/agents/{id}");
        assert_eq!(ItemUrl::DeleteCanned.of("c1"), "/admin/canned/c1/delete");
        assert_eq!(LiveEvent::Typing.to_string(), "typing");
        assert_eq!(
            DeliveryUrl::Redeliver.route(),
            "/admin/webhooks/{id}/deliveries/{delivery_id}/redeliver"
        );
        assert_eq!(
            DeliveryUrl::Redeliver.of("wh_1", 7),
            "/admin/webhooks/wh_1/deliveries/7/redeliver"
        );
    }
}
