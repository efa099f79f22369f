//! Every route: one router per resource, merged here, each mounting its handlers by the endpoint
//! declarations of [`payout_model::endpoint`] through [`Mount`] (so no API path is written in
//! the sandbox); the fallback that answers unknown `/api` routes with the JSON envelope; and the
//! OpenAPI document generated from the same declarations, with its reference page ([`openapi`]).
//! Which caller each route takes is the declaration's
//! [`Caller`](payout_model::endpoint::Caller); `tests/contract.rs` checks
//! each handler refuses every other.
//!
//! A route module holds handlers and its router only: they extract, call [`crate::service`] or
//! [`crate::store`], and answer. No route module imports another (issue 9; the test below
//! checks it), so what two of them share lives in a store or a service.

pub(crate) mod apps;
pub(crate) mod background_checks;
pub(crate) mod bank_accounts;
pub(crate) mod compliance;
pub(crate) mod flow_auth;
pub(crate) mod flow_sessions;
pub(crate) mod flows;
pub(crate) mod id_verification;
pub mod openapi;

pub(crate) mod pages;
pub(crate) mod payout_batches;
pub(crate) mod payout_links;
pub(crate) mod payout_methods;
pub(crate) mod payouts;
pub(crate) mod transfers;
pub(crate) mod users;
pub(crate) mod wallets;
pub(crate) mod webhooks;

use crate::error::Error;
use crate::headers;
use crate::state::AppState;
use axum::extract::MatchedPath;
use axum::handler::Handler;
use axum::http::{Method, Request, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{on, MethodFilter, MethodRouter};
use axum::Router;
use payout_model::endpoint::{Endpoint, Method as EndpointMethod};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::{Level, Span};

/// The merged router, still waiting for its state. The API's routes and the fallback answer
/// with `Cache-Control: no-store`; pages set their own headers; every response gets the
/// server-wide ones ([`headers`]).
pub(crate) fn router(state: &AppState) -> Router<AppState> {
    let api = Router::new()
        .merge(users::router())
        .merge(flows::router())
        .merge(flow_sessions::router())
        .merge(flow_auth::router())
        .merge(compliance::router())
        .merge(id_verification::router())
        .merge(background_checks::router())
        .merge(wallets::router())
        .merge(transfers::router())
        .merge(payout_methods::router())
        .merge(bank_accounts::router())
        .merge(payouts::router())
        .merge(payout_batches::router())
        .merge(payout_links::router())
        .merge(apps::router())
        .merge(webhooks::router())
        .merge(openapi::router())
        .fallback(fallback)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(headers::api_layer());
    api.merge(pages::router(&state.config))
        .layer(headers::every_response_layer(&state.config))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
}

/// The access-log span of a request: its method and matched route template
/// (`/flow/{id}`, `/api/v2/flows/{id}`), never the path itself, the query or a header, so flow
/// ids (a link is a capability), tokens and credentials never reach the log (issue 8).
fn request_span<B>(request: &Request<B>) -> Span {
    let route = match request.extensions().get::<MatchedPath>() {
        Some(matched) => matched.as_str(),
        // The nested file service sets no matched path; its file names are no secret, but
        // one template keeps the log uniform.
        None if request.uri().path().starts_with("/app/") => "/app/{*file}",
        None => "(no route)",
    };
    tracing::info_span!("request", method = %request.method(), route)
}

/// Whether `path` is the API's: under `/api`, or under `/v2` (seed 000's
/// `POST /v2/flow/create`), whose errors are the JSON envelope.
fn is_api(path: &str) -> bool {
    ["/api", "/v2"]
        .iter()
        .any(|root| path == *root || path.strip_prefix(root).is_some_and(|r| r.starts_with('/')))
}

fn no_such_endpoint(method: &Method, path: &str) -> Response {
    Error::NotFound(format!("no such endpoint: {method} {path}")).into_response()
}

/// No route matched: the JSON envelope under `/api`, plain text elsewhere.
async fn fallback(method: Method, uri: Uri) -> Response {
    if is_api(uri.path()) {
        no_such_endpoint(&method, uri.path())
    } else {
        (StatusCode::NOT_FOUND, "not found").into_response()
    }
}

/// The path exists but not with this method. Under `/api` that is a JSON 404 for the
/// method-and-path pair (the envelope's codes have no 405); elsewhere a bare 405 with `Allow`.
async fn method_not_allowed(method: Method, uri: Uri) -> Response {
    if is_api(uri.path()) {
        no_such_endpoint(&method, uri.path())
    } else {
        StatusCode::METHOD_NOT_ALLOWED.into_response()
    }
}

/// Mounting a handler at an endpoint's declared method and path.
pub(crate) trait Mount: Sized {
    /// Mounts `handler` as endpoint `E`; the host API's paths also with a trailing slash (Dots
    /// hosts send both, seed 004).
    fn endpoint<E, H, T>(self, handler: H) -> Self
    where
        E: Endpoint,
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.endpoint_with::<E, H, T>(handler, |route| route)
    }

    /// [`Mount::endpoint`] with `wrap` applied to the handler's method router (a body limit).
    fn endpoint_with<E, H, T>(
        self,
        handler: H,
        wrap: impl FnOnce(MethodRouter<AppState>) -> MethodRouter<AppState>,
    ) -> Self
    where
        E: Endpoint,
        H: Handler<T, AppState>,
        T: 'static;
}

impl Mount for Router<AppState> {
    fn endpoint_with<E, H, T>(
        self,
        handler: H,
        wrap: impl FnOnce(MethodRouter<AppState>) -> MethodRouter<AppState>,
    ) -> Self
    where
        E: Endpoint,
        H: Handler<T, AppState>,
        T: 'static,
    {
        let filter = match E::INFO.method {
            EndpointMethod::Get => MethodFilter::GET,
            EndpointMethod::Post => MethodFilter::POST,
            EndpointMethod::Put => MethodFilter::PUT,
            EndpointMethod::Patch => MethodFilter::PATCH,
            EndpointMethod::Delete => MethodFilter::DELETE,
        };
        let route = wrap(on(filter, handler));
        let router = self.route(E::INFO.path, route.clone());
        if E::INFO.caller.is_host() {
            router.route(&format!("{}/", E::INFO.path), route)
        } else {
            router
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::path::Path;

    /// The sibling route modules `source` reaches into through `crate::routes::…` or
    /// `super::…` (a `use` or a path in code): each names one, e.g. `flows` for
    /// `crate::routes::flows::FlowRow` or `super::{flows, users}`.
    fn sibling_paths(source: &str, siblings: &[String]) -> Vec<String> {
        let mut found = Vec::new();
        for prefix in ["crate::routes::", "super::"] {
            for (at, _) in source.match_indices(prefix) {
                let mut rest = &source[at + prefix.len()..];
                while let Some(r) = rest.strip_prefix("super::") {
                    rest = r;
                }
                let names: Vec<&str> = match rest.strip_prefix('{') {
                    Some(group) => group
                        .split('}')
                        .next()
                        .unwrap_or("")
                        .split(',')
                        .map(|item| item.trim().split("::").next().unwrap_or(""))
                        .collect(),
                    None => vec![rest
                        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                        .next()
                        .unwrap_or("")],
                };
                found.extend(
                    names
                        .into_iter()
                        .filter(|name| siblings.iter().any(|s| s == name))
                        .map(str::to_owned),
                );
            }
        }
        found
    }

    #[test]
    fn finds_sibling_paths_in_every_spelling() {
        let siblings = vec!["flows".to_owned(), "users".to_owned()];
        let source = "use crate::routes::flows::FlowRow;\n\
                      use crate::routes::{users, Mount};\n\
                      use super::flows;\n\
                      use crate::routes::Mount;\n\
                      mod tests { use super::*; }\n\
                      let x = crate::routes::users::find(db);";
        assert_eq!(
            sibling_paths(source, &siblings),
            ["flows", "users", "users", "flows"]
        );
        assert!(sibling_paths("use crate::store::flows::FlowRow;", &siblings).is_empty());
    }

    /// Issue 9: route handlers only extract, call and answer; what two route modules share lives
    /// in `store` or `service`, so no route module imports another (this module, which merges
    /// them, excepted).
    #[test]
    fn no_route_module_imports_another() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/routes");
        let files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|e| e == "rs"))
            .collect();
        let siblings: Vec<String> = files
            .iter()
            .filter_map(|path| path.file_stem()?.to_str().map(str::to_owned))
            .filter(|stem| stem != "mod")
            .collect();
        assert!(siblings.len() > 10, "route modules not found in {dir:?}");
        let mut offenders = Vec::new();
        for path in &files {
            if path.file_stem().is_some_and(|stem| stem == "mod") {
                continue;
            }
            let source = std::fs::read_to_string(path).unwrap();
            for name in sibling_paths(&source, &siblings) {
                offenders.push(format!("{} uses routes::{name}", path.display()));
            }
        }
        assert!(offenders.is_empty(), "{offenders:#?}");
    }
}
