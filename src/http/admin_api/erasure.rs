//! Erasing one person on request (a privacy request), for super admins.

use axum::extract::State;
use serde::Deserialize;

use crate::domain::SessionOwner;
use crate::error::Error;
use crate::http::api::answers::ErasureAnswer;
use crate::http::envelope::{ApiOk, ApiResult, Envelope, ErrorEnvelope};
use crate::http::extract::{AgentAuth, ApiPath, ApiQuery, AppState};
use crate::service::privacy;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PersonQuery {
    /// `true` when `userId` is a guest's id (a website visitor without an account);
    /// `false` by default.
    guest: Option<String>,
}

impl PersonQuery {
    fn is_guest(&self) -> Result<bool, Error> {
        match self.guest.as_deref() {
            None | Some("" | "false") => Ok(false),
            Some("true") => Ok(true),
            Some(_) => Err(Error::validation("guest", "guest must be true or false")),
        }
    }
}

/// Erase everything stored about one person
///
/// Super admins only. Deletes every chat of the user (messages, notes, ratings, files,
/// labels, queued webhooks, emails and pushes) and their devices; the audit log keeps that an
/// erasure happened and its counts, never the content or who it was. Erasing someone with
/// nothing stored answers zero counts.
#[utoipa::path(
    delete,
    path = "/api/admin/users/{user_id}",
    tag = "admin: privacy",
    params(
        ("user_id" = String, Path, description = "The person's user id (a token's `sub`, or a guest's id with `guest=true`)"),
        PersonQuery,
    ),
    responses(
        (status = 200, description = "What was erased", body = Envelope<ErasureAnswer>),
        (status = 400, description = "`VALIDATION_ERROR`: the id or `guest` is malformed", body = ErrorEnvelope),
        (status = 403, description = "`FORBIDDEN`: the role may not do this", body = ErrorEnvelope),
    ),
    security(("agentToken" = [])),
)]
pub async fn erase_person(
    State(ctx): State<AppState>,
    AgentAuth(agent): AgentAuth,
    ApiPath(user_id): ApiPath<String>,
    ApiQuery(query): ApiQuery<PersonQuery>,
) -> ApiResult<ErasureAnswer> {
    let owner = SessionOwner::named(&user_id, query.is_guest()?)?;
    let removal = privacy::erase_person(&ctx, &agent, owner.clone()).await?;
    Ok(ApiOk::new(
        "Everything stored about the person was erased",
        ErasureAnswer::of(&owner, &removal),
    ))
}
