//! `payout-model`: the wire types of the payout-flows API (Dots v2 compatible) and the rules that
//! validate them. Shared by the app (wasm32) and the sandbox (native), so a rule is written once
//! and whichever side catches the mistake reports the same typed [`Rule`] ([`Validate`]); the
//! app words it in the user's language, the sandbox in its English wire text.
//!
//! Depends on serde, serde_json, chrono and uuid only: no web framework, no database, no UI.
//! With the `openapi` feature (the sandbox's), the wire types also derive `utoipa::ToSchema`,
//! from which the sandbox generates its OpenAPI document; the app builds without it.

pub mod app;
pub mod appearance;
pub mod batch;
pub mod capability;
pub mod endpoint;
pub mod error;
pub mod flow;
pub mod identity;
pub mod mask;
pub mod message;
pub mod money;
#[cfg(feature = "openapi")]
mod openapi;
pub mod origin;
pub mod payout_link;
pub mod reason;
pub mod rule;
pub mod session;
pub mod step;
pub mod time;
pub mod user;
pub mod webhook;
mod wire_names;

pub use app::{App, AppList, AppSettings, AppSettingsPatch, NewApp};
pub use capability::{Denial, FlowAction};
pub use error::{ApiError, ErrorCode, FieldError};
pub use flow::{Flow, FlowState, Metadata, NewFlow};
pub use mask::{digits, last4, shown_tail};
pub use message::{
    LoadErrorType, MessageType, StepStatus, WindowMessage, MESSAGE_SOURCE, MESSAGE_VERSION,
};
pub use origin::{InvalidOrigin, Origin};
pub use reason::Reason;
pub use rule::{AsOf, ContrastPair, Invalid, Rule, Validate, Violation};
pub use session::{
    NewSession, Session, COMPLETED_SESSION_MINUTES, PREAUTH_WINDOW_MINUTES, SESSION_MAX_HOURS,
    SESSION_TTL_MINUTES,
};
pub use step::{Step, StepName};
pub use user::{NewUser, PhoneNumber, User, UserStatus};

/// Timestamps on the wire: RFC 3339 in UTC (`2023-11-07T05:31:56Z`), as in seed 002.
pub type Timestamp = chrono::DateTime<chrono::Utc>;
