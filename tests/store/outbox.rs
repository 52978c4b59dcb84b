//! Conformance cases for [`frontdesk::store::OutboxStore`]: an event is fanned out once, into
//! one delivery per active endpoint subscribed to its type; attempts are recorded (retry,
//! success, giving up, an endpoint failing for a day); endpoints are kept, changed and
//! audited; emails are queued once per key; a push token belongs to one person at a time;
//! unknown ids are refused as the trait says. On PostgreSQL two handles on one database (two
//! replicas) share the outbox: what one takes is leased to it, nothing is handed to both,
//! nothing is lost, and no more deliveries to one endpoint are handed out than are started.

/// One multi-threaded `#[tokio::test]` per case in [`cases`], against the engine `$open`
/// opens; with `replicas = $replicas` (a function opening two handles on one database) also
/// the cases of replicas sharing the outbox.
macro_rules! outbox_suite {
    ($engine:ident, $open:path $(, replicas = $replicas:path)?) => {
        mod $engine {
            macro_rules! case {
                ($name:ident, $with:path) => {
                    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                    async fn $name() {
                        $crate::outbox::cases::$name($with().await).await;
                    }
                };
            }
            case!(an_event_is_fanned_out_once_to_each_subscribed_endpoint, $open);
            case!(attempts_are_recorded_and_a_day_of_failures_disables_the_endpoint, $open);
            case!(endpoints_are_kept_changed_and_audited, $open);
            case!(an_email_is_queued_once_per_key_and_sent_once, $open);
            case!(a_push_token_belongs_to_one_person_and_the_newest_are_kept, $open);
            case!(unknown_ids_are_refused_as_the_trait_says, $open);
            $(
                case!(a_taken_item_is_not_handed_to_another_replica_until_its_lease_ends, $replicas);
                case!(a_replica_is_handed_no_more_deliveries_to_one_endpoint_than_it_starts, $replicas);
                case!(replicas_share_the_outbox_without_doubling_or_losing_any, $replicas);
            )?
        }
    };
}

pub mod common;
mod queues;
mod replicas;
mod webhooks;

/// Every case, by name, for the suite macro.
pub mod cases {
    pub use super::queues::*;
    pub use super::replicas::*;
    pub use super::webhooks::*;
}
