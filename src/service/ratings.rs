//! Ratings: one per ended session, 1..=5, with optional feedback and categories.

use rusqlite::Connection;

use super::Services;
use super::chat::owned_session;
use super::live::{expire_if_idle, snapshot_in_tx};
use crate::auth::UserPrincipal;
use crate::domain::text::optional_text;
use crate::domain::{SessionId, Timestamp};
use crate::error::{Error, Result};
use crate::store::is_unique_violation;
use crate::store::ratings::{self, RatingRow};

pub const MAX_FEEDBACK_CHARS: usize = 2000;
pub const MAX_CATEGORIES: usize = 10;
pub const MAX_CATEGORY_CHARS: usize = 50;

/// A validated rating.
#[derive(Clone, Debug)]
pub struct RatingInput {
    pub rating: i64,
    pub feedback: Option<String>,
    pub categories: Vec<String>,
    pub client_timestamp: Option<String>,
}

impl RatingInput {
    pub fn new(
        rating: i64,
        feedback: Option<&str>,
        categories: Vec<String>,
        client_timestamp: Option<String>,
    ) -> Result<Self> {
        if !(1..=5).contains(&rating) {
            return Err(Error::InvalidRating);
        }
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

pub(crate) fn insert_rating(
    conn: &Connection,
    session_id: &str,
    input: &RatingInput,
    now: Timestamp,
) -> Result<RatingRow> {
    let row = RatingRow {
        id: crate::domain::ids::generate("rating", now.0),
        session_id: session_id.to_string(),
        rating: input.rating,
        feedback: input.feedback.clone(),
        categories: input.categories.clone(),
        client_timestamp: input.client_timestamp.clone(),
        created_at: now,
    };
    ratings::insert(conn, &row).map_err(|e| {
        if is_unique_violation(&e) {
            Error::AlreadyRated
        } else {
            e.into()
        }
    })?;
    Ok(row)
}

/// Rates an ended session of the user's.
pub async fn rate(
    ctx: &Services,
    user: &UserPrincipal,
    session_id: SessionId,
    input: RatingInput,
) -> Result<RatingRow> {
    let now = ctx.clock.now();
    let timeout_ms = ctx.session_timeout_ms();
    let owner = user.user_id.clone();
    let (rating, expired) = ctx
        .store
        .write(move |conn| {
            let mut row = owned_session(conn, session_id.as_str(), &owner)?;
            let expired = if expire_if_idle(conn, &mut row, now, timeout_ms)? {
                Some(snapshot_in_tx(conn, &row)?)
            } else {
                None
            };
            if row.status.is_active() {
                return Err(Error::SessionActive);
            }
            if ratings::for_session(conn, &row.id)?.is_some() {
                return Err(Error::AlreadyRated);
            }
            Ok((insert_rating(conn, &row.id, &input, now)?, expired))
        })
        .await?;
    if let Some(snapshot) = expired {
        ctx.hub.publish(snapshot);
    }
    ctx.bus
        .publish(crate::realtime::DashboardEvent::SessionDetails(
            rating.session_id.as_str().into(),
        ));
    Ok(rating)
}
