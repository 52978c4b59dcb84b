//! Ratings: one per ended session, 1..=5, with optional feedback and categories.

use super::Services;
use super::live::{self, idle_rule};
use crate::auth::UserPrincipal;
use crate::domain::rating::Rating;
use crate::domain::text::optional_text;
use crate::domain::{ClientTimestamp, RatingValue, SessionId, Timestamp};
use crate::error::{Error, Result};
use crate::store::chats::NewRating;

pub const MAX_FEEDBACK_CHARS: usize = 2000;
pub const MAX_CATEGORIES: usize = 10;
pub const MAX_CATEGORY_CHARS: usize = 50;

/// A validated rating.
#[derive(Clone, Debug)]
pub struct RatingInput {
    pub rating: RatingValue,
    pub feedback: Option<String>,
    pub categories: Vec<String>,
    pub client_timestamp: Option<ClientTimestamp>,
}

impl RatingInput {
    pub fn new(
        rating: RatingValue,
        feedback: Option<&str>,
        categories: Vec<String>,
        client_timestamp: Option<ClientTimestamp>,
    ) -> Result<Self> {
        let feedback = optional_text("feedback", feedback, MAX_FEEDBACK_CHARS)?;
        if categories.len() > MAX_CATEGORIES {
            return Err(Error::validation(
                "categories",
                format!("at most {MAX_CATEGORIES} categories"),
            ));
        }
        let categories = categories
            .iter()
            .map(|c| crate::domain::text::required_text("categories", c, MAX_CATEGORY_CHARS))
            .collect::<Result<Vec<_>>>()?;
        Ok(RatingInput {
            rating,
            feedback,
            categories,
            client_timestamp,
        })
    }
}

impl RatingInput {
    /// The rating to store, with a fresh id.
    pub fn into_new(self, now: Timestamp) -> NewRating {
        NewRating {
            id: crate::domain::ids::generate("rating", now.0),
            rating: self.rating.get(),
            feedback: self.feedback,
            categories: self.categories,
            client_timestamp: self.client_timestamp.map(ClientTimestamp::into_string),
        }
    }
}

/// Rates an ended session of the user's.
#[tracing::instrument(level = "debug", 
    skip_all,
    err(level = "debug"),
    fields(user_id = %user.user_id, session_id = %session_id)
)]
pub async fn rate(
    ctx: &Services,
    user: &UserPrincipal,
    session_id: SessionId,
    input: RatingInput,
) -> Result<Rating> {
    let now = ctx.clock.now();
    let (rating, expired) = ctx
        .store
        .rate(
            user.owner(),
            session_id.into_string(),
            input.into_new(now),
            now,
            idle_rule(ctx),
        )
        .await?;
    if let Some(state) = expired {
        live::publish(ctx, &state);
    }
    ctx.bus
        .publish(crate::realtime::DashboardEvent::SessionDetails(
            rating.session_id.as_str().into(),
        ));
    Ok(rating)
}
