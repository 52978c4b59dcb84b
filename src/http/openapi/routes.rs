//! `ApiRouter`: the only way a route under `/api/` (or a health check) is added. Each route comes from a handler's
//! `#[utoipa::path]` annotation (through `utoipa_axum::routes!`), which gives axum its path and
//! methods and the document its operation, so a served route cannot be missing from the
//! document and the document cannot describe a path the router does not serve.

use axum::Router;
use utoipa::openapi::OpenApi;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};

use crate::http::extract::AppState;

/// The documented routes of the client and admin APIs.
pub struct ApiRouter {
    router: OpenApiRouter<AppState>,
    served: Vec<ServedRoute>,
}

/// A method and path the router answers, in the document's path syntax (`/api/x/{id}`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServedRoute {
    pub method: &'static str,
    pub path: String,
}

impl Default for ApiRouter {
    fn default() -> Self {
        ApiRouter::new()
    }
}

impl ApiRouter {
    pub fn new() -> Self {
        ApiRouter {
            router: OpenApiRouter::default(),
            served: Vec::new(),
        }
    }

    /// Adds the handlers of one path, as `utoipa_axum::routes!(a, b)` collects them.
    pub fn routes(mut self, routes: UtoipaMethodRouter<AppState>) -> Self {
        for (path, item) in routes.1.paths.iter() {
            assert!(
                item.options.is_none()
                    && item.head.is_none()
                    && item.trace.is_none()
                    && item.query.is_none(),
                "{path}: only GET, POST, PUT, PATCH and DELETE are documented"
            );
            for (method, _) in operations(item) {
                self.served.push(ServedRoute {
                    method,
                    path: path.clone(),
                });
            }
        }
        ApiRouter {
            router: self.router.routes(routes),
            served: self.served,
        }
    }

    pub fn merge(mut self, other: ApiRouter) -> Self {
        self.served.extend(other.served);
        ApiRouter {
            router: self.router.merge(other.router),
            served: self.served,
        }
    }

    /// Every method and path registered so far.
    pub fn served(&self) -> &[ServedRoute] {
        &self.served
    }

    /// The axum router and the paths and schemas collected from the annotations.
    pub fn split(self) -> (Router<AppState>, OpenApi) {
        self.router.split_for_parts()
    }
}

/// The operations of a path item with their HTTP method names (the methods the API uses).
pub fn operations(item: &PathItem) -> Vec<(&'static str, &Operation)> {
    [
        ("GET", &item.get),
        ("POST", &item.post),
        ("PUT", &item.put),
        ("PATCH", &item.patch),
        ("DELETE", &item.delete),
    ]
    .into_iter()
    .filter_map(|(method, op)| op.as_ref().map(|op| (method, op)))
    .collect()
}

/// As [`operations`], mutable.
pub fn operations_mut(item: &mut PathItem) -> Vec<(&'static str, &mut Operation)> {
    [
        ("GET", &mut item.get),
        ("POST", &mut item.post),
        ("PUT", &mut item.put),
        ("PATCH", &mut item.patch),
        ("DELETE", &mut item.delete),
    ]
    .into_iter()
    .filter_map(|(method, op)| op.as_mut().map(|op| (method, op)))
    .collect()
}
