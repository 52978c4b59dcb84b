//! Dashboard handlers over HTTP: every page and partial as each role and signed out, CSRF,
//! escaping, cookies, idle expiry, the event stream, and forms without JavaScript.

use std::time::Duration;

use reqwest::{StatusCode, header};
use serde_json::json;

use crate::helpers::*;

/// A browser-like client: no automatic redirects, cookies handled by hand.
struct Browser {
    http: reqwest::Client,
    base: String,
    cookies: Vec<(String, String)>,
    csrf: String,
}

#[must_use = "check the status"]
struct Answer {
    status: StatusCode,
    headers: header::HeaderMap,
    body: String,
}

impl Answer {
    /// Asserts a 200 (what an arrange step expects) and returns the page.
    fn ok(self, what: &str) -> String {
        assert_eq!(self.status, StatusCode::OK, "{what}: {}", self.body);
        self.body
    }
}

fn hidden_csrf(html: &str) -> Option<String> {
    let at = html.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
    Some(html[at..].split('"').next()?.to_string())
}

impl Browser {
    fn new(app: &TestApp) -> Self {
        Browser {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: app.base.clone(),
            cookies: Vec::new(),
            csrf: String::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep_cookies(&mut self, headers: &header::HeaderMap) {
        for value in headers.get_all(header::SET_COOKIE) {
            let text = value.to_str().unwrap();
            let pair = text.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            self.cookies.retain(|(k, _)| k != name);
            if !value.is_empty() {
                self.cookies.push((name.to_string(), value.to_string()));
            }
        }
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> Answer {
        let response = request
            .header(header::COOKIE, self.cookie_header())
            .send()
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        self.keep_cookies(&headers);
        let body = response.text().await.unwrap();
        if let Some(token) = hidden_csrf(&body) {
            self.csrf = token;
        }
        Answer {
            status,
            headers,
            body,
        }
    }

    async fn get(&mut self, path: &str) -> Answer {
        let request = self.http.get(format!("{}{path}", self.base));
        self.send(request).await
    }

    async fn htmx_get(&mut self, path: &str) -> Answer {
        let request = self
            .http
            .get(format!("{}{path}", self.base))
            .header("hx-request", "true");
        self.send(request).await
    }

    /// A form post; `csrf` None sends no token at all.
    async fn post(&mut self, path: &str, fields: &[(&str, &str)], csrf: Option<&str>) -> Answer {
        let mut form: Vec<(String, String)> = fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        if let Some(token) = csrf {
            form.push(("csrf".into(), token.into()));
        }
        let request = self.http.post(format!("{}{path}", self.base)).form(&form);
        self.send(request).await
    }

    async fn sign_in(app: &TestApp, email: &str) -> Browser {
        let mut b = Browser::new(app);
        let page = b.get("/admin/login").await;
        assert_eq!(page.status, StatusCode::OK);
        let form_token = b.csrf.clone();
        let answer = b
            .post(
                "/admin/login",
                &[("email", email), ("password", AGENT_PASSWORD)],
                Some(&form_token),
            )
            .await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
        assert_eq!(answer.headers[header::LOCATION], "/admin/queue");
        let queue = b.get("/admin/queue").await;
        assert_eq!(queue.status, StatusCode::OK);
        b
    }
}

const PAGES: &[&str] = &[
    "/admin/queue",
    "/admin/queue/rows",
    "/admin/chats/chat_dash",
    "/admin/chats/chat_dash/transcript",
    "/admin/chats/chat_dash/details",
    "/admin/chats/chat_dash/typing",
    "/admin/analytics",
    "/admin/analytics.csv?table=agents",
    "/admin/canned",
    "/admin/agents",
    "/admin/personas",
    "/admin/audit",
];

#[tokio::test]
async fn every_page_and_partial_for_every_role_and_signed_out() {
    let app = TestApp::spawn().await;
    app.create_agent("root@example.com", "Root", "super_admin")
        .await;
    app.create_agent("chat@example.com", "Chat", "chat_admin")
        .await;
    app.create_agent("support@example.com", "Support", "support_admin")
        .await;
    app.start_session(&app.user_token("u1"), Some("chat_dash"))
        .await;

    let mut anonymous = Browser::new(&app);
    for path in PAGES {
        let answer = anonymous.get(path).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(answer.headers[header::LOCATION], "/admin/login", "{path}");
        let htmx = anonymous.htmx_get(path).await;
        assert_eq!(
            htmx.headers["hx-redirect"], "/admin/login",
            "{path}: htmx follows HX-Redirect"
        );
    }

    for (email, forbidden) in [
        ("root@example.com", vec![]),
        (
            "chat@example.com",
            vec!["/admin/agents", "/admin/personas", "/admin/audit"],
        ),
        (
            "support@example.com",
            vec!["/admin/agents", "/admin/personas", "/admin/audit"],
        ),
    ] {
        let mut b = Browser::sign_in(&app, email).await;
        for path in PAGES {
            let answer = b.get(path).await;
            let expected = if forbidden.contains(path) {
                StatusCode::FORBIDDEN
            } else {
                StatusCode::OK
            };
            assert_eq!(answer.status, expected, "{email} {path}");
            if answer.status == StatusCode::OK && !path.ends_with("agents") && path.contains(".csv")
            {
                assert!(
                    answer.headers[header::CONTENT_TYPE]
                        .to_str()
                        .unwrap()
                        .starts_with("text/csv")
                );
            } else {
                let csp = answer.headers[header::CONTENT_SECURITY_POLICY]
                    .to_str()
                    .unwrap();
                assert!(
                    csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
                    "{path}: {csp}"
                );
                assert_eq!(answer.headers[header::X_FRAME_OPTIONS], "DENY");
            }
        }
        // The reply box only for those who may reply; the actions only for those who may act.
        let chat = b.get("/admin/chats/chat_dash").await.ok(email);
        let replies = email != "support@example.com";
        assert_eq!(chat.contains("id=\"reply-text\""), replies, "{email}");
        assert_eq!(chat.contains("Assign to me"), replies, "{email}");
        assert!(chat.contains("Add a note"), "{email} may add notes");
    }
    let mut b = Browser::sign_in(&app, "root@example.com").await;
    for missing in [
        "/admin/chats/chat_nope",
        "/admin/chats/%3Cb%3E",
        "/admin/nothing",
    ] {
        assert_eq!(
            b.get(missing).await.status,
            StatusCode::NOT_FOUND,
            "{missing}"
        );
    }
}

#[tokio::test]
async fn pages_carry_no_inline_script_or_style() {
    let app = TestApp::spawn().await;
    app.create_agent("root@example.com", "Root", "super_admin")
        .await;
    app.start_session(&app.user_token("u1"), Some("chat_dash"))
        .await;
    // The login page as a signed-out visitor sees it (signed in, it redirects to the queue).
    let login = Browser::new(&app).get("/admin/login").await.ok("login");
    let mut b = Browser::sign_in(&app, "root@example.com").await;
    let mut pages = vec![("/admin/login", login)];
    for path in [
        "/admin/queue",
        "/admin/chats/chat_dash",
        "/admin/analytics",
        "/admin/agents",
        "/admin/personas",
        "/admin/canned",
        "/admin/audit",
    ] {
        pages.push((path, b.get(path).await.ok(path)));
    }
    for (path, html) in pages {
        for script in html.split("<script").skip(1) {
            assert!(
                script.trim_start().starts_with("defer src=\"/static/"),
                "{path}: inline script {script}"
            );
        }
        assert!(
            !html.contains(" style=") && !html.contains("<style"),
            "{path}: inline style"
        );
        assert!(
            !html.contains(" onclick=") && !html.contains("hx-on"),
            "{path}: inline handler"
        );
    }
}

#[tokio::test]
async fn user_text_is_escaped_everywhere_it_is_shown() {
    let app = TestApp::spawn().await;
    app.create_agent("root@example.com", "Root", "super_admin")
        .await;
    let user = app.user_token("u1");
    let hostile = "<img src=x onerror=alert(1)>";
    app.post_ok("/api/chat/session", &user, json!({ "sessionId": "chat_xss", "userInfo": { "name": hostile }, "metadata": { "<script>": hostile } }))
        .await;
    app.send_ok(&user, "chat_xss", "msg_xss", hostile).await;
    let agent = app.login("root@example.com").await;
    app.post_ok(
        "/api/admin/chat/session/chat_xss/notes",
        &agent,
        json!({ "note": hostile }),
    )
    .await;
    app.post_ok(
        "/api/admin/canned-responses",
        &agent,
        json!({ "title": hostile, "shortcut": "/x", "text": hostile }),
    )
    .await;
    app.post_ok("/api/admin/personas", &agent, json!({ "name": hostile }))
        .await;
    let mut b = Browser::sign_in(&app, "root@example.com").await;
    for path in [
        "/admin/queue",
        "/admin/queue/rows",
        "/admin/chats/chat_xss",
        "/admin/chats/chat_xss/transcript",
        "/admin/chats/chat_xss/details",
        "/admin/canned",
        "/admin/personas",
        "/admin/audit",
    ] {
        let html = b.get(path).await.ok(path);
        assert!(!html.contains("<img src=x"), "{path} let markup through");
        assert!(
            !html.contains("<script>"),
            "{path} let a script tag through"
        );
        if path != "/admin/audit" {
            assert!(
                html.contains("&#60;img src=x onerror=alert(1)&#62;")
                    || html.contains("&lt;img src=x"),
                "{path} shows the text"
            );
        }
    }
}

#[tokio::test]
async fn posts_without_this_sessions_csrf_token_are_refused_and_change_nothing() {
    let app = TestApp::spawn().await;
    app.create_agent("ann@example.com", "Ann", "chat_admin")
        .await;
    app.create_agent("bob@example.com", "Bob", "chat_admin")
        .await;
    app.start_session(&app.user_token("u1"), Some("chat_csrf"))
        .await;
    let mut ann = Browser::sign_in(&app, "ann@example.com").await;
    let bob = Browser::sign_in(&app, "bob@example.com").await;
    let bobs_token = bob.csrf.clone();
    let actions: &[(&str, &[(&str, &str)])] = &[
        (
            "/admin/chats/chat_csrf/reply",
            &[("message", "forged"), ("send_as", "agent")],
        ),
        ("/admin/chats/chat_csrf/assign", &[]),
        ("/admin/chats/chat_csrf/end", &[("reason", "forged")]),
        ("/admin/chats/chat_csrf/notes", &[("note", "forged")]),
        ("/admin/chats/chat_csrf/priority", &[("priority", "urgent")]),
        (
            "/admin/canned",
            &[("title", "t"), ("shortcut", "/t"), ("text", "t")],
        ),
        ("/admin/logout", &[]),
    ];
    let before = app.count_rows("SELECT COUNT(*) FROM audit_events");
    for (path, fields) in actions {
        for token in [None, Some(""), Some("made-up"), Some(bobs_token.as_str())] {
            let answer = ann.post(path, fields, token).await;
            assert_eq!(
                answer.status,
                StatusCode::FORBIDDEN,
                "{path} with {token:?}"
            );
        }
    }
    assert_eq!(
        app.count_rows("SELECT COUNT(*) FROM audit_events"),
        before,
        "nothing happened"
    );
    assert_eq!(
        app.count_rows("SELECT COUNT(*) FROM messages WHERE sender = 'admin'"),
        0
    );
    assert_eq!(
        app.count_rows("SELECT COUNT(*) FROM sessions WHERE status = 'active'"),
        1
    );
    // The login form needs its own double-submit token.
    let mut stranger = Browser::new(&app);
    let answer = stranger
        .post(
            "/admin/login",
            &[("email", "ann@example.com"), ("password", AGENT_PASSWORD)],
            Some("guess"),
        )
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    // With the right token (header or field) it works.
    let token = ann.csrf.clone();
    let answer = ann
        .post(
            "/admin/chats/chat_csrf/notes",
            &[("note", "real")],
            Some(&token),
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    let request = ann
        .http
        .post(format!("{}/admin/chats/chat_csrf/priority", ann.base))
        .header("x-csrf-token", token)
        .header("hx-request", "true")
        .form(&[("priority", "high")]);
    let answer = ann.send(request).await;
    assert_eq!(
        answer.status,
        StatusCode::OK,
        "htmx gets the details partial"
    );
    assert!(
        answer.body.starts_with("\n<aside id=\"details\"")
            || answer.body.contains("<aside id=\"details\"")
    );
}

#[tokio::test]
async fn forms_work_without_javascript() {
    let app = TestApp::spawn().await;
    app.create_agent("root@example.com", "Root", "super_admin")
        .await;
    let bob_id = app
        .create_agent("bob@example.com", "Bob", "chat_admin")
        .await;
    let user = app.user_token("u1");
    app.start_session(&user, Some("chat_nojs")).await;
    app.send_ok(&user, "chat_nojs", "msg_nojs", "hello").await;
    let mut b = Browser::sign_in(&app, "root@example.com").await;
    b.get("/admin/chats/chat_nojs").await.ok("the chat page");
    let csrf = b.csrf.clone();
    let go = |answer: Answer| {
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
        assert_eq!(answer.headers[header::LOCATION], "/admin/chats/chat_nojs");
    };
    go(b.post(
        "/admin/chats/chat_nojs/reply",
        &[("message", "Hi from a plain form"), ("send_as", "agent")],
        Some(&csrf),
    )
    .await);
    go(b.post(
        "/admin/chats/chat_nojs/notes",
        &[("note", "VIP")],
        Some(&csrf),
    )
    .await);
    go(b.post(
        "/admin/chats/chat_nojs/priority",
        &[("priority", "urgent")],
        Some(&csrf),
    )
    .await);
    go(b.post(
        "/admin/chats/chat_nojs/transfer",
        &[("to", &bob_id), ("note", "yours")],
        Some(&csrf),
    )
    .await);
    go(b.post("/admin/chats/chat_nojs/release", &[], Some(&csrf))
        .await);
    go(b.post("/admin/chats/chat_nojs/assign", &[], Some(&csrf))
        .await);
    go(b.post(
        "/admin/chats/chat_nojs/end",
        &[("reason", "done")],
        Some(&csrf),
    )
    .await);
    let poll = app.poll(&user, "chat_nojs", Some("msg_nojs")).await;
    assert_eq!(poll["messages"][0]["message"], "Hi from a plain form");
    assert_eq!(poll["endReason"], "done");
    let audit = app
        .get_ok(
            "/api/admin/audit?sessionId=chat_nojs",
            &app.login("root@example.com").await,
        )
        .await;
    let actions: Vec<&str> = audit["data"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "assign_on_reply",
            "reply",
            "note",
            "priority",
            "transfer",
            "release",
            "assign",
            "end"
        ]
    );

    // Bad input re-renders with a message and changes nothing.
    let answer = b
        .post(
            "/admin/agents",
            &[
                ("email", "bad"),
                ("name", "X"),
                ("role", "chat_admin"),
                ("password", "long enough"),
            ],
            Some(&csrf),
        )
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(answer.body.contains("email must look like"));
    assert_eq!(app.count_rows("SELECT COUNT(*) FROM agents"), 2);
    let answer = b
        .post(
            "/admin/agents",
            &[
                ("email", "new@example.com"),
                ("name", "New"),
                ("role", "chat_admin"),
                ("password", "long enough"),
                ("capacity", "3"),
            ],
            Some(&csrf),
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.count_rows("SELECT max_concurrent_chats FROM agents WHERE email = 'new@example.com'"),
        3
    );
    let answer = b
        .post(
            "/admin/chats/chat_nojs/reply",
            &[("message", "   ")],
            Some(&csrf),
        )
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "an empty reply");
    let answer = b
        .post(
            "/admin/chats/chat_nojs/reply",
            &[("message", "too late")],
            Some(&csrf),
        )
        .await;
    assert_eq!(
        answer.status,
        StatusCode::CONFLICT,
        "an ended chat takes no reply"
    );
}

#[tokio::test]
async fn the_session_cookie_is_locked_down_and_expires_when_idle() {
    let app = TestApp::spawn_with(|s| s.dashboard_idle = Duration::from_secs(30 * 60)).await;
    app.create_agent("ann@example.com", "Ann", "chat_admin")
        .await;
    let mut b = Browser::new(&app);
    b.get("/admin/login").await.ok("the login page");
    let token = b.csrf.clone();
    let answer = b
        .post(
            "/admin/login",
            &[("email", "ann@example.com"), ("password", AGENT_PASSWORD)],
            Some(&token),
        )
        .await;
    let cookie = answer
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("fd_session="))
        .unwrap();
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/admin"] {
        assert!(cookie.contains(flag), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain http in tests");
    let raw = cookie
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("fd_session=")
        .to_string();
    assert_eq!(
        app.count_rows(&format!(
            "SELECT COUNT(*) FROM dashboard_sessions WHERE token_hash = '{raw}'"
        )),
        0,
        "only a hash is stored"
    );

    app.clock.advance(Duration::from_secs(20 * 60));
    assert_eq!(
        b.get("/admin/queue").await.status,
        StatusCode::OK,
        "activity keeps it alive"
    );
    app.clock.advance(Duration::from_secs(31 * 60));
    assert_eq!(
        b.get("/admin/queue").await.status,
        StatusCode::SEE_OTHER,
        "idle too long"
    );

    let secure =
        TestApp::spawn_with(|s| s.public_url = Some("https://support.example.com".into())).await;
    secure
        .create_agent("ann@example.com", "Ann", "chat_admin")
        .await;
    let mut b = Browser::new(&secure);
    b.get("/admin/login").await.ok("the login page");
    let token = b.csrf.clone();
    let answer = b
        .post(
            "/admin/login",
            &[("email", "ann@example.com"), ("password", AGENT_PASSWORD)],
            Some(&token),
        )
        .await;
    assert!(
        answer
            .headers
            .get_all(header::SET_COOKIE)
            .iter()
            .all(|c| c.to_str().unwrap().contains("Secure"))
    );
}

#[tokio::test]
async fn sign_in_failures_sign_out_and_disabled_agents() {
    let app = TestApp::spawn().await;
    app.create_agent("root@example.com", "Root", "super_admin")
        .await;
    let ann_id = app
        .create_agent("ann@example.com", "Ann", "chat_admin")
        .await;
    let mut b = Browser::new(&app);
    b.get("/admin/login").await.ok("the login page");
    let token = b.csrf.clone();
    let answer = b
        .post(
            "/admin/login",
            &[("email", "ann@example.com"), ("password", "wrong")],
            Some(&token),
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert!(answer.body.contains("Invalid email or password"));
    assert!(
        answer.body.contains("value=\"ann@example.com\""),
        "the email is kept"
    );

    let mut ann = Browser::sign_in(&app, "ann@example.com").await;
    let mut root = Browser::sign_in(&app, "root@example.com").await;
    let csrf = root.csrf.clone();
    let disabled = root
        .post(&format!("/admin/agents/{ann_id}/disable"), &[], Some(&csrf))
        .await;
    assert_eq!(disabled.status, StatusCode::SEE_OTHER, "{}", disabled.body);
    assert_eq!(
        ann.get("/admin/queue").await.status,
        StatusCode::SEE_OTHER,
        "a disabled agent is out at once"
    );

    let csrf = root.csrf.clone();
    let answer = root.post("/admin/logout", &[], Some(&csrf)).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(root.get("/admin/queue").await.status, StatusCode::SEE_OTHER);
    assert_eq!(app.count_rows("SELECT COUNT(*) FROM dashboard_sessions"), 0);
}

#[tokio::test]
async fn the_setup_link_works_once() {
    let app = TestApp::spawn().await;
    let token = frontdesk::service::setup::pending_token(&app.services)
        .await
        .unwrap()
        .unwrap();
    let mut b = Browser::new(&app);
    assert_eq!(
        b.get("/admin/setup?token=wrong").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        b.get(&format!("/admin/setup?token={token}")).await.status,
        StatusCode::OK
    );
    let form = b.csrf.clone();
    let bad = b
        .post(
            "/admin/setup",
            &[
                ("token", &token),
                ("name", "Dana"),
                ("email", "dana@example.com"),
                ("password", "short"),
            ],
            Some(&form),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let form = b.csrf.clone();
    let answer = b
        .post(
            "/admin/setup",
            &[
                ("token", &token),
                ("name", "Dana"),
                ("email", "dana@example.com"),
                ("password", AGENT_PASSWORD),
            ],
            Some(&form),
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    assert_eq!(
        b.get("/admin/agents").await.status,
        StatusCode::OK,
        "signed in as a super admin"
    );
    let mut again = Browser::new(&app);
    assert_eq!(
        again
            .get(&format!("/admin/setup?token={token}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.count_rows("SELECT COUNT(*) FROM agents"), 1);
}

#[tokio::test]
async fn the_queue_stream_announces_changes() {
    let app = TestApp::spawn().await;
    app.create_agent("ann@example.com", "Ann", "chat_admin")
        .await;
    let b = Browser::sign_in(&app, "ann@example.com").await;
    let response = b
        .http
        .get(format!("{}/admin/events", b.base))
        .header(header::COOKIE, b.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let mut response = response;
    app.start_session(&app.user_token("u1"), Some("chat_stream"))
        .await;
    let got = within("a queue event", async {
        let mut seen = String::new();
        while let Some(chunk) = response.chunk().await.unwrap() {
            seen.push_str(&String::from_utf8_lossy(&chunk));
            if seen.contains("event: queue") {
                return seen;
            }
        }
        seen
    })
    .await;
    assert!(got.contains("event: queue"), "{got}");
}
