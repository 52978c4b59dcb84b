//! The caller's own data (privacy requests): everything stored about them.

use axum::extract::State;

use crate::http::envelope::{ApiOk, ApiResult, Envelope};
use crate::http::extract::{AppState, UserAuth};
use crate::service::export::person::{self, PersonExport};

/// Export everything stored about me
///
/// Every chat of the caller (the token's user, or the guest) with its messages, rating and
/// files' metadata, their push devices and the emails sent to them: the same document super
/// admins get, less what users never see (internal notes, the agent behind a reply, files an
/// agent never sent, emails to the team). Nobody else's data, whatever the token says.
#[utoipa::path(
    get,
    path = "/api/chat/me/export",
    tag = "client",
    responses(
        (status = 200, description = "Everything stored about the caller", body = Envelope<PersonExport>),
    ),
    security(("bearerAuth" = [])),
)]
pub async fn export_me(
    State(ctx): State<AppState>,
    UserAuth(user): UserAuth,
) -> ApiResult<PersonExport> {
    let doc = person::export_own(&ctx, &user).await?;
    Ok(ApiOk::new("Your data exported", doc))
}
