//! Every route, one router per resource merged here, and the fallback that answers unknown
//! `/api` routes with the JSON envelope.
//!
//! | route | module |
//! | --- | --- |
//! | `POST /api/v2/users`, `GET /api/v2/users/{id}` | [`users`] |
//! | `POST /api/v2/flows`, `GET /api/v2/flows/{id}` (trailing slash accepted) | [`flows`] |
//! | `POST /api/flow/sessions` (and its resume cookie), `GET /api/flow/state`, `POST /api/flow/steps/{step}/complete` | [`flow_sessions`] |
//! | `POST /api/flow/auth/code`, `POST /api/flow/auth/verify`, `POST /api/flow/auth/profile` | [`flow_auth`] |
//! | `GET`/`PUT /api/flow/compliance` | [`compliance`] |
//! | `GET /api/flow/id-verification`, `PUT /api/flow/id-verification/documents/{side}`, `POST /api/flow/id-verification/submit` | [`id_verification`] |
//! | `POST /api/flow/background-check` | [`background_checks`] |
//! | `GET /api/v2/notifications` | [`notifications`] |
//! | `GET /api/v2/wallet`, `GET /api/v2/users/{id}/wallet`, `GET /api/flow/wallet` | [`wallets`] |
//! | `POST`/`GET /api/v2/transfers`, `GET /api/v2/transfers/{id}`, `POST /api/v2/transfers/{id}/cancel`, `…/reverse`, `POST /api/v2/sandbox/refills`, `POST /api/v2/sandbox/transfers/{id}/simulate`, `GET /api/flow/transfers/{id}` | [`transfers`] |
//! | `GET`/`POST /api/v2/users/{id}/payout-methods`, `DELETE …/{method_id}`, `POST …/{method_id}/default`; the same under `/api/flow/payout-methods` | [`payout_methods`] |
//! | `GET`/`POST /api/flow/bank-accounts`, `DELETE /api/flow/bank-accounts/{id}`, `GET /api/v2/users/{id}/bank-accounts` | [`bank_accounts`] |
//! | `POST /api/v2/payouts`, `POST /api/flow/payouts` | [`payouts`] |
//! | `GET /`, `/demo`, `/healthz`, `/flow/{id}`, `/app/…` | [`pages`] |

pub(crate) mod background_checks;
pub(crate) mod bank_accounts;
pub(crate) mod compliance;
pub(crate) mod flow_auth;
pub(crate) mod flow_sessions;
pub(crate) mod flows;
pub(crate) mod id_verification;
pub(crate) mod notifications;
pub(crate) mod pages;
pub(crate) mod payout_methods;
pub(crate) mod payouts;
pub(crate) mod transfers;
pub(crate) mod users;
pub(crate) mod wallets;

use crate::error::Error;
use crate::headers;
use crate::state::AppState;
use axum::extract::MatchedPath;
use axum::http::{Method, Request, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
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
        .merge(notifications::router())
        .merge(wallets::router())
        .merge(transfers::router())
        .merge(payout_methods::router())
        .merge(bank_accounts::router())
        .merge(payouts::router())
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

fn is_api(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
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
