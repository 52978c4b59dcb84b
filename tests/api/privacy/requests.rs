//! The erasure routes: who may erase, what goes and what stays, open chats, bad input.

use reqwest::Method;

use super::*;
use crate::attachments::{fetch, id_of, send_files, upload_ok};

#[tokio::test]
async fn a_super_admin_erases_one_person_and_nobody_else() {
    let app = TestApp::spawn_with(|s| s.welcome_message = None).await;
    let (_, root) = app.agent("root@example.com", "super_admin").await;
    let (ada_id, ada) = app.agent("ada@example.com", "chat_admin").await;
    let ann = token_for(&app, "ann", "Annabel Quist", "annabel.quist@example.com");
    let bob = token_for(&app, "bob", "Bob Brown", "bob.brown@example.com");
    const SHARED: &[u8] = b"order 1234: one kettle, one toaster\n";

    // Ann: a finished chat with a reply, a note, a rating and two files (one only she sent,
    // one with the same bytes as a file of Bob's), and an open chat Ada is working.
    app.start_session(&ann, Some("chat_ann_done")).await;
    app.send_ok(&ann, "chat_ann_done", "msg_ann_1", "my kettle gurgles")
        .await;
    app.agent_reply(&ada, "chat_ann_done", "gurgling means descaling")
        .await;
    app.post_ok(
        "/api/admin/chat/session/chat_ann_done/notes",
        &ada,
        json!({ "note": "limescale customer" }),
    )
    .await;
    let own = upload_ok(
        &app,
        &ann,
        "chat_ann_done",
        "kettle.txt",
        b"kettle manual, page 3\n",
    )
    .await;
    let ann_shared = upload_ok(&app, &ann, "chat_ann_done", "receipt.txt", SHARED).await;
    expect_ok(
        "ann sends her files",
        send_files(
            &app,
            &ann,
            "chat_ann_done",
            "msg_ann_files",
            None,
            &[id_of(&own), id_of(&ann_shared)],
        )
        .await,
    );
    end_as_user(
        &app,
        &ann,
        "chat_ann_done",
        json!({ "rating": 4, "feedback": "descaled and happy" }),
    )
    .await;
    app.start_session(&ann, Some("chat_ann_open")).await;
    app.send_ok(
        &ann,
        "chat_ann_open",
        "msg_ann_2",
        "the kettle gurgles again",
    )
    .await;
    app.agent_reply(&ada, "chat_ann_open", "on it").await;
    app.post_ok(
        "/api/chat/push-token",
        &ann,
        json!({ "token": "ann-phone", "platform": "android" }),
    )
    .await;

    // Bob: a chat Ada answered, with a file of the same bytes as Ann's receipt.
    app.start_session(&bob, Some("chat_bob")).await;
    app.send_ok(&bob, "chat_bob", "msg_bob_1", "my toaster sparks")
        .await;
    app.agent_reply(&ada, "chat_bob", "unplug the toaster")
        .await;
    let bob_file = upload_ok(&app, &bob, "chat_bob", "receipt.txt", SHARED).await;
    expect_ok(
        "bob sends his file",
        send_files(
            &app,
            &bob,
            "chat_bob",
            "msg_bob_file",
            Some("my receipt"),
            &[id_of(&bob_file)],
        )
        .await,
    );
    app.post_ok(
        "/api/admin/chat/session/chat_bob/notes",
        &ada,
        json!({ "note": "toaster customer" }),
    )
    .await;

    let ann_messages = transcript(&app, &root, "chat_ann_done").await.len()
        + transcript(&app, &root, "chat_ann_open").await.len();
    let bob_before = chat_as_agent(&app, &root, "chat_bob").await.1["data"].clone();
    let load_before = load_of(&app, &root, &ada_id).await;
    assert_eq!(load_before, 2, "Ann's open chat and Bob's");
    for (q, whose) in [
        ("gurgles", "chat_ann"),
        ("descaling", "chat_ann"),
        ("limescale", "chat_ann"),
        ("Annabel", "chat_ann"),
        ("Quist", "chat_ann"),
        ("\"annabel.quist@example.com\"", "chat_ann"),
        ("toaster", "chat_bob"),
    ] {
        let hits = search_hits(&app, &root, q).await;
        assert!(
            !hits.is_empty() && hits.iter().all(|h| h.starts_with(whose)),
            "before: {q} finds {whose}: {hits:?}"
        );
    }
    let (status, _, _) = fetch(&app, own["url"].as_str().unwrap(), None).await;
    assert_eq!(status, StatusCode::OK, "Ann's file is served before");

    let data = erase_ok(&app, &root, &person("ann", "")).await;
    assert_eq!(data["userId"], "ann");
    assert_eq!(data["isGuest"], false);
    assert_eq!(
        counts(&data),
        [2, ann_messages as u64, 1, 1],
        "two chats, their messages, the file only Ann sent, her phone: {data}"
    );

    for id in ["chat_ann_done", "chat_ann_open"] {
        assert_gone(&app, &root, &ann, id).await;
    }
    assert_eq!(
        history_total(&app, &ann).await,
        (0, 0),
        "Ann has no history"
    );
    for q in [
        "gurgles",
        "descaling",
        "limescale",
        "Annabel",
        "Quist",
        "\"annabel.quist@example.com\"",
        "kettle",
        "happy",
    ] {
        assert_eq!(
            search_hits(&app, &root, q).await,
            Vec::<String>::new(),
            "nothing of Ann is found by {q}"
        );
    }
    for (what, link) in [
        ("her own file", &own),
        ("her copy of the receipt", &ann_shared),
    ] {
        let (status, _, _) = fetch(&app, link["url"].as_str().unwrap(), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{what}'s link is dead");
        let (status, _, _) = fetch(&app, link["url"].as_str().unwrap(), Some(&root)).await;
        assert_eq!(
            status,
            StatusCode::NOT_FOUND,
            "{what} is gone for agents too"
        );
    }

    // Bob's chat is as it was, his file (the same bytes as Ann's copy) still served.
    let bob_after = chat_as_agent(&app, &root, "chat_bob").await.1["data"].clone();
    for key in [
        "messages",
        "notes",
        "rating",
        "labels",
        "sessionId",
        "status",
    ] {
        let strip = |v: &Value| {
            let mut v = v.clone();
            for m in v.as_array_mut().into_iter().flatten() {
                for a in m["attachments"].as_array_mut().into_iter().flatten() {
                    // Links are signed afresh with every answer.
                    a["url"] = Value::Null;
                    a["thumbnailUrl"] = Value::Null;
                }
            }
            v
        };
        assert_eq!(
            strip(&bob_after[key]),
            strip(&bob_before[key]),
            "Bob's {key} is untouched"
        );
    }
    let (status, _, bytes) = fetch(&app, bob_file["url"].as_str().unwrap(), None).await;
    assert_eq!(status, StatusCode::OK, "Bob's file is still served");
    assert_eq!(bytes, SHARED);
    let hits = search_hits(&app, &root, "toaster").await;
    assert!(
        !hits.is_empty() && hits.iter().all(|h| h == "chat_bob"),
        "Bob's words are still found: {hits:?}"
    );
    assert_eq!(history_total(&app, &bob).await, (1, 1));
    assert_eq!(
        load_of(&app, &root, &ada_id).await,
        load_before - 1,
        "Ann's open chat no longer counts on Ada"
    );

    // The audit log keeps that an erasure happened and its counts, not who or what.
    let events = audit_of(&app, &root, "user_erase").await;
    assert_eq!(events.len(), 1, "{events:?}");
    let event = &events[0];
    assert!(event["sessionId"].is_null(), "{event}");
    assert_eq!(
        event["detail"],
        json!({ "by": "agent", "chats": 2, "messages": ann_messages, "files": 1, "devices": 1 })
    );
    for event in audit_all(&app, &root).await {
        let text = event.to_string();
        for word in [
            "Annabel",
            "Quist",
            "annabel",
            "kettle",
            "gurgl",
            "limescale",
        ] {
            assert!(
                !text.contains(word),
                "the audit log keeps no {word}: {text}"
            );
        }
        if event["sessionId"]
            .as_str()
            .is_some_and(|s| s.starts_with("chat_ann"))
        {
            assert!(
                event["detail"].is_null(),
                "details of events about Ann's chats are cleared: {event}"
            );
        }
    }
}

#[tokio::test]
async fn only_super_admins_may_erase_a_person() {
    let app = TestApp::spawn().await;
    let (_, root) = app.agent("root@example.com", "super_admin").await;
    let (_, chat_admin) = app.agent("chat@example.com", "chat_admin").await;
    let (_, support) = app.agent("support@example.com", "support_admin").await;
    let carol = app.user_token("carol");
    app.start_session(&carol, Some("chat_carol")).await;
    app.send_ok(&carol, "chat_carol", "msg_carol", "hello there")
        .await;
    let before = transcript(&app, &root, "chat_carol").await;
    let audit_before = audit_all(&app, &root).await.len();

    for (role, token) in [("chat_admin", &chat_admin), ("support_admin", &support)] {
        for query in ["", "?guest=false", "?guest=true"] {
            let (status, body) = app.delete(&person("carol", query), token).await;
            assert_error(status, &body, 403, "FORBIDDEN");
            assert!(
                !body.to_string().contains("hello there"),
                "{role}: the refusal says nothing about the chat"
            );
        }
    }
    for (what, token) in [
        ("a user token", Some(carol.as_str())),
        ("no token", None),
        ("a malformed token", Some("not-a-token")),
    ] {
        let (status, body) = app
            .request(Method::DELETE, &person("carol", ""), token, None)
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}: {body}");
        assert_error(status, &body, 401, "AUTHENTICATION_FAILED");
    }
    for (what, token) in [
        ("an agent token", Some(root.as_str())),
        ("no token", None),
        ("a malformed token", Some("not-a-token")),
    ] {
        let (status, body) = app.request(Method::DELETE, ME, token, None).await;
        assert_error(status, &body, 401, "AUTHENTICATION_FAILED");
        assert!(body.get("data").is_none(), "{what}: {body}");
    }

    assert_eq!(
        transcript(&app, &root, "chat_carol").await,
        before,
        "Carol's chat is untouched"
    );
    assert_eq!(history_total(&app, &carol).await, (1, 1));
    assert_eq!(
        audit_all(&app, &root).await.len(),
        audit_before,
        "a refused erasure leaves no trace"
    );
}

#[tokio::test]
async fn a_person_erases_themselves_and_nobody_else() {
    let app = TestApp::spawn_with(|s| s.allow_guests = true).await;
    let (_, root) = app.agent("root@example.com", "super_admin").await;
    let dave = app.user_token("dave");
    app.start_session(&dave, Some("chat_dave")).await;
    app.send_ok(&dave, "chat_dave", "msg_dave", "dave stays")
        .await;
    let dave_before = transcript(&app, &root, "chat_dave").await;

    // A guest, and a signed-in user whose id is the same string as the guest's.
    let guest = app.start_guest().await;
    app.send_ok(&guest.token, &guest.session, "msg_guest", "guest words")
        .await;
    let twin = app.user_token(&guest.id);
    app.start_session(&twin, Some("chat_twin")).await;
    app.send_ok(&twin, "chat_twin", "msg_twin", "twin words")
        .await;
    let twin_before = transcript(&app, &root, "chat_twin").await;

    let data = erase_ok(&app, &guest.token, ME).await;
    assert_eq!(data["userId"], guest.id.as_str());
    assert_eq!(data["isGuest"], true);
    assert_eq!(counts(&data)[0], 1, "only the guest's chat: {data}");
    assert_gone(&app, &root, &guest.token, &guest.session).await;
    assert_eq!(
        transcript(&app, &root, "chat_twin").await,
        twin_before,
        "the user with the same id string keeps their chat"
    );
    assert_eq!(history_total(&app, &twin).await, (1, 1));

    let data = erase_ok(&app, &twin, ME).await;
    assert_eq!(data["userId"], guest.id.as_str());
    assert_eq!(data["isGuest"], false);
    assert_eq!(counts(&data)[0], 1, "{data}");
    assert_gone(&app, &root, &twin, "chat_twin").await;
    assert_eq!(history_total(&app, &twin).await, (0, 0));

    // Again, through the admin route: `guest=true` names the guests' namespace only.
    let guest = app.start_guest().await;
    let twin = app.user_token(&guest.id);
    app.start_session(&twin, Some("chat_twin_2")).await;
    let data = erase_ok(&app, &root, &person(&guest.id, "?guest=true")).await;
    assert_eq!(
        (data["isGuest"].clone(), counts(&data)[0]),
        (json!(true), 1)
    );
    assert_gone(&app, &root, &guest.token, &guest.session).await;
    assert_eq!(history_total(&app, &twin).await, (1, 1), "the twin stays");
    let data = erase_ok(&app, &root, &person(&guest.id, "?guest=false")).await;
    assert_eq!(
        (data["isGuest"].clone(), counts(&data)[0]),
        (json!(false), 1)
    );
    assert_gone(&app, &root, &twin, "chat_twin_2").await;

    assert_eq!(transcript(&app, &root, "chat_dave").await, dave_before);
    assert_eq!(history_total(&app, &dave).await, (1, 1));
    let by: Vec<Value> = audit_of(&app, &root, "user_erase")
        .await
        .iter()
        .map(|e| e["detail"]["by"].clone())
        .collect();
    assert_eq!(by, ["agent", "agent", "user", "user"], "newest first");
}

/// Reads a client event stream until an `ended` event, then until the server closes it.
async fn stream_ends(response: reqwest::Response) -> String {
    let mut response = response;
    let mut seen = String::new();
    while let Some(chunk) = response.chunk().await.expect("the stream reads") {
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    seen
}

#[tokio::test]
async fn erasing_an_open_chat_ends_held_polls_and_streams_and_frees_its_agent() {
    let app = TestApp::spawn().await;
    let (_, root) = app.agent("root@example.com", "super_admin").await;
    let (ada_id, ada) = app.agent("ada@example.com", "chat_admin").await;
    let erin = app.user_token("erin");
    app.start_session(&erin, Some("chat_erin")).await;
    app.send_ok(&erin, "chat_erin", "msg_erin", "are you there?")
        .await;
    app.agent_reply(&ada, "chat_erin", "yes, here").await;
    assert_eq!(load_of(&app, &root, &ada_id).await, 1);
    let first = app.poll(&erin, "chat_erin", None).await;
    let last = first["messages"]
        .as_array()
        .and_then(|m| m.last())
        .and_then(|m| m["messageId"].as_str())
        .expect("a newest message")
        .to_string();

    let held = {
        let (client, url, erin) = (
            app.client.clone(),
            app.url(&format!("/api/chat/poll/chat_erin?after={last}&wait=30")),
            erin.clone(),
        );
        tokio::spawn(async move {
            decode(client.get(url).bearer_auth(erin).send().await.unwrap()).await
        })
    };
    let stream = app
        .client
        .get(app.url("/api/chat/stream/chat_erin"))
        .bearer_auth(&erin)
        .send()
        .await
        .expect("the stream opens");
    assert_eq!(stream.status(), StatusCode::OK);
    let stream = tokio::spawn(stream_ends(stream));
    app.wait_until_held("erin", 2).await;

    let data = erase_ok(&app, &erin, ME).await;
    assert_eq!(counts(&data)[0], 1, "{data}");

    let (status, body) = within("the held poll answers", held).await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["sessionEnded"], true, "{body}");
    assert_eq!(body["data"]["messages"], json!([]), "{body}");
    let seen = within("the stream ends", stream).await.unwrap();
    assert!(seen.contains("event: ended"), "{seen}");
    app.wait_until_held("erin", 0).await;

    assert_eq!(
        load_of(&app, &root, &ada_id).await,
        0,
        "the erased chat no longer counts on Ada"
    );
    let queue = app.get_ok("/api/admin/chat/active-sessions", &root).await;
    assert!(
        !queue.to_string().contains("chat_erin"),
        "the queue has no trace of it: {queue}"
    );
    assert_gone(&app, &root, &erin, "chat_erin").await;
}

#[tokio::test]
async fn an_erased_chats_id_starts_a_new_chat() {
    let app = TestApp::spawn().await;
    let (_, root) = app.agent("root@example.com", "super_admin").await;
    let gail = app.user_token("gail");
    app.start_session(&gail, Some("chat_gail")).await;
    app.send_ok(&gail, "chat_gail", "msg_gail_1", "first life")
        .await;
    app.poll(&gail, "chat_gail", None).await;

    erase_ok(&app, &root, &person("gail", "")).await;
    assert_gone(&app, &root, &gail, "chat_gail").await;

    // The app still remembers the id: starting with it makes a new, open chat.
    let started = app.start_session(&gail, Some("chat_gail")).await;
    assert_eq!(started["status"], "active", "{started}");
    app.send_ok(&gail, "chat_gail", "msg_gail_2", "second life")
        .await;
    let poll = app.poll(&gail, "chat_gail", None).await;
    assert_eq!(poll["sessionEnded"], false, "{poll}");
    let texts: Vec<&str> = poll["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["sender"] == "user")
        .map(|m| m["message"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["second life"]);
}

#[tokio::test]
async fn bad_erasure_requests_are_refused_and_unknown_people_erase_nothing() {
    let app = TestApp::spawn().await;
    let (_, root) = app.agent("root@example.com", "super_admin").await;
    let frank = app.user_token("frank");
    app.start_session(&frank, Some("chat_frank")).await;
    app.send_ok(&frank, "chat_frank", "msg_frank", "keep me")
        .await;
    let before = transcript(&app, &root, "chat_frank").await;
    let erasures = || async { audit_of(&app, &root, "user_erase").await.len() };

    for (what, path) in [
        ("129 characters", person(&"a".repeat(129), "")),
        ("129 characters beyond ASCII", person(&"é".repeat(129), "")),
        ("guest=maybe", person("frank", "?guest=maybe")),
        ("guest=1", person("frank", "?guest=1")),
        ("guest=TRUE", person("frank", "?guest=TRUE")),
        ("guest=yes", person("frank", "?guest=yes")),
    ] {
        let (status, body) = app.delete(&path, &root).await;
        assert_error(status, &body, 400, "VALIDATION_ERROR");
        assert!(
            body["error"]["details"]["field"] == "userId"
                || body["error"]["details"]["field"] == "guest",
            "{what}: the field is named: {body}"
        );
    }
    for path in ["/api/admin/users/", "/api/admin/users"] {
        let (status, body) = app.delete(path, &root).await;
        assert!(
            status == StatusCode::NOT_FOUND || status == StatusCode::METHOD_NOT_ALLOWED,
            "{path}: {status} {body}"
        );
        assert_eq!(body["success"], false, "{path}: {body}");
    }
    assert_eq!(erasures().await, 0, "nothing refused was recorded");
    assert_eq!(transcript(&app, &root, "chat_frank").await, before);

    // Well-formed ids of nobody: zeros, echoed exactly, and frank is not among them.
    for id in [
        "nobody",
        &"a".repeat(128),
        &"é".repeat(128),
        "<script>alert(1)</script>",
        "../frank",
        "frank/..",
        "frank\u{0}",
        "%00",
        " frank",
        "FRANK",
        "frank?guest=false",
    ] {
        if on_postgres() && id.contains('\u{0}') {
            // PostgreSQL's text cannot hold NUL: the id is refused and nothing is erased.
            let (status, body) = app.delete(&person(id, ""), &root).await;
            assert_error(status, &body, 400, "VALIDATION_ERROR");
            continue;
        }
        let data = erase_ok(&app, &root, &person(id, "")).await;
        assert_eq!(data["userId"], id, "{id:?}: {data}");
        assert_eq!(counts(&data), [0, 0, 0, 0], "{id:?}: {data}");
    }
    let data = erase_ok(&app, &root, &person("frank", "?guest=true")).await;
    assert_eq!(counts(&data), [0, 0, 0, 0], "frank is no guest: {data}");
    let data = erase_ok(&app, &root, &person("frank", "?guest=")).await;
    assert_eq!(data["isGuest"], false, "a blank guest is no filter");
    assert_eq!(counts(&data)[0], 1, "{data}");
    assert_gone(&app, &root, &frank, "chat_frank").await;
    let again = erase_ok(&app, &root, &person("frank", "")).await;
    assert_eq!(counts(&again), [0, 0, 0, 0], "a repeat erases nothing");
    let again = erase_ok(&app, &frank, ME).await;
    assert_eq!(
        counts(&again),
        [0, 0, 0, 0],
        "nor does the person's own repeat"
    );
    // PostgreSQL refuses the id holding NUL outright (above): nothing to audit.
    let refused_on_postgres = if on_postgres() { 1 } else { 0 };
    assert_eq!(
        erasures().await,
        14 - refused_on_postgres,
        "every agent's erasure is audited, empty ones too; the person's own empty repeat is not"
    );
}
