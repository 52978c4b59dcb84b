//! How client-API answers look: the field names the shipped mobile client reads.

use serde::Serialize;
use serde_json::{Value, json};

use crate::domain::message::Message;
use crate::domain::{MessageKind, Sender, Timestamp};
use crate::service::Pagination;

#[derive(Serialize)]
pub struct AdminInfo<'a> {
    pub name: &'a str,
    pub department: Option<&'a str>,
}

/// A message as users see it: agent replies carry the shown name (agent or persona), never
/// the real agent behind a persona.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientMessage<'a> {
    pub message_id: &'a str,
    pub message: &'a str,
    pub sender: Sender,
    pub timestamp: Timestamp,
    pub message_type: MessageKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admin_info: Option<AdminInfo<'a>>,
}

impl<'a> ClientMessage<'a> {
    pub fn of(row: &'a Message) -> Self {
        ClientMessage {
            message_id: &row.id,
            message: &row.body,
            sender: row.sender,
            timestamp: row.created_at,
            message_type: row.kind,
            admin_info: (row.sender == Sender::Admin).then(|| AdminInfo {
                name: row.display_name.as_deref().unwrap_or("Support"),
                department: row.department.as_deref(),
            }),
        }
    }
}

pub fn client_messages(rows: &[Message]) -> Vec<ClientMessage<'_>> {
    rows.iter().map(ClientMessage::of).collect()
}

/// `pagination` with the total under the name each endpoint uses.
pub fn pagination(p: Pagination, total_name: &str, total: i64) -> Value {
    let mut value = json!(p);
    value[total_name] = json!(total);
    value
}
