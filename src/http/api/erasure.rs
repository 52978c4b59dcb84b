//! A person erases everything stored about themselves.

use axum::extract::State;

use super::answers::ErasureAnswer;
use crate::http::envelope::{ApiOk, ApiResult, Envelope, ErrorEnvelope};
use crate::http::extract::{AppState, UserAuth};
use crate::service::privacy;

/// Erase everything stored about me
///
/// Deletes every chat of the token's user (messages, files, ratings and all) and their
/// registered devices. Chats going on end at once for every open poll and stream.
#[utoipa::path(
    delete,
    path = "/api/chat/me",
    tag = "client",
    responses(
        (status = 200, description = "What was erased", body = Envelope<ErasureAnswer>),
        (status = 401, description = "`AUTHENTICATION_FAILED`: no valid user token", body = ErrorEnvelope),
    ),
    security(("bearerAuth" = [])),
)]
pub async fn erase_me(
    State(ctx): State<AppState>,
    UserAuth(user): UserAuth,
) -> ApiResult<ErasureAnswer> {
    let removal = privacy::erase_me(&ctx, &user).await?;
    Ok(ApiOk::new(
        "Everything stored about you was erased",
        ErasureAnswer::of(&user.owner(), &removal),
    ))
}
