//! Settings the business changes at run time: business hours.

use frontdesk::domain::Role;
use frontdesk::domain::audit::AuditFilter;
use frontdesk::domain::hours::BusinessHours;

use crate::support::Fresh;

use super::fixtures::*;

pub async fn business_hours_replace_and_audit(fresh: Fresh) {
    let store = fresh.store;
    add(&store, "root", Role::SuperAdmin).await;
    assert_eq!(
        store.business_hours().await.expect("read"),
        None,
        "never set"
    );

    let mut doc = BusinessHours::default().to_document();
    doc.enabled = true;
    doc.time_zone = "Europe/Berlin".into();
    doc.closed_dates = vec!["2026-12-25".into()];
    doc.away_message = "<b>Back</b> soon".into();
    let first = BusinessHours::parse(&doc).expect("valid hours");
    let saved = store
        .save_business_hours(first.clone(), "root", at(1))
        .await
        .expect("save");
    assert_eq!(saved, first);
    assert_eq!(store.business_hours().await.expect("read"), Some(first));

    let second = BusinessHours::default();
    store
        .save_business_hours(second.clone(), "root", at(2))
        .await
        .expect("replace");
    assert_eq!(
        store.business_hours().await.expect("read"),
        Some(second),
        "the last save wins whole"
    );

    let filter = AuditFilter {
        action: Some("hours_update".into()),
        ..AuditFilter::default()
    };
    let (events, total) = store.audit_events(filter, 0, 10).await.expect("audit");
    assert_eq!(total, 2);
    assert_eq!(events[0].agent_id.as_deref(), Some("root"));
    assert_eq!(
        events[1].detail.as_ref().unwrap()["timeZone"],
        "Europe/Berlin"
    );
}
