//! Request extractors that answer in the envelope when they refuse: JSON bodies (naming the
//! field that failed), query strings, path ids, and the bearer token of a user or an agent.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::envelope::ApiError;
use crate::auth::UserPrincipal;
use crate::error::Error;
use crate::service::{self, AgentPrincipal, PageRequest, Services};

pub type AppState = Arc<Services>;

/// A JSON body. Wrong content type is 415, too large 413, malformed or mistyped 400 with the
/// failing field in `details.field`.
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|mime| {
                let mime = mime.trim();
                mime.eq_ignore_ascii_case("application/json")
                    || (mime.len() > 5 && mime[mime.len() - 5..].eq_ignore_ascii_case("+json"))
            });
        if !is_json {
            return Err(ApiError::unsupported_media_type());
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::payload_too_large()
            } else {
                ApiError::malformed("Could not read the request body")
            }
        })?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Every request body of the API is one JSON object. serde would also read a struct from an
/// array of its fields in order, which nobody means; such a body is refused.
fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        return Err(ApiError::malformed(
            "The request body must be a JSON object",
        ));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            return ApiError::malformed("The request body is not valid JSON");
        }
        let message = inner.to_string();
        let message = message
            .split(" at line ")
            .next()
            .unwrap_or(&message)
            .to_string();
        let field = if path == "." {
            missing_field(&message)
        } else {
            Some(path)
        };
        match field {
            Some(field) => ApiError::malformed(format!("{field}: {message}"))
                .with_details(serde_json::json!({ "field": field })),
            None => ApiError::malformed(message),
        }
    })?;
    deserializer
        .end()
        .map_err(|_| ApiError::malformed("The request body is not valid JSON"))?;
    Ok(value)
}

/// `missing field `sessionId`` -> `sessionId`.
fn missing_field(message: &str) -> Option<String> {
    message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next())
        .map(str::to_string)
}

/// A body field every request must carry; absent (or `null`) is 400 naming it.
pub fn required<T>(field: &'static str, value: Option<T>) -> Result<T, Error> {
    value.ok_or_else(|| Error::validation(field, format!("{field} is required")))
}

/// For fields where `null` differs from absent: `#[serde(default, deserialize_with = "present")]`
/// on an `Option<Option<T>>` gives `None` when absent and `Some(None)` for `null`.
pub fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// A query string, every field optional text; numbers are parsed by [`page_param`] and
/// friends so that errors name the parameter.
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        serde_urlencoded::from_str(query)
            .map(ApiQuery)
            .map_err(|e| ApiError::malformed(format!("Bad query string: {e}")))
    }
}

/// Largest page number or size accepted before it is an error rather than a cap.
const MAX_QUERY_NUMBER: i64 = i32::MAX as i64;

/// Parses an optional positive integer query parameter; values above `cap` are capped.
pub fn bounded_param(
    name: &'static str,
    raw: Option<&str>,
    default: i64,
    cap: i64,
) -> Result<i64, Error> {
    let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(default);
    };
    let invalid = || {
        Error::validation(
            name,
            format!("{name} must be a whole number from 1 to {MAX_QUERY_NUMBER}"),
        )
    };
    if !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    let value: i64 = raw.parse().map_err(|_| invalid())?;
    if !(1..=MAX_QUERY_NUMBER).contains(&value) {
        return Err(invalid());
    }
    Ok(value.min(cap))
}

/// `page` (from 1) and `limit` (capped at `max_limit`).
pub fn page_param(
    page: Option<&str>,
    limit: Option<&str>,
    default_limit: i64,
    max_limit: i64,
) -> Result<PageRequest, Error> {
    Ok(PageRequest {
        page: bounded_param("page", page, 1, MAX_QUERY_NUMBER)?,
        limit: bounded_param("limit", limit, default_limit, max_limit)?,
    })
}

/// The bearer token of a request, if it has a well-formed one.
pub fn bearer_token(headers: &axum::http::HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty()).then(|| token.trim())
}

fn bearer(parts: &Parts) -> Result<&str, Error> {
    let value = parts
        .headers
        .get(header::AUTHORIZATION)
        .ok_or(Error::Unauthenticated(
            "Missing Authorization: Bearer token",
        ))?
        .to_str()
        .map_err(|_| Error::Unauthenticated("Malformed Authorization header"))?;
    let (scheme, token) = value
        .split_once(' ')
        .ok_or(Error::Unauthenticated("Malformed Authorization header"))?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(Error::Unauthenticated("Malformed Authorization header"));
    }
    Ok(token.trim())
}

/// The user calling a client endpoint (never an agent: agent tokens fail user verification).
pub struct UserAuth(pub UserPrincipal);

impl FromRequestParts<AppState> for UserAuth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        ctx: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer(parts)?;
        Ok(UserAuth(ctx.user_tokens.verify(token)?))
    }
}

/// An optional user: `None` without an Authorization header (guest session start).
pub struct MaybeUserAuth(pub Option<UserPrincipal>);

impl FromRequestParts<AppState> for MaybeUserAuth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        ctx: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if !parts.headers.contains_key(header::AUTHORIZATION) {
            return Ok(MaybeUserAuth(None));
        }
        Ok(MaybeUserAuth(Some(
            UserAuth::from_request_parts(parts, ctx).await?.0,
        )))
    }
}

/// The agent calling an admin endpoint.
pub struct AgentAuth(pub AgentPrincipal);

impl FromRequestParts<AppState> for AgentAuth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        ctx: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer(parts)?;
        Ok(AgentAuth(
            service::agents::authenticate_token(ctx, token).await?,
        ))
    }
}

/// Either kind of caller, for `POST /api/chat/message` (users, and agents with `sender: admin`).
pub enum Caller {
    User(UserPrincipal),
    Agent(AgentPrincipal),
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        ctx: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer(parts)?;
        // Users send nearly every message and their tokens are cached, so they are tried
        // first; the two kinds never overlap (each verifier refuses the other's kind claim).
        let refused = match ctx.user_tokens.verify(token) {
            Ok(user) => return Ok(Caller::User(user)),
            Err(refused) => refused,
        };
        if ctx.agent_tokens.verify(token).is_ok() {
            return Ok(Caller::Agent(
                service::agents::authenticate_token(ctx, token).await?,
            ));
        }
        Err(refused.into())
    }
}

/// The client's address for every per-address limit: the TCP peer, or the right-most
/// untrusted `X-Forwarded-For` entry when the peer is in `TRUSTED_PROXIES` (see
/// [`crate::domain::TrustedProxies::client_ip`]). `None` only without connect info. A
/// malformed header is ignored, never refused.
pub struct ClientAddr(pub Option<IpAddr>);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        ctx: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(ConnectInfo(peer)) = parts.extensions.get::<ConnectInfo<SocketAddr>>() else {
            return Ok(ClientAddr(None));
        };
        // Read only when the peer is a trusted proxy; a value that is not even text is an
        // unreadable entry, which falls back to the peer as any malformed one does.
        let values = parts
            .headers
            .get_all(X_FORWARDED_FOR)
            .iter()
            .map(|v| v.to_str().unwrap_or(""));
        let client = ctx.settings.trusted_proxies.client_ip(peer.ip(), values);
        Ok(ClientAddr(Some(client)))
    }
}

const X_FORWARDED_FOR: &str = "x-forwarded-for";

/// Rejects a path id that cannot be a session id with the same 404 as an unknown one.
pub fn session_path(raw: &str) -> Result<crate::domain::SessionId, Error> {
    crate::domain::SessionId::parse(raw).map_err(|_| Error::SessionNotFound)
}

/// A path parameter; one that is not valid percent-encoded UTF-8 (or not of the type asked
/// for) is 400 in the envelope instead of axum's plain-text rejection.
pub struct ApiPath<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| ApiPath(value))
            .map_err(|_| ApiError::bad_path())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    #[serde(rename_all = "camelCase")]
    struct Body {
        session_id: String,
        count: Option<u32>,
    }

    #[test]
    fn json_errors_name_the_field() {
        let err = parse_json::<Body>(br#"{"sessionId": 5}"#).unwrap_err();
        assert_eq!(err.details["field"], "sessionId");
        let err = parse_json::<Body>(br#"{}"#).unwrap_err();
        assert_eq!(err.details["field"], "sessionId");
        let err = parse_json::<Body>(br#"{"sessionId": "a", "count": -1}"#).unwrap_err();
        assert_eq!(err.details["field"], "count");
        let err = parse_json::<Body>(b"{not json").unwrap_err();
        assert_eq!(err.code, "VALIDATION_ERROR");
    }

    #[test]
    fn numbers_are_capped_or_refused() {
        assert_eq!(bounded_param("limit", Some("500"), 50, 100).unwrap(), 100);
        assert_eq!(bounded_param("limit", None, 50, 100).unwrap(), 50);
        assert!(bounded_param("limit", Some("0"), 50, 100).is_err());
        assert!(bounded_param("limit", Some("-3"), 50, 100).is_err());
        assert!(bounded_param("limit", Some("99999999999999999999999"), 50, 100).is_err());
        assert!(bounded_param("page", Some("1e3"), 1, 100).is_err());
    }
}
