//! An admin broadcast: one system message into every chat that is going on.

use rusqlite::Connection;
use serde_json::json;

use super::{Draft, duplicate_of, expire_if_idle, insert_message, state_after, state_of};
use crate::domain::Channel;
use crate::error::Result;
use crate::store::chats::{Broadcast, BroadcastOutcome};
use crate::store::sqlite::{audit, sessions};

pub fn broadcast(conn: &Connection, req: &Broadcast) -> Result<BroadcastOutcome> {
    let mut outcome = BroadcastOutcome::default();
    for mut row in sessions::list_active(conn)? {
        if row.channel == Channel::Offline {
            continue;
        }
        if duplicate_of(conn, &row.id, &req.message_id, &req.text, &[])?.is_some() {
            outcome.already_had += 1;
            continue;
        }
        if expire_if_idle(conn, &mut row, req.now, req.idle)? {
            outcome.expired.push(state_of(conn, row)?);
            continue;
        }
        let message = insert_message(
            conn,
            &mut row,
            &Draft::system(&req.message_id, &req.text, req.now),
        )?;
        outcome.delivered.push(state_after(row, &message));
    }
    // A retry that found every chat served already is not a second broadcast.
    if outcome.already_had == 0 || !outcome.delivered.is_empty() {
        let detail = json!({
            "messageId": req.message_id,
            "message": req.text,
            "chats": outcome.delivered.len(),
        });
        audit::record(
            conn,
            req.now,
            Some(&req.agent_id),
            "broadcast",
            None,
            Some(&detail),
        )?;
    }
    Ok(outcome)
}
