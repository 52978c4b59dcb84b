//! The one browser-like client the dashboard tests drive: no automatic redirects, cookies kept
//! by hand, and the CSRF token picked up from each page's hidden form field.

use reqwest::{StatusCode, header};

use crate::helpers::{AGENT_PASSWORD, TestApp};

/// A browser session against one server: its cookies and the latest CSRF token it was shown.
pub struct Browser {
    http: reqwest::Client,
    base: String,
    cookies: Vec<(String, String)>,
    csrf: String,
}

/// What the server answered: status, headers and the whole body as text.
#[must_use = "check the status"]
pub struct Answer {
    pub status: StatusCode,
    pub headers: header::HeaderMap,
    pub body: String,
}

impl Answer {
    /// Asserts a 200 (what an arrange step expects) and returns the page.
    pub fn ok(self, what: &str) -> String {
        assert_eq!(self.status, StatusCode::OK, "{what}: {}", self.body);
        self.body
    }
}

/// The token of the first hidden `csrf` field in `html`, if it has one.
fn hidden_csrf(html: &str) -> Option<String> {
    let marker = "name=\"csrf\" value=\"";
    let at = html.find(marker)? + marker.len();
    Some(html[at..].split('"').next()?.to_string())
}

impl Browser {
    /// A signed-out browser with no cookies yet.
    pub fn new(app: &TestApp) -> Self {
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

    /// Signs in through the login form and checks each step lands on the queue.
    pub async fn sign_in(app: &TestApp, email: &str) -> Browser {
        let mut b = Browser::new(app);
        let page = b.get("/admin/login").await;
        assert_eq!(page.status, StatusCode::OK);
        let form_token = b.csrf();
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

    /// The CSRF token of the last page that carried one.
    pub fn csrf(&self) -> String {
        self.csrf.clone()
    }

    /// A request to `path` on this server; send it with [`Browser::send`] to carry the cookies.
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, format!("{}{path}", self.base))
    }

    /// Sends `request` with this browser's cookies and returns the response unread, for
    /// streams that never end.
    pub async fn open(&self, request: reqwest::RequestBuilder) -> reqwest::Response {
        request
            .header(header::COOKIE, self.cookie_header())
            .send()
            .await
            .expect("the server answers")
    }

    /// Sends `request` with this browser's cookies, keeps the cookies and CSRF token it is
    /// given, and reads the whole body.
    pub async fn send(&mut self, request: reqwest::RequestBuilder) -> Answer {
        let response = self.open(request).await;
        let status = response.status();
        let headers = response.headers().clone();
        self.keep_cookies(&headers);
        let body = response.text().await.expect("a body");
        if let Some(token) = hidden_csrf(&body) {
            self.csrf = token;
        }
        Answer {
            status,
            headers,
            body,
        }
    }

    /// A plain page load.
    pub async fn get(&mut self, path: &str) -> Answer {
        let request = self.request(reqwest::Method::GET, path);
        self.send(request).await
    }

    /// A page load an arrange step needs: asserts a 200 and returns the page.
    pub async fn get_ok(&mut self, path: &str) -> String {
        self.get(path).await.ok(&format!("GET {path}"))
    }

    /// A load as htmx makes it, so the server answers with a partial or `HX-Redirect`.
    pub async fn htmx_get(&mut self, path: &str) -> Answer {
        let request = self
            .request(reqwest::Method::GET, path)
            .header("hx-request", "true");
        self.send(request).await
    }

    /// A form post; `csrf` None sends no token at all.
    pub async fn post(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        csrf: Option<&str>,
    ) -> Answer {
        let mut form: Vec<(String, String)> = fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        if let Some(token) = csrf {
            form.push(("csrf".into(), token.into()));
        }
        let request = self.request(reqwest::Method::POST, path).form(&form);
        self.send(request).await
    }

    /// Posts `body` as a url-encoded form with this session's CSRF token in the header (as
    /// htmx sends it), optionally marked as an htmx request.
    pub async fn post_raw(&mut self, path: &str, body: &str, htmx: bool) -> Answer {
        let mut request = self
            .request(reqwest::Method::POST, path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header("x-csrf-token", self.csrf())
            .body(body.to_string());
        if htmx {
            request = request.header("hx-request", "true");
        }
        self.send(request).await
    }

    /// Sets a cookie as if the browser already held it.
    pub fn set_cookie(&mut self, name: &str, value: &str) {
        self.cookies.retain(|(k, _)| k != name);
        self.cookies.push((name.to_string(), value.to_string()));
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Keeps each `Set-Cookie`; an empty value is the server clearing that cookie.
    fn keep_cookies(&mut self, headers: &header::HeaderMap) {
        for value in headers.get_all(header::SET_COOKIE) {
            let pair = value.to_str().unwrap().split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            self.cookies.retain(|(k, _)| k != name);
            if !value.is_empty() {
                self.cookies.push((name.to_string(), value.to_string()));
            }
        }
    }
}
