//! Why a request was refused, as data (issue 9, "the server sends data, not display strings"):
//! an error envelope that is not about a field carries its [`Reason`] with the reason's
//! parameters (`"reason":{"code":"code_cooldown","retry_after":30}`), so a client words it in
//! its own language, as it words a field's [`Rule`](crate::Rule). The envelope's `message` stays
//! the sandbox's English for API users and logs.
//!
//! Only refusals a person using the flow can meet have a reason; a host's mistakes (a reused
//! idempotency key, a transfer in the wrong state) are read by developers, in English.

use crate::error::ErrorCode;
use crate::step::StepName;
use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;

/// A refusal the flow's user may meet, with what is needed to word it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Reason {
    /// 429: a new one-time code was asked for within the resend cooldown.
    CodeCooldown {
        /// Whole seconds until a new code may be asked for (at least 1).
        retry_after: u32,
    },
    /// 429: too many wrong codes were typed lately.
    TooManyWrongCodes {
        /// Whole seconds until a code may be tried again (at least 1).
        retry_after: u32,
    },
    /// 429: a rate limit was hit.
    RateLimited {
        /// Whole seconds until a retry may succeed (at least 1).
        retry_after: u32,
    },
    /// 429: too many tax ids that differ from the one on file were given lately; none is
    /// compared until then, the right one neither (each wrong one answers a 422 naming it, so
    /// without a limit the 422 would tell the rest of an SSN whose last four are shown).
    TooManyWrongTaxIds {
        /// Whole seconds until a tax id may be given again (at least 1).
        retry_after: u32,
    },
    /// 409: a code was checked before one was asked for.
    NoCodeRequested,
    /// 409: the session is signed in already.
    AlreadySignedIn,
    /// 409: someone else claimed the flow meanwhile; the link must be opened again.
    FlowClaimed,
    /// 409: a profile was sent before the phone number was verified.
    PhoneNotVerified,
    /// 403: the action needs sign-in first.
    SignInRequired,
    /// 409: `step` was completed before its work was done (no payout method, no bank account,
    /// no payout yet).
    StepNotDone {
        /// The step whose work is missing.
        step: StepName,
    },
    /// 409: the flow changed while the step was being completed; trying again may succeed.
    FlowChanged,
    /// 409: the background check has already been run.
    CheckAlreadyRun,
    /// 409: the ID is verified already; nothing more to upload.
    IdAlreadyVerified,
    /// 409: the ID is with a reviewer; nothing more to upload.
    IdInReview,
    /// 409: the payout cannot be made now (the app cannot pay its part); later may work.
    PayoutUnavailable,
    /// 409: the payout link was claimed by someone else (issue 11).
    LinkClaimed,
    /// 409: the payout link was canceled or has expired; nothing can be claimed through it.
    LinkClosed,
    /// 409: the payout link was paid out meanwhile (another tab, a retry).
    LinkPaid,
    /// 409: the payout link changed while its payout was being made; trying again may pay it.
    LinkChanged,
    /// 403 `step_not_allowed`: the flow's current step does not own the action (a screen left
    /// open in another tab after the step or the flow was done). The envelope's `message`
    /// names the step, for developers.
    StepNotAllowed,
}

impl Reason {
    /// The error code a refusal for this reason is sent with.
    pub fn code(self) -> ErrorCode {
        match self {
            Reason::CodeCooldown { .. }
            | Reason::TooManyWrongCodes { .. }
            | Reason::RateLimited { .. }
            | Reason::TooManyWrongTaxIds { .. } => ErrorCode::TooManyRequests,
            Reason::SignInRequired => ErrorCode::Forbidden,
            Reason::StepNotAllowed => ErrorCode::StepNotAllowed,
            _ => ErrorCode::Conflict,
        }
    }

    /// Seconds to wait before retrying, for the reasons that have them (`Retry-After`).
    pub fn retry_after(self) -> Option<u32> {
        match self {
            Reason::CodeCooldown { retry_after }
            | Reason::TooManyWrongCodes { retry_after }
            | Reason::RateLimited { retry_after }
            | Reason::TooManyWrongTaxIds { retry_after } => Some(retry_after),
            _ => None,
        }
    }
}

/// The envelope's English `message` for API users and logs (lowercase, no trailing period).
/// It lives here, beside the reason, for the same cause as [`Rule`](crate::Rule)'s wire text:
/// the browser tests' fake server sends the same words as the sandbox. The app never shows it;
/// it words the reason itself.
impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let seconds = |n: u32| {
            if n == 1 {
                "1 second".to_owned()
            } else {
                format!("{n} seconds")
            }
        };
        let text = match *self {
            Reason::CodeCooldown { retry_after } => {
                return write!(
                    f,
                    "wait {} before asking for a new code",
                    seconds(retry_after)
                )
            }
            Reason::TooManyWrongCodes { retry_after } => {
                return write!(
                    f,
                    "too many wrong codes; wait {} before trying again",
                    seconds(retry_after)
                )
            }
            Reason::RateLimited { retry_after } => {
                return write!(
                    f,
                    "too many requests; try again in {}",
                    seconds(retry_after)
                )
            }
            Reason::TooManyWrongTaxIds { retry_after } => {
                return write!(
                    f,
                    "too many tax ids that do not match your tax information; wait {} before \
                     trying again",
                    seconds(retry_after)
                )
            }
            Reason::NoCodeRequested => "ask for a code first",
            Reason::AlreadySignedIn => "you are already signed in",
            Reason::FlowClaimed => {
                "this flow was claimed by someone else meanwhile; open the flow link again"
            }
            Reason::PhoneNotVerified => "verify your phone number first",
            Reason::SignInRequired => "sign in to continue",
            Reason::StepNotDone { step } => match step {
                StepName::ManagePayouts => "add a payout method first",
                StepName::ManagePayments => "add a bank account first",
                StepName::Payout => "make a payout first",
                _ => "finish this step first",
            },
            Reason::FlowChanged => {
                "the flow changed while this step was being completed; try again"
            }
            Reason::CheckAlreadyRun => "the background check has already been run",
            Reason::IdAlreadyVerified => "your id is already verified",
            Reason::IdInReview => "your id is already being reviewed",
            Reason::PayoutUnavailable => "this payout cannot be made right now; try again later",
            Reason::LinkClaimed => "this payout link was already claimed by someone else",
            Reason::LinkClosed => "this payout link was canceled or has expired",
            Reason::LinkPaid => "this payout link has been paid out already",
            Reason::LinkChanged => {
                "this payout link changed while its payout was being made; try again"
            }
            Reason::StepNotAllowed => "this cannot be done at this point of the flow",
        };
        f.write_str(text)
    }
}

/// A reason as it comes off the wire, read by hand (as [`Rule`](crate::Rule) is: serde's
/// tagged-enum derive costs the app's wasm tens of KB); a test pins that every reason reads
/// back as the derived `Serialize` writes it.
#[derive(Deserialize)]
pub(crate) struct WireReason {
    code: String,
    retry_after: Option<u32>,
    step: Option<String>,
}

impl WireReason {
    /// The reason, or `None` for a code this build does not know.
    pub(crate) fn reason(self) -> Option<Reason> {
        Some(match self.code.as_str() {
            "code_cooldown" => Reason::CodeCooldown {
                retry_after: self.retry_after?,
            },
            "too_many_wrong_codes" => Reason::TooManyWrongCodes {
                retry_after: self.retry_after?,
            },
            "rate_limited" => Reason::RateLimited {
                retry_after: self.retry_after?,
            },
            "too_many_wrong_tax_ids" => Reason::TooManyWrongTaxIds {
                retry_after: self.retry_after?,
            },
            "no_code_requested" => Reason::NoCodeRequested,
            "already_signed_in" => Reason::AlreadySignedIn,
            "flow_claimed" => Reason::FlowClaimed,
            "phone_not_verified" => Reason::PhoneNotVerified,
            "sign_in_required" => Reason::SignInRequired,
            "step_not_done" => Reason::StepNotDone {
                step: self.step?.parse().ok()?,
            },
            "flow_changed" => Reason::FlowChanged,
            "check_already_run" => Reason::CheckAlreadyRun,
            "id_already_verified" => Reason::IdAlreadyVerified,
            "id_in_review" => Reason::IdInReview,
            "payout_unavailable" => Reason::PayoutUnavailable,
            "link_claimed" => Reason::LinkClaimed,
            "link_closed" => Reason::LinkClosed,
            "link_paid" => Reason::LinkPaid,
            "link_changed" => Reason::LinkChanged,
            "step_not_allowed" => Reason::StepNotAllowed,
            _ => return None,
        })
    }
}

impl<'de> Deserialize<'de> for Reason {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        WireReason::deserialize(deserializer)?
            .reason()
            .ok_or_else(|| serde::de::Error::custom("unknown reason"))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    /// Every reason, for the round-trip test.
    fn all() -> Vec<Reason> {
        vec![
            Reason::CodeCooldown { retry_after: 30 },
            Reason::TooManyWrongCodes { retry_after: 5 },
            Reason::RateLimited { retry_after: 1 },
            Reason::TooManyWrongTaxIds { retry_after: 3600 },
            Reason::NoCodeRequested,
            Reason::AlreadySignedIn,
            Reason::FlowClaimed,
            Reason::PhoneNotVerified,
            Reason::SignInRequired,
            Reason::StepNotDone {
                step: StepName::ManagePayouts,
            },
            Reason::FlowChanged,
            Reason::CheckAlreadyRun,
            Reason::IdAlreadyVerified,
            Reason::IdInReview,
            Reason::PayoutUnavailable,
            Reason::LinkClaimed,
            Reason::LinkClosed,
            Reason::LinkPaid,
            Reason::LinkChanged,
            Reason::StepNotAllowed,
        ]
    }

    #[test]
    fn every_reason_reads_back_as_it_is_written() {
        for reason in all() {
            let wire = serde_json::to_value(reason).unwrap();
            let back: Reason = serde_json::from_value(wire.clone()).unwrap();
            assert_eq!(back, reason, "{wire}");
        }
    }

    #[test]
    fn wire_shape_is_code_and_parameters() {
        assert_eq!(
            serde_json::to_value(Reason::CodeCooldown { retry_after: 30 }).unwrap(),
            json!({"code":"code_cooldown","retry_after":30})
        );
        assert_eq!(
            serde_json::to_value(Reason::StepNotDone {
                step: StepName::Payout
            })
            .unwrap(),
            json!({"code":"step_not_done","step":"payout"})
        );
    }

    #[test]
    fn an_unknown_code_or_missing_parameter_is_refused() {
        assert!(serde_json::from_value::<Reason>(json!({"code":"newer"})).is_err());
        assert!(serde_json::from_value::<Reason>(json!({"code":"code_cooldown"})).is_err());
    }
}
