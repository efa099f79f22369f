//! Request extractors whose failures use the error envelope, never the framework's plain-text
//! rejections: [`ApiJson`] for bodies, [`PathParam`] and [`PathParams`] for path parameters.

use crate::error::Error;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use payout_model::batch::NewPayoutBatch;
use payout_model::identity::{CodeCheck, NewBackgroundCheck, NewCode, NewCompliance, NewProfile};
use payout_model::money::{
    NewBankAccount, NewFlowPayout, NewPayout, NewPayoutMethod, NewRefill, NewTransfer,
    SimulateTransfer,
};
use payout_model::payout_link::NewPayoutLink;
use payout_model::webhook::{NewWebhook, WebhookUpdate};
use payout_model::{
    AppSettingsPatch, Invalid, NewApp, NewFlow, NewSession, NewUser, Rule, Validate,
};
use serde::de::DeserializeOwned;
use serde_json::Value;
use uuid::Uuid;

/// When a request body's rules are checked: most on arrival, by the extractor, with the model's
/// [`Validate`]; a few by their handler instead, and a few have no rule serde does not already
/// enforce.
pub(crate) trait OnArrival {
    /// `Ok` when the body may reach its handler, else every field that broke a rule.
    fn on_arrival(&self) -> Result<(), Invalid>;
}

/// Bodies checked on arrival by their [`Validate`] rules.
macro_rules! validated_on_arrival {
    ($($body:ty),* $(,)?) => {$(
        impl OnArrival for $body {
            fn on_arrival(&self) -> Result<(), Invalid> {
                Validate::validate(self)
            }
        }
    )*};
}

validated_on_arrival!(
    NewFlow,
    NewUser,
    NewTransfer,
    NewRefill,
    NewPayout,
    NewPayoutBatch,
    NewPayoutLink,
    NewFlowPayout,
    NewPayoutMethod,
    NewBankAccount,
    CodeCheck,
    NewApp,
    AppSettingsPatch,
    NewWebhook,
    WebhookUpdate,
);

/// Bodies that pass the extractor as parsed. `NewSession`: an unusable `host_origin` is simply
/// not echoed back. `SimulateTransfer`: any status parses; whether the transfer may enter it is
/// the lifecycle's call (409). The identity bodies are checked by their handlers (issue 3):
/// sign-in answers 409 for a session in the wrong state before it looks at the fields
/// (`NewCode`, `NewProfile`), and compliance and the background check are checked as of the
/// server's clock (`as_of(today)`).
macro_rules! unchecked_on_arrival {
    ($($body:ty),* $(,)?) => {$(
        impl OnArrival for $body {
            fn on_arrival(&self) -> Result<(), Invalid> {
                Ok(())
            }
        }
    )*};
}

unchecked_on_arrival!(
    NewSession,
    SimulateTransfer,
    NewCode,
    NewProfile,
    NewCompliance,
    NewBackgroundCheck,
);

/// A JSON body of type `T`, parsed in three stages so each failure says what is wrong:
///
/// 1. not sent as JSON, or not JSON at all → 400 `malformed_json`;
/// 2. not a JSON object → 400 `malformed_json`; an object with a field of the wrong shape →
///    422 `invalid_request` naming the field by its path (`steps[1]`, `user_id`) with serde's
///    message;
/// 3. a rule of `T::on_arrival` broken → 422 `invalid_request` from the model.
pub(crate) struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned + OnArrival,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Error> {
        if !is_json_content_type(req.headers().get(CONTENT_TYPE)) {
            return Err(Error::MalformedJson(
                "send the body as json with content-type: application/json".to_owned(),
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            Error::MalformedJson(if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                // The JSON may be fine: say what is wrong with it.
                "the body is larger than this endpoint takes (2 MB; 16 MB for payout \
                     batches)"
                    .to_owned()
            } else {
                format!("cannot read the body: {e}")
            })
        })?;
        let value: Value = serde_json::from_slice(&bytes)
            .or_else(|e| {
                // The seeds' own examples end objects with a comma (`{"steps": [...],}`, seed
                // 000), and seed 004's cURL examples break their lines with a shell's `\`
                // inside the quoted body, which the shell sends as it is: such a body is read
                // as if neither were there (issue 11).
                without_docs_slips(&bytes)
                    .and_then(|fixed| serde_json::from_slice(&fixed).ok())
                    .ok_or(e)
            })
            .map_err(|e| Error::MalformedJson(format!("the body is not valid json: {e}")))?;
        // Every body is an object; serde would also take an array as a struct, field by field.
        if !value.is_object() {
            return Err(Error::MalformedJson(
                "the body must be a json object".to_owned(),
            ));
        }
        let value: T = serde_path_to_error::deserialize(value).map_err(shape_error)?;
        value.on_arrival()?;
        Ok(ApiJson(value))
    }
}

/// `body` without the commas that stand right before a `}` or `]` (whitespace between allowed)
/// and without the backslashes followed by whitespace (a shell's line break, `\` then a newline
/// or, as the docs flatten it, a space), both outside strings, where neither is ever JSON;
/// `None` when it has none, so only a body they broke is read again.
fn without_docs_slips(body: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(body.len());
    let (mut in_string, mut escaped, mut dropped) = (false, false, false);
    for (i, &b) in body.iter().enumerate() {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
        } else if b == b'"' {
            in_string = true;
        } else if b == b',' {
            if matches!(next_significant(body, i + 1), Some(b'}' | b']')) {
                dropped = true;
                continue;
            }
        } else if b == b'\\' && body.get(i + 1).is_some_and(u8::is_ascii_whitespace) {
            dropped = true;
            continue;
        }
        out.push(b);
    }
    dropped.then_some(out)
}

/// The first byte of `body` from `from` on that is neither whitespace nor a shell's line break
/// ([`without_docs_slips`]).
fn next_significant(body: &[u8], from: usize) -> Option<u8> {
    let mut i = from;
    while let Some(&b) = body.get(i) {
        let line_break = b == b'\\' && body.get(i + 1).is_some_and(u8::is_ascii_whitespace);
        if !b.is_ascii_whitespace() && !line_break {
            return Some(b);
        }
        i += 1;
    }
    None
}

/// `application/json` or any `application/…+json`, with or without parameters.
fn is_json_content_type(value: Option<&axum::http::HeaderValue>) -> bool {
    let Some(value) = value.and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Turns a deserialization error into a field error at its path. The message names what was
/// sent by its kind only ([`without_values`]): a TIN, an account number or a sign-in code sent
/// as a number must not come back in the error.
fn shape_error(e: serde_path_to_error::Error<serde_json::Error>) -> Error {
    let path = e.path().to_string();
    let message = without_values(&e.inner().to_string());
    // serde reports a missing field at the object that lacks it; name the field itself.
    let missing = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.strip_suffix('`'));
    let field = match (path.as_str(), missing) {
        (".", Some(name)) => name.to_owned(),
        (_, Some(name)) => format!("{path}.{name}"),
        (".", None) => {
            return Error::MalformedJson(format!("the body has the wrong shape: {message}"))
        }
        (_, None) => path,
    };
    Error::invalid_field(field, Rule::Malformed, message)
}

/// serde's message without the value it quotes: `invalid type: integer `123456789`, expected
/// a string` becomes `invalid type: integer, expected a string`, and `unknown variant `x`,
/// expected …` becomes `unknown variant, expected …`. Field names (`missing field`, `unknown
/// field`) are the API's own and stay.
fn without_values(message: &str) -> String {
    for lead in ["invalid type: ", "invalid value: ", "unknown variant "] {
        let Some(rest) = message.strip_prefix(lead) else {
            continue;
        };
        let Some((sent, expected)) = rest.split_once(", expected") else {
            // serde always says what it expected; anything else is shown as nothing sent.
            return lead.trim_end_matches([' ', ':']).to_owned();
        };
        // The kind is what comes before the quoted value (`integer`, `string`, `floating
        // point`); an unknown variant has only the value.
        let kind = sent.split(['`', '"']).next().unwrap_or_default().trim();
        let lead = lead.trim_end_matches([' ', ':']);
        return if kind.is_empty() {
            format!("{lead}, expected{expected}")
        } else {
            format!("{lead}: {kind}, expected{expected}")
        };
    }
    message.to_owned()
}

/// The route's one path parameter, percent-decoded. A segment that does not decode names
/// nothing here: 404 `not_found`.
pub(crate) struct PathParam(pub String);

impl<S: Send + Sync> FromRequestParts<S> for PathParam {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        let Path(value) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| Error::NotFound("not found".to_owned()))?;
        Ok(PathParam(value))
    }
}

impl PathParam {
    /// The parameter as a UUID; anything else gets `not_found` (a malformed id names no
    /// object, so it is a 404, never a 400).
    pub(crate) fn id(&self, not_found: fn() -> Error) -> Result<Uuid, Error> {
        Uuid::try_parse(&self.0).map_err(|_| not_found())
    }
}

/// The route's two path parameters (`/users/{id}/payout-methods/{method_id}`), percent-decoded;
/// 404 `not_found` when they do not decode.
pub(crate) struct PathParams(pub String, pub String);

impl<S: Send + Sync> FromRequestParts<S> for PathParams {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        let Path((a, b)) = Path::<(String, String)>::from_request_parts(parts, state)
            .await
            .map_err(|_| Error::NotFound("not found".to_owned()))?;
        Ok(PathParams(a, b))
    }
}

impl PathParams {
    /// Both parameters as UUIDs, each with its own 404 (see [`PathParam::id`]).
    pub(crate) fn ids(
        &self,
        first_not_found: fn() -> Error,
        second_not_found: fn() -> Error,
    ) -> Result<(Uuid, Uuid), Error> {
        Ok((
            Uuid::try_parse(&self.0).map_err(|_| first_not_found())?,
            Uuid::try_parse(&self.1).map_err(|_| second_not_found())?,
        ))
    }
}

/// Query parameter `name`, given as `text`, as a whole number in `range` (`default` when it is
/// absent), else a 422 naming it: "must be a whole number{unit} from {min} to {max}", `unit`
/// being `""` or `" of seconds"`.
pub(crate) fn whole_number_param(
    name: &str,
    text: Option<&str>,
    range: std::ops::RangeInclusive<i64>,
    default: i64,
    unit: &str,
) -> Result<i64, Error> {
    let Some(text) = text else {
        return Ok(default);
    };
    text.trim()
        .parse::<i64>()
        .ok()
        .filter(|n| range.contains(n))
        .ok_or_else(|| {
            let (min, max) = (*range.start(), *range.end());
            Error::invalid_field(
                name,
                Rule::WholeNumberBetween {
                    min: u32::try_from(min).unwrap_or(0),
                    max: u32::try_from(max).unwrap_or(u32::MAX),
                },
                format!("must be a whole number{unit} from {min} to {max}"),
            )
        })
}

/// The query string as `T` (every field optional text, checked by the handler so each bad
/// value is a 422 naming its parameter); a query that does not decode is a 422 on `query`.
pub(crate) struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        let axum::extract::Query(value) =
            axum::extract::Query::<T>::from_request_parts(parts, state)
                .await
                .map_err(|e| Error::invalid_field("query", Rule::Malformed, e.body_text()))?;
        Ok(ApiQuery(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_what_was_sent_by_its_kind_not_its_value() {
        for (message, shown) in [
            (
                "invalid type: integer `123456789`, expected a string",
                "invalid type: integer, expected a string",
            ),
            (
                "invalid type: floating point `1.5`, expected i64",
                "invalid type: floating point, expected i64",
            ),
            (
                "invalid value: string \"078-05-1120\", expected a date",
                "invalid value: string, expected a date",
            ),
            (
                "unknown variant `zelle`, expected one of `ach`, `paypal`",
                "unknown variant, expected one of `ach`, `paypal`",
            ),
            ("missing field `tin`", "missing field `tin`"),
            (
                "invalid type: null, expected a string",
                "invalid type: null, expected a string",
            ),
        ] {
            assert_eq!(without_values(message), shown);
        }
    }

    #[test]
    fn trailing_commas_are_dropped_outside_strings_only() {
        let fixed = without_docs_slips(br#"{"steps": ["a", ], "s": ",}", }"#).unwrap();
        assert_eq!(fixed, br#"{"steps": ["a" ], "s": ",}" }"#.to_vec());
        assert_eq!(without_docs_slips(br#"{"a": 1}"#), None);
        assert_eq!(without_docs_slips(br#"{"a": "\",]"}"#), None);
    }

    /// Review: seed 004's cURL examples, pasted, sent their shell line breaks (`\` inside the
    /// quoted body) and got a 400.
    #[test]
    fn shell_line_breaks_are_dropped_outside_strings_only() {
        let fixed =
            without_docs_slips(b"{ \\\n  \"a\": \"x\\\\ y\", \\ \"b\": [1, \\ ], \\\n}").unwrap();
        assert_eq!(
            fixed,
            b"{ \n  \"a\": \"x\\\\ y\",  \"b\": [1  ] \n}".to_vec()
        );
        // Not before anything but whitespace: `1\2` stays broken, never becomes `12`.
        assert_eq!(without_docs_slips(br#"{"a": 1\2}"#), None);
    }
    use axum::http::HeaderValue;

    #[test]
    fn accepts_json_content_types_only() {
        for ok in [
            "application/json",
            "application/json; charset=utf-8",
            "Application/JSON",
            "application/merge-patch+json",
        ] {
            assert!(
                is_json_content_type(Some(&HeaderValue::from_static(ok))),
                "{ok}"
            );
        }
        for bad in ["text/plain", "application/x-www-form-urlencoded", "json"] {
            assert!(
                !is_json_content_type(Some(&HeaderValue::from_static(bad))),
                "{bad}"
            );
        }
        assert!(!is_json_content_type(None));
    }
}
