//! The document's frame (title, security schemes, tags) and the error responses every
//! operation shares, added from what the operation takes: a JSON body can be malformed, too
//! large or of the wrong type; a token can be refused; anything can fail inside.

use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{OpenApi, RefOr};
use utoipa::{Modify, OpenApi as _};

use super::routes::operations_mut;
use super::schemas::error_response;
use crate::http::envelope::{ErrorEnvelope, ErrorObject};

/// The scheme of user tokens (the business's JWTs, or a guest's `sessionToken`).
pub const USER_TOKEN: &str = "bearerAuth";
/// The scheme of agent tokens (`accessToken` from `POST /api/admin/login`).
pub const AGENT_TOKEN: &str = "agentToken";

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "frontdesk API",
        description = "The client API (the mobile app and the website widget) and the admin \
            API (agents and integrations) of frontdesk, a self-hosted support-chat server. \
            Every JSON answer is an envelope: `{success: true, message, data}` on success, \
            `{success: false, message, error: {code, message, details}, timestamp}` on error. \
            Timestamps are RFC 3339 UTC with milliseconds.",
        license(name = "MIT", identifier = "MIT"),
    ),
    components(schemas(ErrorEnvelope, ErrorObject)),
    modifiers(&SecuritySchemes),
    tags(
        (name = "client", description = "Chats as the user sees them: start, send, poll, end, rate"),
        (name = "attachments", description = "Files sent with messages"),
        (name = "admin: account", description = "Signing in and the agent's own account"),
        (name = "admin: chats", description = "The queue and working a chat"),
        (name = "admin: numbers", description = "Stats, analytics and reports"),
        (name = "admin: team", description = "Agents, personas, canned responses, audit log"),
        (name = "admin: settings", description = "Business hours"),
        (name = "admin: privacy", description = "Privacy requests: everything stored about one person"),
        (name = "admin: webhooks", description = "Standard Webhooks endpoints and deliveries"),
        (name = "admin: privacy", description = "Privacy requests: one person's data, exported or erased"),
        (name = "reference", description = "This document and its readable form"),
        (name = "operations", description = "Health checks for load balancers and monitors"),
    )
)]
struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            USER_TOKEN,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "A user token issued by the business's own sign-in (HS256 with \
                         JWT_SECRET, or RS256), or a guest's sessionToken",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            AGENT_TOKEN,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An agent token: data.accessToken of POST /api/admin/login",
                    ))
                    .build(),
            ),
        );
    }
}

/// The whole document: the frame above around the collected paths, with the shared errors.
pub fn assemble(collected: OpenApi) -> OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.merge(collected);
    for item in doc.paths.paths.values_mut() {
        let mut ids = Vec::new();
        for (method, operation) in operations_mut(item) {
            add_shared_errors(operation);
            // One handler serving two methods (PUT and PATCH) would give both one id.
            if let Some(id) = operation.operation_id.as_mut() {
                if ids.contains(id) {
                    id.push_str(&method.to_ascii_lowercase());
                }
                ids.push(id.clone());
            }
        }
    }
    doc
}

fn add_shared_errors(operation: &mut Operation) {
    let body_types: Vec<String> = operation
        .request_body
        .as_ref()
        .and_then(|body| match body {
            RefOr::T(body) => Some(body.content.keys().cloned().collect()),
            RefOr::Ref(_) => None,
        })
        .unwrap_or_default();
    let has_parameters = operation.parameters.as_ref().is_some_and(|p| !p.is_empty());
    let secured = operation.security.as_ref().is_some_and(|s| !s.is_empty());
    let mut shared: Vec<(&str, &str)> = Vec::new();
    if !body_types.is_empty() || has_parameters {
        shared.push((
            "400",
            "VALIDATION_ERROR: a missing, malformed or out-of-range field or parameter \
             (`details.field` names it)",
        ));
    }
    if secured {
        shared.push((
            "401",
            "AUTHENTICATION_FAILED: no bearer token, or one that is not valid",
        ));
    }
    if !body_types.is_empty() {
        shared.push(("413", "PAYLOAD_TOO_LARGE: the body is over the limit"));
    }
    if body_types.iter().any(|t| t == "application/json") {
        shared.push((
            "415",
            "UNSUPPORTED_MEDIA_TYPE: send the body as application/json",
        ));
    }
    shared.push((
        "500",
        "INTERNAL_ERROR: something failed on the server (logged with the request id)",
    ));
    shared.push((
        "default",
        "Any other error (e.g. 414, 429, 431, 503), in the same envelope",
    ));
    let responses = &mut operation.responses.responses;
    for (status, description) in shared {
        responses
            .entry(status.to_string())
            .or_insert_with(|| error_response(description));
    }
}
