//! The `ratings` table: at most one per session (UNIQUE on session_id).

use deadpool_postgres::GenericClient;

use super::db;
use crate::domain::rating::Rating;
use crate::error::Result;

/// Inserts the rating. A second rating of the session is a UNIQUE violation (see
/// [`super::is_unique_violation`]).
pub(crate) async fn insert(c: &impl GenericClient, r: &Rating) -> Result<()> {
    let categories = serde_json::to_string(&r.categories).unwrap_or_else(|_| "[]".into());
    db::exec(
        c,
        "INSERT INTO ratings (id, session_id, rating, feedback, categories, client_timestamp, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            &r.id,
            &r.session_id,
            &r.rating,
            &r.feedback,
            &categories,
            &r.client_timestamp,
            &r.created_at,
        ],
    )
    .await?;
    Ok(())
}

pub(crate) async fn for_session(
    c: &impl GenericClient,
    session_id: &str,
) -> Result<Option<Rating>> {
    db::row_opt(
        c,
        "SELECT id, session_id, rating, feedback, categories, client_timestamp, created_at
         FROM ratings WHERE session_id = $1",
        &[&session_id],
    )
    .await?
    .map(|r| {
        let categories: String = r.try_get(4)?;
        Ok(Rating {
            id: r.try_get(0)?,
            session_id: r.try_get(1)?,
            rating: r.try_get(2)?,
            feedback: r.try_get(3)?,
            categories: serde_json::from_str(&categories).unwrap_or_default(),
            client_timestamp: r.try_get(5)?,
            created_at: r.try_get(6)?,
        })
    })
    .transpose()
}
