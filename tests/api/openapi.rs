//! The OpenAPI document at /api/openapi.json and its readable form at /api/docs: every route
//! the server serves under /api/ is in the document, every documented operation is served,
//! and the page lists every operation, escaped.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

async fn document(app: &TestApp) -> Value {
    let response = app
        .client
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "application/json"
    );
    response.json().await.expect("the document is JSON")
}

/// Every (method, path, operation) of the document.
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut list = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().unwrap() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                list.push((method.to_uppercase(), path.clone(), operation.clone()));
            }
        }
    }
    list
}

/// The security scheme names an operation accepts; `""` stands for "no token".
fn schemes(operation: &Value) -> Vec<String> {
    operation["security"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|r| {
                    r.as_object()
                        .unwrap()
                        .keys()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join("+")
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn the_document_is_openapi_3_1_with_envelopes_and_security() {
    let app = TestApp::spawn().await;
    let doc = document(&app).await;
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    let security = &doc["components"]["securitySchemes"];
    assert_eq!(security["bearerAuth"]["scheme"], "bearer", "{security}");
    assert_eq!(security["agentToken"]["scheme"], "bearer", "{security}");
    let error = &doc["components"]["schemas"]["ErrorEnvelope"];
    for key in ["success", "message", "error", "timestamp"] {
        assert!(error["properties"].get(key).is_some(), "{key} in {error}");
    }

    let public = [
        "/api/chat/availability",
        "/api/admin/login",
        "/api/openapi.json",
        "/api/docs",
        "/healthz",
        "/readyz",
    ];
    let mut ids = Vec::new();
    for (method, path, op) in operations(&doc) {
        let what = format!("{method} {path}");
        ids.push(
            op["operationId"]
                .as_str()
                .expect("an operation id")
                .to_string(),
        );
        assert!(
            !op["summary"].as_str().unwrap_or("").is_empty(),
            "{what} has a summary"
        );
        assert!(op["tags"][0].is_string(), "{what} has a tag");
        let responses = &op["responses"];
        let ok = &responses["200"]["content"];
        assert!(ok.is_object(), "{what} documents its success: {responses}");
        if let Some(json) = ok.get("application/json") {
            let schema = json["schema"]["$ref"].as_str().unwrap_or("");
            if !["/api/openapi.json", "/healthz", "/readyz"].contains(&path.as_str()) {
                assert!(
                    schema.starts_with("#/components/schemas/Envelope"),
                    "{what}: the success is wrapped in the envelope: {json}"
                );
            }
        }
        for status in ["500", "default"] {
            assert_eq!(
                responses[status]["content"]["application/json"]["schema"]["$ref"],
                "#/components/schemas/ErrorEnvelope",
                "{what}: {status} is the error envelope"
            );
        }
        let accepted = schemes(&op);
        if public.contains(&path.as_str()) {
            assert!(
                accepted.is_empty() || accepted == [""],
                "{what}: {accepted:?}"
            );
        } else if path.starts_with("/api/admin/") {
            assert_eq!(accepted, ["agentToken"], "{what}");
        } else {
            assert!(
                accepted.contains(&"bearerAuth".to_string()),
                "{what}: {accepted:?}"
            );
            assert!(
                responses["401"]["content"]["application/json"].is_object(),
                "{what} documents 401"
            );
        }
    }
    let count = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), count, "operation ids are unique");
}

#[tokio::test]
async fn every_route_the_server_serves_is_in_the_document() {
    let app = TestApp::spawn().await;
    let doc = document(&app).await;
    let documented: Vec<(String, String)> = operations(&doc)
        .into_iter()
        .map(|(method, path, _)| (method, path))
        .collect();
    // The routes as registered with the router, not a copy of them.
    let served = frontdesk::http::documented_routes(&app.services);
    let served: Vec<(String, String)> = served
        .served()
        .iter()
        .map(|r| (r.method.to_string(), r.path.clone()))
        .collect();
    assert!(served.len() > 50, "the whole API is registered: {served:?}");
    for route in &served {
        assert!(
            documented.contains(route),
            "{route:?} is served but not documented"
        );
    }
    for route in &documented {
        assert!(
            served.contains(route),
            "{route:?} is documented but not served"
        );
    }
}

/// A documented path with every `{parameter}` filled in.
fn concrete(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            if segment.starts_with('{') {
                "1"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test]
async fn every_documented_operation_reaches_its_handler() {
    let app = TestApp::spawn().await;
    let doc = document(&app).await;
    for (method, path, _) in operations(&doc) {
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let body = (method != Method::GET && method != Method::DELETE).then(|| json!({}));
        let url = concrete(&path);
        let response = {
            let mut request = app.client.request(method.clone(), app.url(&url));
            if let Some(body) = body {
                request = request.json(&body);
            }
            request.send().await.unwrap()
        };
        let status = response.status();
        let text = response.text().await.unwrap();
        let what = format!("{method} {url}");
        assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{what}: {text}");
        assert!(
            !text.contains("No such endpoint"),
            "{what} is routed to a handler: {status} {text}"
        );
    }
    // And a path nobody documented is not served.
    let (status, body) = app
        .request(Method::GET, "/api/chat/undocumented", None, None)
        .await;
    assert_error(status, &body, 404, "NOT_FOUND");
}

#[tokio::test]
async fn the_reference_page_lists_every_operation_escaped_and_self_contained() {
    let app = TestApp::spawn().await;
    let doc = document(&app).await;
    let response = app.client.get(app.url("/api/docs")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"),
        "{headers:?}"
    );
    let policy = headers["content-security-policy"].to_str().unwrap();
    assert!(policy.contains("default-src 'none'"), "{policy}");
    let page = response.text().await.unwrap();
    for (method, path, op) in operations(&doc) {
        let id = op["operationId"].as_str().unwrap();
        assert!(
            page.contains(&format!("id=\"op-{id}\"")),
            "{method} {path} has an entry"
        );
        assert!(
            page.contains(&format!("<code>{path}</code>")),
            "{path} is listed"
        );
        // Each part of the summary, escaped (`code` spans become <code> elements).
        let summary = op["summary"].as_str().unwrap();
        for part in summary.split('`').filter(|p| !p.is_empty()) {
            let escaped = part
                .replace('&', "&#38;")
                .replace('<', "&#60;")
                .replace('>', "&#62;")
                .replace('"', "&#34;")
                .replace('\'', "&#39;");
            assert!(
                page.contains(&escaped),
                "the summary of {method} {path}: {summary}"
            );
        }
    }
    // Enum values are shown quoted, and the quotes are escaped like every other string.
    assert!(
        page.contains("&#34;ended_by_user&#34;"),
        "status values are listed"
    );
    assert!(!page.contains("\"ended_by_user\""));
    // Nothing from elsewhere, and no script at all.
    assert!(!page.contains("<script"), "no script");
    assert!(!page.contains("src="), "nothing embedded");
    assert!(
        !page.contains("href=\"http") && !page.contains("href=\"//"),
        "no CDN"
    );
    let css = app
        .client
        .get(app.url("/static/api-docs.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        css.status(),
        StatusCode::OK,
        "the page's stylesheet is served"
    );
}
