//! The `ratings` table: at most one per session (UNIQUE on session_id).

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::Result;

use crate::domain::rating::Rating;

pub fn insert(conn: &Connection, r: &Rating) -> rusqlite::Result<()> {
    let categories = serde_json::to_string(&r.categories).unwrap_or_else(|_| "[]".into());
    conn.prepare_cached(
        "INSERT INTO ratings (id, session_id, rating, feedback, categories, client_timestamp, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        r.id,
        r.session_id,
        r.rating,
        r.feedback,
        categories,
        r.client_timestamp,
        r.created_at
    ])?;
    Ok(())
}

pub fn for_session(conn: &Connection, session_id: &str) -> Result<Option<Rating>> {
    Ok(conn
        .prepare_cached(
            "SELECT id, session_id, rating, feedback, categories, client_timestamp, created_at
             FROM ratings WHERE session_id = ?1",
        )?
        .query_row([session_id], |r| {
            let categories: String = r.get(4)?;
            Ok(Rating {
                id: r.get(0)?,
                session_id: r.get(1)?,
                rating: r.get(2)?,
                feedback: r.get(3)?,
                categories: serde_json::from_str(&categories).unwrap_or_default(),
                client_timestamp: r.get(5)?,
                created_at: r.get(6)?,
            })
        })
        .optional()?)
}
