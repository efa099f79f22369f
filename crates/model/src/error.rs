//! The one error envelope every API response uses (DESIGN.md "Errors"). A broken rule becomes
//! one of its `fields` from the typed [`Invalid`](crate::rule::Invalid) at the sandbox's edge.
//!
//! ```json
//! {"code":"invalid_request","message":"steps[0]: unknown step \"foo\"",
//!  "fields":[{"field":"steps[0]","message":"unknown step \"foo\""}]}
//! ```

use serde::{Deserialize, Serialize};

/// What kind of failure an [`ApiError`] reports; a caller branches on this, never on the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// 400: the body is not JSON, or not the JSON shape the endpoint takes.
    MalformedJson,
    /// 422: the JSON is well formed but a field breaks a rule; see `fields`.
    InvalidRequest,
    /// 401: missing or wrong credentials (HTTP Basic for hosts, bearer for flows).
    Unauthorized,
    /// 401: the flow session has expired; the flow must be opened again.
    SessionExpired,
    /// 403: authenticated, but not allowed to do this (e.g. the flow needs sign-in first).
    Forbidden,
    /// 403: the flow session may not take this action now: no step of the flow owns it, its
    /// step is not the current one, or the flow is complete (issue 8, [`crate::capability`]).
    StepNotAllowed,
    /// 403: the user may not pay out through a flow (a failed background check); the host API
    /// still can (issue 8).
    PayoutBlocked,
    /// 404: no such object (or not one this caller may see).
    NotFound,
    /// 409: the request conflicts with the object's state.
    Conflict,
    /// 429: asked again too soon (a new one-time code within the resend cooldown, or a rate
    /// limit); the response carries `Retry-After`.
    TooManyRequests,
    /// 500: something failed on the server; details are in its log, never here.
    Internal,
}

impl ErrorCode {
    /// The HTTP status this code is sent with.
    pub fn status(self) -> u16 {
        match self {
            ErrorCode::MalformedJson => 400,
            ErrorCode::InvalidRequest => 422,
            ErrorCode::Unauthorized | ErrorCode::SessionExpired => 401,
            ErrorCode::Forbidden | ErrorCode::StepNotAllowed | ErrorCode::PayoutBlocked => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::Conflict => 409,
            ErrorCode::TooManyRequests => 429,
            ErrorCode::Internal => 500,
        }
    }
}

/// One field that broke a rule. `field` is a JSON path into the request (`steps[1]`,
/// `phone_number`); `message` is lowercase, without a trailing period, and names no secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    /// Path of the offending field in the request body.
    pub field: String,
    /// What is wrong with it, for a person to read.
    pub message: String,
}

impl FieldError {
    /// A field error for `field` saying `message`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// The error envelope of every non-2xx response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiError {
    /// Machine-readable kind of failure.
    pub code: ErrorCode,
    /// One line for a person: for validation errors, the first field's `field: message`.
    pub message: String,
    /// Every field that broke a rule (empty when the error is not about fields).
    #[serde(default)]
    pub fields: Vec<FieldError>,
}

impl ApiError {
    /// An error with no field details.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            fields: Vec::new(),
        }
    }

    /// A 422 listing `fields`; the message repeats the first one so a one-line UI says enough.
    pub fn invalid(fields: Vec<FieldError>) -> Self {
        let message = match fields.first() {
            Some(f) => format!("{}: {}", f.field, f.message),
            None => "invalid request".to_owned(),
        };
        Self {
            code: ErrorCode::InvalidRequest,
            message,
            fields,
        }
    }

    /// The message for `field`, if that field is named.
    pub fn field(&self, field: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|f| f.field == field)
            .map(|f| f.message.as_str())
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn envelope_json_is_pinned() {
        let e = ApiError::invalid(vec![FieldError::new("steps", "must not be empty")]);
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            json!({"code":"invalid_request","message":"steps: must not be empty",
                   "fields":[{"field":"steps","message":"must not be empty"}]})
        );
        assert_eq!(e.code.status(), 422);
    }

    #[test]
    fn fields_default_to_empty_when_absent() {
        let e: ApiError =
            serde_json::from_value(json!({"code":"not_found","message":"flow not found"})).unwrap();
        assert!(e.fields.is_empty());
        assert_eq!(e.code.status(), 404);
    }
}
