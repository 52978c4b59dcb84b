//! The dashboard's form extractor. `axum::Form` refuses a malformed body (a missing field, a
//! value of the wrong type, the wrong content type) with a plain-text 422 or 415 that neither a
//! person nor htmx's toast can show well; this one answers the dashboard's own error page with a
//! 400, and htmx requests get that page's message as a toast.

use axum::extract::rejection::FormRejection;
use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;

use super::error::PageError;

/// A url-encoded form body; refused with [`PageError::BadRequest`].
pub struct Form<T>(pub T);

impl<T, S> FromRequest<S> for Form<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = PageError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Form::<T>::from_request(req, state).await {
            Ok(axum::Form(value)) => Ok(Form(value)),
            Err(rejection) => Err(PageError::BadRequest(explain(&rejection))),
        }
    }
}

/// One sentence for the error page, keeping serde's note on which field failed.
fn explain(rejection: &FormRejection) -> String {
    match rejection {
        FormRejection::InvalidFormContentType(_) => {
            "This form was not sent as a web form. Reload the page and try again.".into()
        }
        FormRejection::FailedToDeserializeForm(_)
        | FormRejection::FailedToDeserializeFormBody(_) => {
            let text = rejection.body_text();
            // "Failed to deserialize form body: missing field `to`" -> "missing field `to`"
            let detail = text
                .split_once(": ")
                .map_or(text.as_str(), |(_, rest)| rest);
            format!(
                "This form is missing a field or has a value of the wrong kind ({detail}). Reload the page and try again."
            )
        }
        _ => "This form could not be read. Reload the page and try again.".into(),
    }
}
