//! Privacy exports: everything about one person for a super admin
//! (`GET /api/admin/users/{userId}/export`), the same for the person themselves with their own
//! token (`GET /api/chat/me/export`), and `frontdesk user export`; nobody else's data in any.

use reqwest::Method;
use serde_json::{Value, json};

use super::assert_keys;
use crate::helpers::*;
use crate::process::run;

/// Two chats of Ann's (one answered, noted, ended and rated; one still open) with a device
/// registered for push, and one chat of Bob's.
struct People {
    app: TestApp,
    root: String,
    sam: String,
    support: String,
    ann: String,
    bob: String,
}

const BOBS_SECRET: &str = "bob's own secret";

async fn people() -> People {
    let app = TestApp::spawn().await;
    let (_, root) = app.agent("root@example.com", "super_admin").await;
    let (_, sam) = app.agent("sam@example.com", "chat_admin").await;
    let (_, support) = app.agent("ro@example.com", "support_admin").await;
    let ann = app.user_token("ann");
    let bob = app.user_token("bob");
    app.start_session(&ann, Some("chat_ann_1")).await;
    app.send_ok(&ann, "chat_ann_1", "msg_1", "my parcel is late")
        .await;
    app.agent_reply(&sam, "chat_ann_1", "sorry, sending another")
        .await;
    app.post_ok(
        "/api/admin/chat/session/chat_ann_1/notes",
        &sam,
        json!({ "note": "second parcel sent" }),
    )
    .await;
    app.post_ok(
        "/api/chat/session/end",
        &ann,
        json!({ "sessionId": "chat_ann_1" }),
    )
    .await;
    app.post_ok(
        "/api/chat/rating",
        &ann,
        json!({ "sessionId": "chat_ann_1", "rating": 4, "feedback": "quick" }),
    )
    .await;
    app.start_session(&ann, Some("chat_ann_2")).await;
    app.send_ok(&ann, "chat_ann_2", "msg_2", "one more thing")
        .await;
    app.post_ok(
        "/api/chat/push-token",
        &ann,
        json!({ "token": "ann-device-1", "platform": "ios" }),
    )
    .await;
    app.start_session(&bob, Some("chat_bob")).await;
    app.send_ok(&bob, "chat_bob", "msg_3", BOBS_SECRET).await;
    People {
        app,
        root,
        sam,
        support,
        ann,
        bob,
    }
}

/// The chats of an export's `data` by id, in order.
fn chat_ids(data: &Value) -> Vec<&str> {
    data["chats"]
        .as_array()
        .expect("chats")
        .iter()
        .map(|c| c["chat"]["sessionId"].as_str().unwrap())
        .collect()
}

/// Asserts the document's shape at its top and in each chat.
fn checked(data: &Value) -> &Value {
    assert_keys(
        "person export",
        data,
        &[
            "exportedAt",
            "userId",
            "chats",
            "pushDevices",
            "pushNotifications",
            "emails",
        ],
    );
    for chat in data["chats"].as_array().unwrap() {
        assert_keys(
            "chat",
            chat,
            &[
                "chat",
                "messages",
                "internalNotes",
                "isGuest",
                "userPhone",
                "endReason",
                "metadata",
                "attachments",
            ],
        );
    }
    data
}

#[tokio::test]
async fn a_users_own_export_holds_their_chats_and_nobody_elses() {
    let p = people().await;
    let body = p.app.get_ok("/api/chat/me/export", &p.ann).await;
    let data = checked(&body["data"]);
    assert_eq!(data["userId"], "ann");
    assert_eq!(chat_ids(data), ["chat_ann_1", "chat_ann_2"]);
    let first = &data["chats"][0];
    let texts: Vec<&str> = first["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert!(
        texts.ends_with(&["my parcel is late", "sorry, sending another"]),
        "{texts:?}"
    );
    assert_eq!(first["chat"]["rating"]["rating"], 4);
    assert_eq!(data["pushDevices"][0]["token"], "ann-device-1", "{data}");
    // What users never see of a chat stays out of their copy.
    assert_eq!(first["internalNotes"], json!([]), "notes are internal");
    assert_eq!(first["chat"]["assignedAgent"], Value::Null);
    for m in first["messages"].as_array().unwrap() {
        assert_eq!(m["agentId"], Value::Null, "{m}");
        assert_eq!(m["agentName"], Value::Null, "{m}");
    }
    let text = body.to_string();
    assert!(
        !text.contains(BOBS_SECRET) && !text.contains("chat_bob"),
        "{text}"
    );
    assert!(!text.contains("second parcel sent"), "the note: {text}");

    // The token decides, whatever the request names.
    let other = p
        .app
        .get_ok("/api/chat/me/export?userId=bob&user_id=bob", &p.ann)
        .await;
    assert_eq!(chat_ids(&other["data"]), ["chat_ann_1", "chat_ann_2"]);
    let bobs = p.app.get_ok("/api/chat/me/export", &p.bob).await;
    assert_eq!(chat_ids(&bobs["data"]), ["chat_bob"]);
    assert!(!bobs.to_string().contains("my parcel"), "{bobs}");
    // Somebody with no chats has an empty document.
    let new = p
        .app
        .get_ok("/api/chat/me/export", &p.app.user_token("carol"))
        .await;
    assert_eq!(checked(&new["data"])["chats"], json!([]));
    for (token, what) in [
        (None, "no token"),
        (Some("garbage"), "a bad token"),
        (Some(p.root.as_str()), "an agent's token"),
    ] {
        let (status, body) = p
            .app
            .request(Method::GET, "/api/chat/me/export", token, None)
            .await;
        assert_error(status, &body, 401, "AUTHENTICATION_FAILED");
        assert!(!body.to_string().contains("parcel"), "{what}: {body}");
    }
}

#[tokio::test]
async fn only_super_admins_export_a_person_and_each_export_is_audited() {
    let p = people().await;
    let body = p.app.get_ok("/api/admin/users/ann/export", &p.root).await;
    let data = checked(&body["data"]);
    assert_eq!(chat_ids(data), ["chat_ann_1", "chat_ann_2"]);
    let first = &data["chats"][0];
    assert_eq!(first["internalNotes"][0]["body"], "second parcel sent");
    assert_eq!(first["internalNotes"][0]["internal"], true);
    let reply = first["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["sender"] == "admin")
        .expect("the agent's reply");
    assert_eq!(reply["agentName"], "sam");
    assert!(!body.to_string().contains(BOBS_SECRET), "{body}");

    for (token, status, code) in [
        (Some(p.sam.as_str()), 403, "FORBIDDEN"),
        (Some(p.support.as_str()), 403, "FORBIDDEN"),
        (Some(p.ann.as_str()), 401, "AUTHENTICATION_FAILED"),
        (None, 401, "AUTHENTICATION_FAILED"),
    ] {
        let (got, answer) = p
            .app
            .request(Method::GET, "/api/admin/users/ann/export", token, None)
            .await;
        assert_error(got, &answer, status, code);
    }
    let audit = p
        .app
        .get_ok("/api/admin/audit?action=user_export", &p.root)
        .await;
    let events = audit["data"]["events"].as_array().unwrap();
    assert_eq!(events.len(), 1, "refusals are not exports: {audit}");
    assert_eq!(
        events[0]["detail"],
        json!({ "userId": "ann", "requestedBy": "agent", "chats": 2 })
    );
}

#[tokio::test]
async fn an_unknown_user_is_an_empty_document_and_a_bad_id_a_400() {
    let p = people().await;
    for id in [
        "nobody",
        "%00",
        "%3Cscript%3E",
        "guest_01ABC",
        "ann%2Fchats",
    ] {
        if id == "%00" && on_postgres() {
            // PostgreSQL's text cannot hold NUL: the id is refused, not looked up.
            let (status, body) = p
                .app
                .get(&format!("/api/admin/users/{id}/export"), &p.root)
                .await;
            assert_error(status, &body, 400, "VALIDATION_ERROR");
            continue;
        }
        let body = p
            .app
            .get_ok(&format!("/api/admin/users/{id}/export"), &p.root)
            .await;
        let data = checked(&body["data"]);
        for list in ["chats", "pushDevices", "pushNotifications", "emails"] {
            assert_eq!(data[list], json!([]), "{id}: {list}");
        }
    }
    let (status, body) = p
        .app
        .get(
            &format!("/api/admin/users/{}/export", "u".repeat(129)),
            &p.root,
        )
        .await;
    assert_error(status, &body, 400, "VALIDATION_ERROR");
    assert_eq!(body["error"]["details"]["field"], "userId");
    let (status, body) = p.app.get("/api/admin/users/%FF/export", &p.root).await;
    assert_error(status, &body, 400, "VALIDATION_ERROR");
}

#[tokio::test]
async fn the_command_line_prints_the_same_document_as_the_api() {
    let p = people().await;
    let api = p.app.get_ok("/api/admin/users/ann/export", &p.root).await;
    let db = p.app.dir.path().join("frontdesk.db");
    let (ok, out, err) = tokio::task::spawn_blocking(move || {
        run(&db, &["user", "export", "--user-id", "ann"], &[], None)
    })
    .await
    .unwrap();
    assert!(ok, "{err}");
    let mut printed: Value = serde_json::from_str(&out).expect("one JSON document");
    let mut answered = api["data"].clone();
    // Each document says when it was made; everything else is the same.
    for doc in [&mut printed, &mut answered] {
        doc.as_object_mut().unwrap().remove("exportedAt");
    }
    assert_eq!(printed, answered);
    let audit = p
        .app
        .get_ok("/api/admin/audit?action=user_export", &p.root)
        .await;
    assert_eq!(
        audit["data"]["events"][0]["detail"]["requestedBy"], "command_line",
        "{audit}"
    );
    assert_eq!(audit["data"]["events"][0]["agentId"], Value::Null);
    // A bad id is one line and a failing exit.
    let db = p.app.dir.path().join("frontdesk.db");
    let long = "u".repeat(129);
    let (ok, out, err) = tokio::task::spawn_blocking(move || {
        run(&db, &["user", "export", "--user-id", &long], &[], None)
    })
    .await
    .unwrap();
    assert!(!ok && out.is_empty(), "{out}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("userId must be 1 to 128 characters"), "{err}");
}

#[tokio::test]
async fn a_guests_export_is_their_own_chat() {
    let app = TestApp::spawn_with(|s| s.allow_guests = true).await;
    let guest = app.start_guest().await;
    app.send_ok(&guest.token, &guest.session, "msg_g1", "hello from a guest")
        .await;
    // A user of the business's sign-in who happens to have the guest's id is somebody else.
    let namesake = app.user_token(&guest.id);
    app.start_session(&namesake, Some("chat_namesake")).await;
    let own = app.get_ok("/api/chat/me/export", &guest.token).await;
    assert_eq!(chat_ids(&own["data"]), [guest.session.as_str()]);
    assert_eq!(own["data"]["chats"][0]["isGuest"], true);
    let theirs = app.get_ok("/api/chat/me/export", &namesake).await;
    assert_eq!(chat_ids(&theirs["data"]), ["chat_namesake"]);
}
