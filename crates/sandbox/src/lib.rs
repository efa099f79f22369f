//! `payout-sandbox`: the sandbox API server of payout-flows (DESIGN.md "The API").
//!
//! It speaks the Dots v2 host API (`/api/v2/users`, `/api/v2/flows`, money: `/api/v2/transfers`,
//! `/api/v2/payouts`, wallets and payout methods, webhooks and events, the app's settings
//! `/api/v2/app`; HTTP Basic), the organization's `/api/v2/apps` (issue 10), the
//! flow-facing API the app uses in the browser (`/api/flow/…`, bearer sessions: sign-in,
//! compliance, ID verification, background check, money), and serves the trunk-built app at
//! `/flow/{id}` and `/app/`, plus a demo host page at `/demo`.
//!
//! ## Layers (issue 9)
//!
//! - `routes`: one module per resource, handlers that only extract, call and answer, mounted by
//!   the endpoint declarations of `payout_model::endpoint`; no route module imports another
//!   (a test in `routes` checks it).
//! - `service`: the rules that span tables: step completion, session minting, sign-in, the
//!   identity decisions, payouts; and `ledger`, the money service that owns its own tables.
//! - `store`: one module per table group, owning its rows, queries and conversions into model
//!   types; database constraint violations answer 409/422 by constraint name in
//!   `store::constraints`.
//! - around them: `auth` and `extract` (extractors), `db` (the pool and column conventions),
//!   `error` (the one envelope), `ratelimit`, `headers`, `resume_cookie`, `purge` (which deletes
//!   through the stores).
//!
//! `main.rs` only starts things; everything else lives here so tests and the e2e crate can run
//! the server in-process:
//!
//! ```no_run
//! # async fn start() -> anyhow::Result<()> {
//! use payout_sandbox::{app, connect, ensure_default_app, AppState, Config};
//!
//! let db = connect("sqlite::memory:").await?;
//! let creds = ensure_default_app(&db, Some(("client-id", "api-key"))).await?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let public_url = format!("http://{}", listener.local_addr()?);
//! let state = AppState::new(db, Config::new(public_url, "dist"));
//! // Peer addresses let the rate limits count per client IP (`ratelimit`).
//! let service = app(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
//! axum::serve(listener, service).await?;
//! # Ok(()) }
//! ```

mod assets;
mod auth;
mod batch_worker;
mod config;
mod db;
mod error;
mod extract;
mod group_commit;
mod headers;
mod html;
mod ledger;
mod origin;
mod otp;
mod pagination;
mod phone;
mod purge;
mod ratelimit;
mod resume_cookie;
mod routes;
mod secret;
mod service;
mod state;
mod store;
pub mod test_values;
mod theme;
mod webhooks;

pub use assets::precompress_assets;
pub use batch_worker::{process_payout_batches, spawn_payout_batch_worker};
pub use config::{Config, Limit, RateLimits};
pub use db::{connect, connect_with, Db};
pub use error::Error;
pub use otp::{CodeSender, SandboxCodeSender, SendError, SendFuture};
pub use phone::ParsedPhone;
pub use purge::{purge_expired, spawn_purge_task, Purged, LINK_EXPIRY_INTERVAL, PURGE_INTERVAL};
pub use secret::SecretsKey;
pub use service::payout_links::expire_all_due;
pub use state::{AppState, Clock};
pub use store::apps::{check_credentials, ensure_default_app, DefaultApp, DEFAULT_APP_NAME};
pub use store::constraints::{ConstraintKind, Violation};
pub use store::organization::{ensure_organization, OrganizationCredentials};
pub use webhooks::{
    ensure_demo_webhook, parse_duration, seal_webhook_secrets, spawn_webhook_worker,
    wrap_tax_id_digests, WebhookSettings, MAX_RESPONSE_BODY, SVIX_RETRY_SCHEDULE,
};

use axum::Router;

/// The whole server as one router: the host API, the flow-facing API, the app's pages and
/// assets, and JSON 404s for unknown `/api` routes. Serve it with `axum::serve`, or drive it
/// in-process with `tower::ServiceExt::oneshot`.
pub fn app(state: AppState) -> Router {
    routes::router(&state).with_state(state)
}
