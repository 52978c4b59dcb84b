//! The `sessions` table: one row per chat, with counters kept current by every message insert.

use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

use super::db;
use crate::domain::session::Session;
use crate::domain::{Channel, Priority, Sender, SessionOwner, SessionStatus, Timestamp};
use crate::error::Result;

pub(crate) const COLUMNS: &str = "s.id, s.user_id, s.user_name, s.user_email, s.user_phone, s.is_guest, \
    s.persona_id, s.status, s.assigned_agent_id, s.assigned_at, s.priority_override, s.created_at, \
    s.client_start_time, s.metadata, s.ended_at, s.ended_by, s.ended_by_agent_id, s.end_reason, \
    s.message_count, s.last_activity_at, s.last_user_message_at, s.last_agent_message_at, \
    s.awaiting_since, s.first_user_message_at, s.first_response_at, s.unread_by_agent, s.agent_read_seq, \
    s.last_seq, s.channel";

/// Number of columns in [`COLUMNS`], for queries that select more after them.
pub(crate) const COLUMN_COUNT: usize = 29;

pub(crate) fn from_row(r: &Row) -> Result<Session> {
    Ok(Session {
        id: r.try_get(0)?,
        user_id: r.try_get(1)?,
        user_name: r.try_get(2)?,
        user_email: r.try_get(3)?,
        user_phone: r.try_get(4)?,
        is_guest: r.try_get(5)?,
        persona_id: r.try_get(6)?,
        status: r.try_get(7)?,
        assigned_agent_id: r.try_get(8)?,
        assigned_at: r.try_get(9)?,
        priority_override: r.try_get(10)?,
        created_at: r.try_get(11)?,
        client_start_time: r.try_get(12)?,
        metadata: r.try_get(13)?,
        ended_at: r.try_get(14)?,
        ended_by: r.try_get(15)?,
        ended_by_agent_id: r.try_get(16)?,
        end_reason: r.try_get(17)?,
        message_count: r.try_get(18)?,
        last_activity_at: r.try_get(19)?,
        last_user_message_at: r.try_get(20)?,
        last_agent_message_at: r.try_get(21)?,
        awaiting_since: r.try_get(22)?,
        first_user_message_at: r.try_get(23)?,
        first_response_at: r.try_get(24)?,
        unread_by_agent: r.try_get(25)?,
        agent_read_seq: r.try_get(26)?,
        last_seq: r.try_get(27)?,
        channel: r.try_get(28)?,
    })
}

/// Every row as a session.
fn sessions_of(rows: &[Row]) -> Result<Vec<Session>> {
    rows.iter().map(from_row).collect()
}

pub struct NewSession<'a> {
    pub id: &'a str,
    pub user_id: &'a str,
    pub user_name: Option<&'a str>,
    pub user_email: Option<&'a str>,
    pub user_phone: Option<&'a str>,
    pub is_guest: bool,
    pub persona_id: Option<&'a str>,
    pub created_at: Timestamp,
    pub client_start_time: Option<&'a str>,
    pub metadata: Option<&'a str>,
    /// The client address of a guest's session (counted for the per-address cap).
    pub guest_addr: Option<&'a str>,
    pub channel: Channel,
}

/// Inserts the session. An id already taken is a UNIQUE violation (see
/// [`super::is_unique_violation`]).
pub(crate) async fn insert(c: &impl GenericClient, s: &NewSession<'_>) -> Result<()> {
    db::exec(
        c,
        "INSERT INTO sessions (id, user_id, user_name, user_email, user_phone, is_guest, persona_id,
             created_at, client_start_time, metadata, last_activity_at, guest_addr, channel)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $8, $11, $12)",
        &[
            &s.id,
            &s.user_id,
            &s.user_name,
            &s.user_email,
            &s.user_phone,
            &s.is_guest,
            &s.persona_id,
            &s.created_at,
            &s.client_start_time,
            &s.metadata,
            &s.guest_addr,
            &s.channel,
        ],
    )
    .await?;
    Ok(())
}

pub(crate) async fn get(c: &impl GenericClient, id: &str) -> Result<Option<Session>> {
    read_one(c, id, "").await
}

/// As [`get`], locking the row until the transaction ends: a unit that runs at READ COMMITTED
/// takes it first, so every later read sees what the previous holder committed.
pub(crate) async fn get_for_update(c: &impl GenericClient, id: &str) -> Result<Option<Session>> {
    read_one(c, id, " FOR UPDATE").await
}

async fn read_one(c: &impl GenericClient, id: &str, locking: &str) -> Result<Option<Session>> {
    db::row_opt(
        c,
        &format!("SELECT {COLUMNS} FROM sessions s WHERE s.id = $1{locking}"),
        &[&id],
    )
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// The user's newest active session with the same persona (or none), for resuming. A user id
/// means someone else as a guest's id (`is_guest`), so both are matched.
pub(crate) async fn find_active_for_user(
    c: &impl GenericClient,
    user_id: &str,
    is_guest: bool,
    persona_id: Option<&str>,
) -> Result<Option<Session>> {
    db::row_opt(
        c,
        &format!(
            "SELECT {COLUMNS} FROM sessions s
             WHERE s.user_id = $1 AND s.is_guest = $3 AND s.status = 'active'
               AND s.persona_id IS NOT DISTINCT FROM $2
             ORDER BY s.created_at DESC LIMIT 1"
        ),
        &[&user_id, &persona_id, &is_guest],
    )
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// The owner's offline-form chat created since `since` whose user wrote `text` (a retried
/// submit), newest first.
pub(crate) async fn find_recent_offline(
    c: &impl GenericClient,
    user_id: &str,
    is_guest: bool,
    since: Timestamp,
    text: &str,
) -> Result<Option<Session>> {
    db::row_opt(
        c,
        &format!(
            "SELECT {COLUMNS} FROM sessions s
             WHERE s.user_id = $1 AND s.is_guest = $2 AND s.channel = 'offline' AND s.created_at >= $3
               AND EXISTS (SELECT 1 FROM messages m
                           WHERE m.session_id = s.id AND m.sender = 'user' AND m.body = $4)
             ORDER BY s.created_at DESC LIMIT 1"
        ),
        &[&user_id, &is_guest, &since, &text],
    )
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// The owner's active sessions that have had activity since `since` (older ones have expired
/// even if the sweep has not written it down yet).
pub(crate) async fn count_active_for_user(
    c: &impl GenericClient,
    user_id: &str,
    is_guest: bool,
    since: Timestamp,
) -> Result<i64> {
    Ok(db::row(
        c,
        "SELECT COUNT(*) FROM sessions
         WHERE user_id = $1 AND is_guest = $3 AND status = 'active' AND last_activity_at >= $2",
        &[&user_id, &since, &is_guest],
    )
    .await?
    .try_get(0)?)
}

/// Active guest sessions started from `addr` with activity since `since`.
pub(crate) async fn count_active_for_guest_addr(
    c: &impl GenericClient,
    addr: &str,
    since: Timestamp,
) -> Result<i64> {
    Ok(db::row(
        c,
        "SELECT COUNT(*) FROM sessions
         WHERE guest_addr = $1 AND status = 'active' AND last_activity_at >= $2",
        &[&addr, &since],
    )
    .await?
    .try_get(0)?)
}

/// The owner's sessions, newest first. Sessions started in the same millisecond follow their
/// ids (PostgreSQL rows have no insertion order to fall back on).
pub(crate) async fn list_for_user(
    c: &impl GenericClient,
    owner: &SessionOwner,
    offset: i64,
    limit: i64,
) -> Result<Vec<Session>> {
    let rows = db::rows(
        c,
        &format!(
            "SELECT {COLUMNS} FROM sessions s WHERE s.user_id = $1 AND s.is_guest = $4
             ORDER BY s.created_at DESC, s.id DESC LIMIT $2 OFFSET $3"
        ),
        &[&&*owner.user_id, &limit, &offset, &owner.is_guest],
    )
    .await?;
    sessions_of(&rows)
}

pub(crate) async fn count_for_user(c: &impl GenericClient, owner: &SessionOwner) -> Result<i64> {
    Ok(db::row(
        c,
        "SELECT COUNT(*) FROM sessions WHERE user_id = $1 AND is_guest = $2",
        &[&&*owner.user_id, &owner.is_guest],
    )
    .await?
    .try_get(0)?)
}

/// The ids of the sessions of `user_id` (in one namespace, or both when `is_guest` is
/// `None`), oldest first (same-millisecond ones by id).
pub(crate) async fn ids_of_user(
    c: &impl GenericClient,
    user_id: &str,
    is_guest: Option<bool>,
) -> Result<Vec<String>> {
    db::rows(
        c,
        "SELECT id FROM sessions WHERE user_id = $1 AND ($2::BOOLEAN IS NULL OR is_guest = $2)
         ORDER BY created_at, id",
        &[&user_id, &is_guest],
    )
    .await?
    .iter()
    .map(|r| Ok(r.try_get(0)?))
    .collect()
}

/// Earlier sessions of the same owner (for the agent's context), newest first.
pub(crate) async fn others_of_user(
    c: &impl GenericClient,
    owner: &SessionOwner,
    except: &str,
    limit: i64,
) -> Result<Vec<Session>> {
    let rows = db::rows(
        c,
        &format!(
            "SELECT {COLUMNS} FROM sessions s WHERE s.user_id = $1 AND s.is_guest = $4 AND s.id <> $2
             ORDER BY s.created_at DESC LIMIT $3"
        ),
        &[&&*owner.user_id, &except, &limit, &owner.is_guest],
    )
    .await?;
    sessions_of(&rows)
}

/// Takes the next position in an active session for a message by `sender` (an agent's id for
/// replies) at `at`, keeping the counters current in the same statement. `None` when the
/// session is not active. The bump takes the session's row lock until commit, so positions of
/// one session are handed out and committed in order even with several writers.
pub(crate) async fn next_position(
    c: &impl GenericClient,
    id: &str,
    sender: Sender,
    agent_id: Option<&str>,
    at: Timestamp,
) -> Result<Option<i64>> {
    let row = match sender {
        Sender::User => {
            db::row_opt(
                c,
                "UPDATE sessions SET last_seq = last_seq + 1, message_count = message_count + 1,
                     last_activity_at = $2, last_user_message_at = $2,
                     awaiting_since = COALESCE(awaiting_since, $2),
                     first_user_message_at = COALESCE(first_user_message_at, $2),
                     unread_by_agent = unread_by_agent + 1
                 WHERE id = $1 AND status = 'active' RETURNING last_seq",
                &[&id, &at],
            )
            .await?
        }
        Sender::Admin => {
            db::row_opt(
                c,
                "UPDATE sessions SET last_seq = last_seq + 1, message_count = message_count + 1,
                     last_activity_at = $2, last_agent_message_at = $2, awaiting_since = NULL,
                     first_responder_id = CASE WHEN first_response_at IS NULL AND first_user_message_at IS NOT NULL
                                               THEN $3 ELSE first_responder_id END,
                     first_response_at = CASE WHEN first_response_at IS NULL AND first_user_message_at IS NOT NULL
                                              THEN $2 ELSE first_response_at END
                 WHERE id = $1 AND status = 'active' RETURNING last_seq",
                &[&id, &at, &agent_id],
            )
            .await?
        }
        Sender::System => {
            db::row_opt(
                c,
                "UPDATE sessions SET last_seq = last_seq + 1
                 WHERE id = $1 AND status = 'active' RETURNING last_seq",
                &[&id],
            )
            .await?
        }
    };
    row.map(|r| r.try_get(0)).transpose().map_err(Into::into)
}

pub struct EndSession<'a> {
    pub status: SessionStatus,
    pub ended_by: &'a str,
    pub agent_id: Option<&'a str>,
    pub reason: Option<&'a str>,
    pub at: Timestamp,
}

/// Ends an active session; false when it was not active any more.
pub(crate) async fn end(c: &impl GenericClient, id: &str, e: &EndSession<'_>) -> Result<bool> {
    let changed = db::exec(
        c,
        "UPDATE sessions SET status = $2, ended_by = $3, ended_by_agent_id = $4, end_reason = $5,
             ended_at = $6, awaiting_since = NULL
         WHERE id = $1 AND status = 'active'",
        &[&id, &e.status, &e.ended_by, &e.agent_id, &e.reason, &e.at],
    )
    .await?;
    Ok(changed == 1)
}

/// Ends one session as expired if it is still active and idle since before `cutoff` (at the
/// moment it went quiet); false when it is not (any more).
pub(crate) async fn expire_one(
    c: &impl GenericClient,
    id: &str,
    cutoff: Timestamp,
    timeout_ms: i64,
    reason: &str,
) -> Result<bool> {
    Ok(db::exec(
        c,
        "UPDATE sessions SET status = 'expired', ended_by = 'system', end_reason = $4,
             ended_at = last_activity_at + $3, awaiting_since = NULL
         WHERE id = $1 AND status = 'active' AND last_activity_at < $2 AND channel <> 'offline'",
        &[&id, &cutoff, &timeout_ms, &reason],
    )
    .await?
        == 1)
}

/// Active sessions quiet since before `cutoff`: candidates for the idle sweep, which expires
/// each with [`expire_one`] (conditional, so a message that lands meanwhile keeps it alive).
/// Offline-form chats wait for an agent however long it takes and are never candidates.
pub(crate) async fn idle_since(c: &impl GenericClient, cutoff: Timestamp) -> Result<Vec<String>> {
    db::rows(
        c,
        "SELECT id FROM sessions
         WHERE status = 'active' AND last_activity_at < $1 AND channel <> 'offline'",
        &[&cutoff],
    )
    .await?
    .iter()
    .map(|r| Ok(r.try_get(0)?))
    .collect()
}

pub(crate) async fn set_priority(
    c: &impl GenericClient,
    id: &str,
    priority: Option<Priority>,
) -> Result<()> {
    db::exec(
        c,
        "UPDATE sessions SET priority_override = $2 WHERE id = $1",
        &[&id, &priority],
    )
    .await?;
    Ok(())
}

/// Records that agents have seen the user's messages up to `seq`.
pub(crate) async fn mark_read_by_agent(c: &impl GenericClient, id: &str, seq: i64) -> Result<()> {
    db::exec(
        c,
        "UPDATE sessions SET agent_read_seq = GREATEST(agent_read_seq, $2), unread_by_agent = 0
         WHERE id = $1",
        &[&id, &seq],
    )
    .await?;
    Ok(())
}

/// Gives an active chat nobody holds to `agent_id`; false when it is not active or somebody
/// already holds it (the conditional update is what makes one assigner win).
pub(crate) async fn assign_if_unassigned(
    c: &impl GenericClient,
    id: &str,
    agent_id: &str,
    at: Timestamp,
) -> Result<bool> {
    Ok(db::exec(
        c,
        "UPDATE sessions SET assigned_agent_id = $2, assigned_at = $3
         WHERE id = $1 AND status = 'active' AND assigned_agent_id IS NULL",
        &[&id, &agent_id, &at],
    )
    .await?
        == 1)
}

/// Moves an active chat from `from` (None: unassigned) to `to`; false when it is not active or
/// is no longer held by `from`.
pub(crate) async fn reassign_from(
    c: &impl GenericClient,
    id: &str,
    from: Option<&str>,
    to: Option<&str>,
    at: Timestamp,
) -> Result<bool> {
    Ok(db::exec(
        c,
        "UPDATE sessions SET assigned_agent_id = $3, assigned_at = $4
         WHERE id = $1 AND status = 'active' AND assigned_agent_id IS NOT DISTINCT FROM $2",
        &[&id, &from, &to, &to.map(|_| at)],
    )
    .await?
        == 1)
}

/// Takes a chat (in any state) away from `holder`; false when `holder` no longer has it.
pub(crate) async fn release_from(c: &impl GenericClient, id: &str, holder: &str) -> Result<bool> {
    Ok(db::exec(
        c,
        "UPDATE sessions SET assigned_agent_id = NULL, assigned_at = NULL
         WHERE id = $1 AND assigned_agent_id = $2",
        &[&id, &holder],
    )
    .await?
        == 1)
}

/// Most places in line a new chat is told; a longer queue reads as this many.
pub const MAX_QUEUE_POSITION: i64 = 1000;

/// Unassigned active sessions started no later than `created_at` (this one's place in line),
/// counted up to [`MAX_QUEUE_POSITION`].
pub(crate) async fn queue_position(c: &impl GenericClient, created_at: Timestamp) -> Result<i64> {
    Ok(db::row(
        c,
        "SELECT COUNT(*) FROM (
             SELECT 1 FROM sessions
             WHERE status = 'active' AND assigned_agent_id IS NULL AND created_at <= $1
             ORDER BY created_at DESC LIMIT $2) AS waiting",
        &[&created_at, &MAX_QUEUE_POSITION],
    )
    .await?
    .try_get(0)?)
}

/// Every active session, oldest first.
pub(crate) async fn list_active(c: &impl GenericClient) -> Result<Vec<Session>> {
    let rows = db::rows(
        c,
        &format!(
            "SELECT {COLUMNS} FROM sessions s WHERE s.status = 'active' ORDER BY s.created_at"
        ),
        &[],
    )
    .await?;
    sessions_of(&rows)
}

/// An active session with the names the queue shows and its newest message.
#[derive(Clone, Debug)]
pub struct ActiveSessionRow {
    pub session: Session,
    pub persona_name: Option<String>,
    pub agent_name: Option<String>,
    pub last_message: Option<String>,
}

pub(crate) async fn list_active_detailed(c: &impl GenericClient) -> Result<Vec<ActiveSessionRow>> {
    db::rows(
        c,
        &format!(
            "SELECT {COLUMNS}, p.name, a.name,
                    (SELECT m.body FROM messages m WHERE m.session_id = s.id
                     ORDER BY m.session_seq DESC LIMIT 1)
             FROM sessions s
             LEFT JOIN personas p ON p.id = s.persona_id
             LEFT JOIN agents a ON a.id = s.assigned_agent_id
             WHERE s.status = 'active'
             ORDER BY s.created_at"
        ),
        &[],
    )
    .await?
    .iter()
    .map(|r| {
        Ok(ActiveSessionRow {
            session: from_row(r)?,
            persona_name: r.try_get(COLUMN_COUNT)?,
            agent_name: r.try_get(COLUMN_COUNT + 1)?,
            last_message: r.try_get(COLUMN_COUNT + 2)?,
        })
    })
    .collect()
}
