//! The one error envelope every API response uses (DESIGN.md "Errors"). A broken rule becomes
//! one of its `fields` from the typed [`Invalid`](crate::rule::Invalid) at the sandbox's edge.
//!
//! ```json
//! {"code":"invalid_request","message":"steps[0]: unknown step \"foo\"",
//!  "fields":[{"field":"steps[0]","message":"unknown step \"foo\""}]}
//! ```
//!
//! A field error that broke a [`Rule`] also carries it as data (`"rule":{"code":"digits",
//! "count":9}`), so a client words it in its own language; `message` is the English text.

use crate::reason::{Reason, WireReason};
use crate::rule::{Rule, WireRule};
use crate::wire_names::deserialize_by_name;
use serde::{Deserialize, Deserializer, Serialize};

/// What kind of failure an [`ApiError`] reports; a caller branches on this, never on the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
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
    /// The wire name, as serde writes it (`invalid_request`).
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::MalformedJson => "malformed_json",
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::SessionExpired => "session_expired",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::StepNotAllowed => "step_not_allowed",
            ErrorCode::PayoutBlocked => "payout_blocked",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Conflict => "conflict",
            ErrorCode::TooManyRequests => "too_many_requests",
            ErrorCode::Internal => "internal",
        }
    }

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

deserialize_by_name!(
    ErrorCode: MalformedJson,
    InvalidRequest,
    Unauthorized,
    SessionExpired,
    Forbidden,
    StepNotAllowed,
    PayoutBlocked,
    NotFound,
    Conflict,
    TooManyRequests,
    Internal,
);

/// One field that broke a rule. `field` is a JSON path into the request (`steps[1]`,
/// `phone_number`); `message` is lowercase, without a trailing period, and names no secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    /// Path of the offending field in the request body.
    pub field: String,
    /// What is wrong with it, for a person to read (English).
    pub message: String,
    /// The rule it broke, as data (`code` and the rule's parameters), for a client to word in
    /// its own language; absent when there is none. A code this client does not know (a newer
    /// server) reads as absent, so the client falls back to `message`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "known_rule"
    )]
    pub rule: Option<Rule>,
}

/// A field error's `rule`, or `None` when it is one this build does not know.
fn known_rule<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Rule>, D::Error> {
    Ok(Option::<WireRule>::deserialize(deserializer)?.and_then(WireRule::rule))
}

impl FieldError {
    /// A field error for `field` saying `message`, with no rule.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
            rule: None,
        }
    }

    /// This field error, saying it broke `rule` (its message details the rule in other words).
    #[must_use]
    pub fn with_rule(mut self, rule: Rule) -> Self {
        self.rule = Some(rule);
        self
    }

    /// A field error for `field` that broke `rule`, in the rule's English wire text.
    pub fn broke(field: impl Into<String>, rule: Rule) -> Self {
        Self {
            field: field.into(),
            message: rule.to_string(),
            rule: Some(rule),
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
    /// Why, as data, for a refusal the flow's user may meet (`{"code":"code_cooldown",
    /// "retry_after":30}`), for a client to word in its own language; absent otherwise. A code
    /// this client does not know (a newer server) reads as absent.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "known_reason"
    )]
    pub reason: Option<Reason>,
}

/// An error's `reason`, or `None` when it is one this build does not know.
fn known_reason<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Reason>, D::Error> {
    Ok(Option::<WireReason>::deserialize(deserializer)?.and_then(WireReason::reason))
}

impl ApiError {
    /// An error with no field details.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            fields: Vec::new(),
            reason: None,
        }
    }

    /// The refusal for `reason`: its code, the reason as data, its English as the message.
    pub fn refused(reason: Reason) -> Self {
        Self {
            reason: Some(reason),
            ..Self::new(reason.code(), reason.to_string())
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
            reason: None,
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
    fn a_rule_travels_as_data_and_an_unknown_one_reads_as_absent() {
        let e = ApiError::invalid(vec![FieldError::broke(
            "routing_number",
            Rule::Digits { count: 9 },
        )]);
        let wire = serde_json::to_value(&e).unwrap();
        assert_eq!(
            wire["fields"][0],
            json!({"field":"routing_number","message":"must be 9 digits",
                   "rule":{"code":"digits","count":9}})
        );
        assert_eq!(serde_json::from_value::<ApiError>(wire).unwrap(), e);
        let newer: FieldError = serde_json::from_value(
            json!({"field":"code","message":"is odd","rule":{"code":"from_the_future"}}),
        )
        .unwrap();
        assert_eq!(newer.rule, None);
        assert_eq!(
            serde_json::to_value(Rule::WrongCode { tries_left: 2 }).unwrap(),
            json!({"code":"wrong_code","tries_left":2})
        );
    }

    #[test]
    fn error_code_as_str_is_its_serde_name() {
        crate::wire_names::assert_as_str_is_serde_name(
            &[
                ErrorCode::MalformedJson,
                ErrorCode::InvalidRequest,
                ErrorCode::Unauthorized,
                ErrorCode::SessionExpired,
                ErrorCode::Forbidden,
                ErrorCode::StepNotAllowed,
                ErrorCode::PayoutBlocked,
                ErrorCode::NotFound,
                ErrorCode::Conflict,
                ErrorCode::TooManyRequests,
                ErrorCode::Internal,
            ],
            ErrorCode::as_str,
        );
    }

    #[test]
    fn fields_default_to_empty_when_absent() {
        let e: ApiError =
            serde_json::from_value(json!({"code":"not_found","message":"flow not found"})).unwrap();
        assert!(e.fields.is_empty());
        assert_eq!(e.code.status(), 404);
    }

    #[test]
    fn a_reason_travels_as_data_and_an_unknown_one_reads_as_absent() {
        let e = ApiError::refused(Reason::CodeCooldown { retry_after: 30 });
        assert_eq!(e.code, ErrorCode::TooManyRequests);
        assert_eq!(e.message, "wait 30 seconds before asking for a new code");
        let wire = serde_json::to_value(&e).unwrap();
        assert_eq!(
            wire["reason"],
            json!({"code":"code_cooldown","retry_after":30})
        );
        assert_eq!(serde_json::from_value::<ApiError>(wire).unwrap(), e);
        let newer: ApiError = serde_json::from_value(json!({
            "code":"conflict","message":"m","reason":{"code":"from_the_future"}
        }))
        .unwrap();
        assert_eq!(newer.reason, None);
        let plain = serde_json::to_value(ApiError::new(ErrorCode::NotFound, "gone")).unwrap();
        assert!(plain.get("reason").is_none(), "{plain}");
    }
}
