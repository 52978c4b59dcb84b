//! What an erasure answers, to the person and to a super admin alike.

use serde::Serialize;

use crate::domain::SessionOwner;
use crate::store::lifecycle::Removal;

/// Everything stored about the person is gone; these are the counts.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErasureAnswer {
    pub user_id: String,
    pub is_guest: bool,
    pub chats_erased: usize,
    pub messages_erased: u64,
    pub files_erased: u64,
    pub devices_forgotten: u64,
}

impl ErasureAnswer {
    pub fn of(owner: &SessionOwner, removal: &Removal) -> Self {
        ErasureAnswer {
            user_id: owner.user_id.to_string(),
            is_guest: owner.is_guest,
            chats_erased: removal.session_ids.len(),
            messages_erased: removal.messages,
            files_erased: removal.files,
            devices_forgotten: removal.devices,
        }
    }
}
