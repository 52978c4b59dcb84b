//! Conformance cases for [`frontdesk::store::TeamStore`].

/// One multi-threaded `#[tokio::test]` per case, against the engine `$open` opens.
macro_rules! team_suite {
    ($engine:ident, $open:path) => {
        mod $engine {
            team_suite!(@cases $open;
                agent_emails_are_unique,
                concurrent_creates_with_one_email_have_one_winner,
                last_super_admin_survives_concurrent_disables,
                last_super_admin_survives_concurrent_demotions,
                disabling_returns_chats_and_ends_sign_ins,
                disabling_an_unknown_agent_is_not_found,
                presence_and_touch_move_forward,
                dashboard_sessions_start_touch_and_end,
                setup_has_one_winner,
                personas_soft_delete,
                canned_shortcuts_are_unique,
                audit_is_newest_first_and_filters,
                settings_get_or_init_is_stable_under_concurrency,
                business_hours_replace_and_audit,
                analytics_count_only_agents_who_could_take_a_chat,
                new_passwords_end_tokens_and_sign_ins,
                signing_out_ends_tokens_but_not_dashboard_sessions,
                backup_integrity_and_read_count
            );
        }
    };
    (@cases $open:path; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                crate::team::cases::$case($open().await).await;
            }
        )*
    };
}

mod agents;
mod business;
mod content;
mod fixtures;
mod records;
mod sign_in;

/// Every case, by name, for the macro above.
pub mod cases {
    pub use super::agents::*;
    pub use super::business::*;
    pub use super::content::*;
    pub use super::records::*;
    pub use super::sign_in::*;
}
