//! `GET /chat/{sessionId}`: the plain WebSocket of a chat (SPEC.md section 11), over the same
//! services, hub and durability as the HTTP client API. The token comes in the
//! `Authorization: Bearer` header or in the first frame (`{"type": "authenticate", ...}`);
//! `?after=<messageId>` replays what the client missed. Frames are described in
//! docs/decisions.md ("Plain WebSocket").

mod connection;
mod frames;
mod requests;

use std::time::Duration;

use axum::Router;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::{State, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::http::envelope::ApiError;
use crate::http::extract::{ApiPath, ApiQuery, AppState, session_path};
use crate::realtime::HoldKind;
use crate::service::stream;

use connection::Opened;

/// The route, outside the OpenAPI document (an upgrade is not a JSON answer).
pub fn routes() -> Router<AppState> {
    Router::new().route("/chat/{session_id}", get(connect))
}

#[derive(Deserialize)]
struct ConnectQuery {
    /// The id of the last message the client has.
    after: Option<String>,
}

/// Frames larger than the HTTP body limit get an error frame; larger than this many times
/// the limit, the connection is closed (the frame is not even read whole).
const PROTOCOL_LIMIT_FACTOR: usize = 4;
/// What one read from the connection takes at most.
const SOCKET_READ_BUFFER: usize = 4096;

async fn connect(
    State(ctx): State<AppState>,
    ApiPath(session_id): ApiPath<String>,
    ApiQuery(query): ApiQuery<ConnectQuery>,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    match prepare(&ctx, &session_id, query, &headers, upgrade).await {
        Ok(response) => response,
        Err(e) => e.into_response(),
    }
}

async fn prepare(
    ctx: &AppState,
    session_id: &str,
    query: ConnectQuery,
    headers: &HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    let upgrade = upgrade.map_err(|_| {
        ApiError::new(
            StatusCode::UPGRADE_REQUIRED,
            "UPGRADE_REQUIRED",
            "Connect with a WebSocket client",
        )
    })?;
    let session_id = session_path(session_id)?;
    let after = query.after.filter(|a| !a.is_empty());
    // With a header the refusals are HTTP answers in the envelope, before any socket exists;
    // without one the socket opens and waits for the authenticate frame.
    let opened = match headers.get(header::AUTHORIZATION) {
        None => None,
        Some(_) => {
            let token = crate::http::extract::bearer_token(headers).ok_or_else(|| {
                ApiError::from(crate::error::Error::Unauthenticated(
                    "Malformed Authorization header",
                ))
            })?;
            let (user, deadline) = ctx.user_tokens.verify_with_deadline(token)?;
            let events = stream::open_after_message(
                ctx,
                &user,
                session_id.as_str(),
                after.as_deref(),
                HoldKind::Socket,
            )
            .await?;
            Some(Opened {
                user,
                events,
                expires_in: Duration::from_secs(ctx.user_tokens.seconds_until(deadline)),
            })
        }
    };
    let limit = ctx.settings.max_body_bytes;
    let hard_limit = limit.saturating_mul(PROTOCOL_LIMIT_FACTOR);
    let ctx = ctx.clone();
    Ok(upgrade
        // The defaults (128 KiB each) would keep ~130 KB per idle socket; frames here are
        // small, and a bigger one grows the buffer only while it is read.
        .read_buffer_size(SOCKET_READ_BUFFER)
        .write_buffer_size(0)
        .max_message_size(hard_limit)
        .max_frame_size(hard_limit)
        .on_upgrade(move |socket| {
            connection::run(
                ctx,
                socket,
                connection::Target {
                    session_id: session_id.into_string(),
                    after,
                    frame_limit: limit,
                },
                opened,
            )
        }))
}
