//! `GET /metrics`: Prometheus' text format for a scraper with the bearer token. Routed only
//! while `METRICS_TOKEN` is set; a missing or wrong token is 401 in the envelope.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::envelope::ApiError;
use super::extract::{AppState, bearer_token};
use crate::error::Error;

pub async fn scrape(State(ctx): State<AppState>, headers: HeaderMap) -> Response {
    match crate::service::observe::scrape(&ctx, bearer_token(&headers)).await {
        Ok(text) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static(crate::metrics::CONTENT_TYPE),
            )],
            text,
        )
            .into_response(),
        Err(e) => {
            let unauthenticated = matches!(e, Error::Unauthenticated(_));
            let mut response = ApiError::from(e).into_response();
            if unauthenticated {
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"metrics\""),
                );
            }
            response
        }
    }
}
