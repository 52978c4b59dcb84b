//! Conformance cases for [`frontdesk::store::ChatStore`]: ordering, idempotency, ends, expiry,
//! assignment races with real concurrency, and the release/transfer rules.

/// One `#[tokio::test]` per case in [`cases`], against the engine `$open` opens.
macro_rules! chats_suite {
    ($engine:ident, $open:path) => {
        mod $engine {
            macro_rules! case {
                ($name:ident) => {
                    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                    async fn $name() {
                        $crate::chats::cases::$name($open().await).await;
                    }
                };
            }
            case!(concurrent_appends_keep_one_gapless_order_per_session);
            case!(retry_with_same_id_and_text_returns_the_stored_message);
            case!(concurrent_retries_store_one_message);
            case!(concurrent_starts_keep_one_chat_per_user_and_the_caps);
            case!(same_id_with_other_text_is_a_conflict);
            case!(messages_after_a_cursor_are_the_newer_ones_in_order);
            case!(an_unknown_cursor_is_invalid);
            case!(an_end_is_final_and_repeats_change_nothing);
            case!(an_idle_session_expires_instead_of_taking_a_message);
            case!(exactly_one_of_sixteen_concurrent_assigns_wins);
            case!(capacity_holds_under_concurrent_assigns);
            case!(release_and_transfer_follow_the_rules);
            case!(ends_and_expiry_give_capacity_back);
            case!(the_sweep_expires_only_chats_quiet_since_the_cutoff);
            case!(auto_assign_honours_who_may_take_a_chat);
            case!(start_answers_retries_resumes_and_never_reveals_another_users_id);
            case!(a_welcome_message_takes_position_one);
            case!(a_session_is_rated_once_and_only_after_its_end);
            case!(receipts_mark_each_agent_message_once);
            case!(a_reply_takes_an_unassigned_chat_within_capacity);
            case!(silent_agents_lose_their_chats);
            case!(a_guest_and_a_user_with_one_id_are_different_owners);
            case!(a_broadcast_reaches_each_active_chat_once_and_expires_idle_ones);
        }
    };
}

mod assignment;
pub mod common;
mod messaging;

/// Every case, by name, for the suite macro.
pub mod cases {
    pub use super::assignment::*;
    pub use super::messaging::*;
}
