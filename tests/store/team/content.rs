//! Personas and canned responses.

use frontdesk::domain::Role;
use frontdesk::domain::canned::CannedFields;
use frontdesk::domain::persona::PersonaFields;
use frontdesk::error::Error;

use crate::support::Fresh;

use super::fixtures::*;

fn persona(name: &str) -> PersonaFields {
    PersonaFields {
        name: name.into(),
        bio: Some(format!("{name} helps")),
        avatar_url: None,
    }
}

pub async fn personas_soft_delete(fresh: Fresh) {
    let store = fresh.store;
    add(&store, "admin", Role::SuperAdmin).await;
    let created = store
        .create_persona("p1", persona("Zoe"), "admin", at(1))
        .await
        .expect("create");
    assert_eq!((created.name.as_str(), created.deleted), ("Zoe", false));
    store
        .create_persona("p2", persona("Adam"), "admin", at(2))
        .await
        .expect("create");
    let updated = store
        .update_persona("p1", persona("Ava"), "admin", at(3))
        .await
        .expect("update");
    assert_eq!(updated.name, "Ava");
    assert_eq!(updated.updated_at, at(3));
    let names: Vec<_> = store
        .personas()
        .await
        .expect("list")
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(names, ["Adam", "Ava"], "by name");

    let deletes: Vec<_> = (0..8)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move { store.delete_persona("p1", "admin", at(10 + i)).await })
        })
        .collect();
    let mut deleted = 0;
    for task in deletes {
        match task.await.expect("task") {
            Ok(()) => deleted += 1,
            Err(Error::NotFound(_)) => {}
            Err(e) => panic!("unexpected error {e:?}"),
        }
    }
    assert_eq!(deleted, 1, "exactly one delete wins");
    let kept = store
        .persona("p1")
        .await
        .expect("get")
        .expect("kept for history");
    assert!(kept.deleted);
    assert_eq!(kept.name, "Ava");
    let listed: Vec<_> = store
        .personas()
        .await
        .expect("list")
        .into_iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(listed, ["p2"]);
    let result = store
        .update_persona("p1", persona("Back"), "admin", at(20))
        .await;
    assert!(matches!(result, Err(Error::NotFound(_))), "got {result:?}");
}

fn canned(shortcut: &str) -> CannedFields {
    CannedFields {
        title: format!("Title {shortcut}"),
        shortcut: shortcut.into(),
        body: format!("Body {shortcut}"),
    }
}

pub async fn canned_shortcuts_are_unique(fresh: Fresh) {
    let store = fresh.store;
    add(&store, "admin", Role::SuperAdmin).await;
    store
        .create_canned_response("c1", canned("/refund"), "admin", at(1))
        .await
        .expect("create");
    store
        .create_canned_response("c2", canned("/hello"), "admin", at(2))
        .await
        .expect("create");
    let taken = store
        .create_canned_response("c3", canned("/refund"), "admin", at(3))
        .await;
    assert!(matches!(taken, Err(Error::Conflict(_))), "got {taken:?}");
    assert!(store.canned_response("c3").await.expect("get").is_none());
    let taken = store
        .update_canned_response("c2", canned("/refund"), "admin", at(4))
        .await;
    assert!(matches!(taken, Err(Error::Conflict(_))), "got {taken:?}");
    let unchanged = store.canned_response("c2").await.expect("get").expect("c2");
    assert_eq!(unchanged.shortcut, "/hello");
    let updated = store
        .update_canned_response("c2", canned("/hi"), "admin", at(5))
        .await
        .expect("update");
    assert_eq!(
        (updated.shortcut.as_str(), updated.updated_at),
        ("/hi", at(5))
    );
    assert_eq!(updated.created_by.as_deref(), Some("admin"));
    let shortcuts: Vec<_> = store
        .canned_responses()
        .await
        .expect("list")
        .into_iter()
        .map(|c| c.shortcut)
        .collect();
    assert_eq!(shortcuts, ["/hi", "/refund"], "by shortcut");

    store
        .delete_canned_response("c1", "admin", at(6))
        .await
        .expect("delete");
    let again = store.delete_canned_response("c1", "admin", at(7)).await;
    assert!(matches!(again, Err(Error::NotFound(_))), "got {again:?}");
    // The shortcut is free again.
    store
        .create_canned_response("c4", canned("/refund"), "admin", at(8))
        .await
        .expect("reuse the shortcut");
}
