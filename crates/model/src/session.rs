//! The flow-facing session (DESIGN.md "The API"): minted when the app opens a flow link, scoped
//! to that flow and its user, carried as a bearer token, never holding an app secret.
//!
//! `POST /api/flow/sessions` takes a [`NewSession`] and answers a [`Session`].

use crate::flow::FlowState;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A flow created with `user_id` opens authenticated only this long after its creation, unless
/// it has `require_auth` (seed 002, `user_id`).
pub const PREAUTH_WINDOW_MINUTES: i64 = 15;

/// How long a session token lives after it is minted, and after each request it makes: a
/// session in use stays alive (to [`SESSION_MAX_HOURS`]), an idle one ends.
pub const SESSION_TTL_MINUTES: i64 = 30;

/// The longest a session lives, however busy: a token that leaks still ends.
pub const SESSION_MAX_HOURS: i64 = 8;

/// How long a flow's sessions live once the flow is complete (issue 8): long enough for the
/// done screen and a reload, then the link's capability is gone. A complete flow's session is
/// read-only meanwhile. Not for a settings page's flow, whose sessions keep their life
/// ([`crate::FlowState::kept_step`]).
pub const COMPLETED_SESSION_MINUTES: i64 = 5;

/// Body of `POST /api/flow/sessions`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewSession {
    /// The flow whose link was opened.
    pub flow_id: Uuid,
    /// The origin of the window embedding the flow (`https://host.example`), when embedded.
    /// The server answers it back only if the app's allow-list holds it.
    #[serde(default)]
    pub host_origin: Option<String>,
}

/// A minted flow session. Its `Debug` leaves the token out.
#[derive(Clone, PartialEq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Session {
    /// Bearer token for the flow-facing endpoints; kept in memory only, never in storage.
    pub token: String,
    /// When the token stops working unless a request keeps it alive (each request gives it
    /// [`SESSION_TTL_MINUTES`] more, up to [`SESSION_MAX_HOURS`] after it was minted).
    #[serde(deserialize_with = "crate::time::rfc3339")]
    pub expires_at: DateTime<Utc>,
    /// Whether the session acts for the flow's user (else sign-in is needed first).
    pub authenticated: bool,
    /// The flow to route on.
    pub flow: FlowState,
    /// The embedding origin the app may post window messages to: the requested one when it is
    /// on the app's allow-list, else `None` (and nothing is posted).
    pub host_origin: Option<String>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("token", &crate::mask::Redacted)
            .field("expires_at", &self.expires_at)
            .field("authenticated", &self.authenticated)
            .field("flow", &self.flow)
            .field("host_origin", &self.host_origin)
            .finish()
    }
}
