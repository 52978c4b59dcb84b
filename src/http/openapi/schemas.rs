//! Responses shared by many operations. The envelope's own schemas are the types that write
//! it (`Envelope<T>` and `ErrorEnvelope` in src/http/envelope.rs).

use utoipa::ToSchema;
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};

use crate::http::envelope::ErrorEnvelope;

/// A response whose body is the error envelope.
pub fn error_response(description: &str) -> RefOr<Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name(ErrorEnvelope::name())))
                .build(),
        )
        .build()
        .into()
}
