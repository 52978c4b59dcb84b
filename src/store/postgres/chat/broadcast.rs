//! An admin broadcast: one system message into every chat that is going on.

use deadpool_postgres::GenericClient;
use serde_json::json;

use super::{Draft, duplicate_of, expire_if_idle, insert_message, state_after, state_of};
use crate::domain::Channel;
use crate::error::Result;
use crate::store::chats::{Broadcast, BroadcastOutcome};
use crate::store::postgres::{audit, sessions};

pub(crate) async fn broadcast(c: &impl GenericClient, req: &Broadcast) -> Result<BroadcastOutcome> {
    let mut outcome = BroadcastOutcome::default();
    for mut row in sessions::list_active(c).await? {
        if row.channel == Channel::Offline {
            continue;
        }
        if duplicate_of(c, &row.id, &req.message_id, &req.text, &[])
            .await?
            .is_some()
        {
            outcome.already_had += 1;
            continue;
        }
        if expire_if_idle(c, &mut row, req.now, req.idle).await? {
            outcome.expired.push(state_of(c, row).await?);
            continue;
        }
        let message = insert_message(
            c,
            &mut row,
            &Draft::system(&req.message_id, &req.text, req.now),
        )
        .await?;
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
            c,
            req.now,
            Some(&req.agent_id),
            "broadcast",
            None,
            Some(&detail),
        )
        .await?;
    }
    Ok(outcome)
}
