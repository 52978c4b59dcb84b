//! The few helpers every query in this engine uses: statements prepared once per connection,
//! errors mapped to the domain's, and the end of a write transaction.

use deadpool_postgres::{GenericClient, Object, Transaction};
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres::{IsolationLevel, Row};

use crate::error::{Error, Result};

pub(crate) type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

/// Every row `sql` answers (the statement is prepared once per connection and cached).
pub(crate) async fn rows(
    c: &impl GenericClient,
    sql: &str,
    params: Params<'_>,
) -> Result<Vec<Row>> {
    let statement = c.prepare_cached(sql).await?;
    Ok(c.query(&statement, params).await?)
}

/// The one row `sql` answers; an error when there is none.
pub(crate) async fn row(c: &impl GenericClient, sql: &str, params: Params<'_>) -> Result<Row> {
    let statement = c.prepare_cached(sql).await?;
    Ok(c.query_one(&statement, params).await?)
}

/// The row `sql` answers, if any (more than one is an error).
pub(crate) async fn row_opt(
    c: &impl GenericClient,
    sql: &str,
    params: Params<'_>,
) -> Result<Option<Row>> {
    let statement = c.prepare_cached(sql).await?;
    Ok(c.query_opt(&statement, params).await?)
}

/// Runs `sql`; how many rows it changed.
pub(crate) async fn exec(c: &impl GenericClient, sql: &str, params: Params<'_>) -> Result<u64> {
    let statement = c.prepare_cached(sql).await?;
    Ok(c.execute(&statement, params).await?)
}

/// The SQLSTATE of the PostgreSQL error behind `e`, if there is one.
pub(crate) fn sql_state(e: &Error) -> Option<&SqlState> {
    let Error::Internal(internal) = e else {
        return None;
    };
    std::error::Error::source(internal)?
        .downcast_ref::<tokio_postgres::Error>()?
        .code()
}

/// True when `e` is a UNIQUE or PRIMARY KEY violation: a conflict the caller should name.
pub(crate) fn is_unique_violation(e: &Error) -> bool {
    sql_state(e) == Some(&SqlState::UNIQUE_VIOLATION)
}

/// True when PostgreSQL gave up on the transaction only because of another one running at
/// the same time: running it again will succeed or reach a real answer.
fn must_retry(e: &Error) -> bool {
    matches!(
        sql_state(e),
        Some(s) if *s == SqlState::T_R_SERIALIZATION_FAILURE || *s == SqlState::T_R_DEADLOCK_DETECTED
    )
}

/// Opens the transaction one unit of work runs in: SERIALIZABLE, or READ COMMITTED for a
/// unit that takes the locks its rules rest on itself (see `write_tx!`'s `locking` form).
pub(crate) async fn start_write_at(
    client: &mut Object,
    level: IsolationLevel,
) -> Result<Transaction<'_>> {
    Ok(client
        .build_transaction()
        .isolation_level(level)
        .start()
        .await?)
}

/// Waits for, and holds until the transaction ends, an advisory lock on each of `keys`, in
/// one global order (of their hashes), so two units locking overlapping keys cannot deadlock.
pub(crate) async fn lock_keys(c: &impl GenericClient, keys: &[String]) -> Result<()> {
    rows(
        c,
        "SELECT pg_advisory_xact_lock(k)
         FROM (SELECT DISTINCT hashtextextended(key, 0) AS k FROM unnest($1::TEXT[]) key) keys
         ORDER BY k",
        &[&keys],
    )
    .await?;
    Ok(())
}

/// How a unit of work ended.
pub(crate) enum Finish<R> {
    /// Committed (`Ok`) or refused for good (`Err`).
    Done(Result<R>),
    /// Lost a race with another transaction; run it again. Carries the cause, for when the
    /// attempts run out.
    Retry(Error),
}

/// Commits `tx` when the body succeeded, rolls it back otherwise, and tells a lost race
/// (reported by the body or by the commit) from a final answer.
pub(crate) async fn finish<R>(tx: Transaction<'_>, outcome: Result<R>) -> Finish<R> {
    match outcome {
        Ok(answer) => match tx.commit().await {
            Ok(()) => Finish::Done(Ok(answer)),
            Err(e) => {
                let e = Error::from(e);
                if must_retry(&e) {
                    Finish::Retry(e)
                } else {
                    Finish::Done(Err(e))
                }
            }
        },
        Err(e) => {
            // Dropping a transaction rolls it back; saying so lets the connection go back to
            // the pool clean. A failed rollback leaves a broken connection the pool drops.
            let _ = tx.rollback().await;
            if must_retry(&e) {
                Finish::Retry(e)
            } else {
                Finish::Done(Err(e))
            }
        }
    }
}

/// Waits a short random time before attempt `attempt + 1` of a unit of work that lost a race.
/// Writers that lost to the same winner would otherwise all come back at once and, but one,
/// lose again together; the pause grows with each loss so that they spread out.
pub(crate) async fn pause_before_retry(attempt: u32) {
    use rand::Rng;
    let ceiling_ms = 1u64 << attempt.min(6);
    let pause = rand::rng().random_range(0..=ceiling_ms);
    tokio::time::sleep(std::time::Duration::from_millis(pause)).await;
}
