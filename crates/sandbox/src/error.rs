//! The server's error type: each variant says which status and [`ErrorCode`] it answers with,
//! and every one renders as the one JSON envelope ([`ApiError`], DESIGN.md "Errors"). 5xx
//! details go to the log, never to the client.
//!
//! No 401 carries `WWW-Authenticate` (issue 8): a `Basic` challenge makes a browser prompt for
//! and cache the credentials and replay them on every later request to the host, cross-site
//! form posts included. The flow's bearer 401s answer the same way, so every 401 says what is
//! wrong in one place only, the envelope's code (`unauthorized`, `session_expired`).

use crate::store::constraints::Violation;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use payout_model::{ApiError, ErrorCode, FieldError, Invalid, Reason, Rule};

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// 400 `malformed_json`: the body is not JSON, not sent as JSON, or not a JSON object.
    #[error("{0}")]
    MalformedJson(String),
    /// 422 `invalid_request` (or the code the envelope carries): a field breaks a rule.
    #[error("{0}")]
    Invalid(ApiError),
    /// 401 `unauthorized`: missing or wrong app credentials (no challenge: module docs).
    #[error("missing or wrong app credentials: use http basic auth with client_id:api_key")]
    Unauthorized,
    /// 401 `unauthorized`: missing or wrong organization credentials (issue 10).
    #[error("missing or wrong organization credentials: use http basic auth with org_id:org_key")]
    OrganizationUnauthorized,
    /// 401 `unauthorized`: missing or unknown session token.
    #[error("missing or unknown session token: open the flow link again")]
    InvalidToken,
    /// 401 `session_expired`: the session token is past its expiry.
    #[error("your session has expired; open the flow link again")]
    SessionExpired,
    /// 403 `forbidden`: authenticated, but not allowed to do this.
    #[error("{0}")]
    Forbidden(String),
    /// 403 `step_not_allowed`: the flow session may not take this action now (issue 8): no
    /// step of its flow owns it, its step is not the current one, or the flow is complete. The
    /// message is the denial's, naming the step.
    #[error("{0}")]
    StepNotAllowed(payout_model::Denial),
    /// 403 `payout_blocked`: the user may not pay out through a flow (a failed background
    /// check, issue 8). The message says so without the reason; the host API still pays them.
    #[error("payouts through this flow are not available for this account")]
    PayoutBlocked,
    /// 404 `not_found`: no such object for this caller (or no such route under `/api`).
    #[error("{0}")]
    NotFound(String),
    /// 409 `conflict`: the request does not fit the object's state.
    #[error("{0}")]
    Conflict(String),
    /// A refusal the flow's user may meet (issue 9): 429 `too_many_requests` with `Retry-After`
    /// (a new code within the resend cooldown, too many wrong codes, a rate limit), 409
    /// `conflict` or 403 `forbidden` ([`Reason::code`]); the envelope carries the [`Reason`] as
    /// data and its English `Display` as the message.
    #[error("{0}")]
    Refused(Reason),
    /// 409 `conflict` (a unique constraint) or 422 `invalid_request` (a check, foreign key or
    /// not-null constraint): a write broke a database constraint; the words are chosen by its
    /// name (`store::constraints`), never the database's message.
    #[error("database constraint {:?} ({:?}) violated", .0.name, .0.kind)]
    Constraint(Violation),
    /// 500 `internal`: the database failed.
    #[error("database error: {0}")]
    Database(sqlx::Error),
    /// 500 `internal`: anything else that should not happen (a corrupt row, say).
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// A 422 naming one field that broke `rule`, with a `message` of the sandbox's own that
    /// details it for API users ("is not a payout method of this user"); the app words `rule`.
    pub fn invalid_field(field: impl Into<String>, rule: Rule, message: impl Into<String>) -> Self {
        Error::Invalid(ApiError::invalid(vec![
            FieldError::new(field, message).with_rule(rule)
        ]))
    }

    /// A 422 naming one field that broke one of the model's rules.
    pub fn broke(field: impl Into<String>, rule: Rule) -> Self {
        Invalid::one(field, rule).into()
    }

    /// `Ok(())` when `fields` is empty, else a 422 naming each (the sandbox's own words).
    pub fn unless_fields(fields: Vec<FieldError>) -> Result<(), Self> {
        if fields.is_empty() {
            Ok(())
        } else {
            Err(Error::Invalid(ApiError::invalid(fields)))
        }
    }

    /// The envelope sent for this error.
    pub fn to_api_error(&self) -> ApiError {
        let code = match self {
            Error::MalformedJson(_) => ErrorCode::MalformedJson,
            Error::Invalid(e) => return e.clone(),
            Error::Unauthorized | Error::OrganizationUnauthorized | Error::InvalidToken => {
                ErrorCode::Unauthorized
            }
            Error::SessionExpired => ErrorCode::SessionExpired,
            Error::Forbidden(_) => ErrorCode::Forbidden,
            Error::StepNotAllowed(denial) => return ApiError::from(*denial),
            Error::PayoutBlocked => ErrorCode::PayoutBlocked,
            Error::NotFound(_) => ErrorCode::NotFound,
            Error::Conflict(_) => ErrorCode::Conflict,
            Error::Constraint(v) => return v.to_api_error(),
            Error::Refused(reason) => return ApiError::refused(*reason),
            Error::Database(_) | Error::Internal(_) => {
                return ApiError::new(
                    ErrorCode::Internal,
                    "something went wrong on the server; it has been logged",
                )
            }
        };
        ApiError::new(code, self.to_string())
    }
}

/// `wait` rounded up to whole seconds, at least 1: a `Retry-After`.
pub(crate) fn whole_seconds(wait: chrono::TimeDelta) -> u32 {
    let ms = wait.num_milliseconds().max(1);
    u32::try_from((ms + 999) / 1000).unwrap_or(u32::MAX)
}

/// Every sqlx error comes in here: a constraint violation becomes [`Error::Constraint`] (409 or
/// 422 by its name), anything else stays a 500.
impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        match Violation::of(&e) {
            Some(violation) => Error::Constraint(violation),
            None => Error::Database(e),
        }
    }
}

impl From<ApiError> for Error {
    fn from(e: ApiError) -> Self {
        Error::Invalid(e)
    }
}

/// The model's typed rule failures become a 422 here, each rule in its English wire text (the
/// model's `Display` of [`Rule`]): the one place the sandbox words a rule.
impl From<Invalid> for Error {
    fn from(invalid: Invalid) -> Self {
        Error::Invalid(invalid.into())
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let envelope = self.to_api_error();
        let status = StatusCode::from_u16(envelope.code.status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if status.is_server_error() {
            // The full error stays here; the client only learns that something failed.
            tracing::error!(error = %self, "request failed");
        } else if let Error::Constraint(v) = &self {
            // A race or a rule only the schema states: worth seeing, never with values.
            tracing::warn!(constraint = %v.name, kind = ?v.kind, "constraint violated");
        }
        let retry_after = match self {
            Error::Refused(reason) => reason.retry_after().map(|s| s.max(1)),
            _ => None,
        };
        let mut response = (status, Json(envelope)).into_response();
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn internal_errors_hide_their_details() {
        let e = Error::Internal("stored id \"x\" is not a uuid".into());
        let envelope = e.to_api_error();
        assert_eq!(envelope.code, ErrorCode::Internal);
        assert!(!envelope.message.contains("uuid"));
        assert_eq!(e.into_response().status(), 500);
    }

    #[test]
    fn code_cooldown_is_429_with_retry_after() {
        let e = Error::Refused(Reason::CodeCooldown { retry_after: 30 });
        assert_eq!(
            e.to_api_error().message,
            "wait 30 seconds before asking for a new code"
        );
        let response = e.into_response();
        assert_eq!(response.status(), 429);
        assert_eq!(response.headers()[header::RETRY_AFTER], "30");
        assert_eq!(
            Error::Refused(Reason::CodeCooldown { retry_after: 1 }).to_string(),
            "wait 1 second before asking for a new code"
        );
    }

    #[test]
    fn capability_denials_are_403_with_their_codes() {
        use payout_model::{Denial, FlowAction, StepName};
        let denial = Denial::NoOwningStep {
            action: FlowAction::CreatePayout,
            step: StepName::Payout,
        };
        let envelope = Error::StepNotAllowed(denial).to_api_error();
        assert_eq!(envelope.code, ErrorCode::StepNotAllowed);
        assert_eq!(envelope.message, denial.to_string());
        // Review: the app showed the English message; the reason lets it word the refusal.
        assert_eq!(envelope.reason, Some(Reason::StepNotAllowed));
        assert_eq!(Error::StepNotAllowed(denial).into_response().status(), 403);
        let envelope = Error::PayoutBlocked.to_api_error();
        assert_eq!(envelope.code, ErrorCode::PayoutBlocked);
        assert!(!envelope.message.contains("background"));
        assert_eq!(Error::PayoutBlocked.into_response().status(), 403);
    }

    #[test]
    fn no_401_carries_a_challenge() {
        for e in [
            Error::Unauthorized,
            Error::OrganizationUnauthorized,
            Error::InvalidToken,
            Error::SessionExpired,
        ] {
            let response = e.into_response();
            assert_eq!(response.status(), 401);
            assert!(!response.headers().contains_key(header::WWW_AUTHENTICATE));
        }
    }
}
