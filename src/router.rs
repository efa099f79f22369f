//! The step router (DESIGN.md "The step router"): pure functions from the flow and the session to
//! the screen to show, plus reading the flow id from the page path. No browser, no signals: unit
//! tested with plain `#[test]`.

use crate::api::ApiFailure;
use payout_model::{ErrorCode, FlowState, Reason, Step};
use uuid::Uuid;

/// What the app shows.
#[derive(Clone, Debug, PartialEq)]
pub enum Screen {
    /// The session is being fetched.
    Loading,
    /// The flow cannot go on.
    Error(ErrorKind),
    /// No authenticated user: sign-in (phone, one-time code, profile) comes first.
    SignIn,
    /// The first step not yet completed.
    Step(Step),
    /// Every step is completed.
    Done {
        /// Show "Go to dashboard" (the flow's `hide_go_to_dashboard_on_complete` is false).
        show_dashboard_button: bool,
    },
}

/// Why the flow cannot go on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The server could not be reached; retrying may help.
    NetworkDown,
    /// The link names no flow (bad path, or the server does not know it).
    FlowNotFound,
    /// The session ended; a new one must be minted ("Start again").
    SessionExpired,
    /// Anything else, with the server's message (for the host) and its refusal's reason, which
    /// the screen words in the user's language instead of the message when there is one.
    Other(String, Option<Reason>),
}

impl ErrorKind {
    /// The error screen for a failed API call.
    pub fn from_failure(failure: &ApiFailure) -> Self {
        match failure {
            ApiFailure::Network(_) => ErrorKind::NetworkDown,
            ApiFailure::Api(e) => match e.code {
                ErrorCode::NotFound => ErrorKind::FlowNotFound,
                // Both mean the bearer token no longer works: the flow must be reopened.
                ErrorCode::SessionExpired | ErrorCode::Unauthorized => ErrorKind::SessionExpired,
                _ => ErrorKind::Other(e.message.clone(), e.reason),
            },
        }
    }

    /// Whether trying the same request again may help.
    pub fn retryable(&self) -> bool {
        matches!(self, ErrorKind::NetworkDown | ErrorKind::Other(..))
    }

    /// Whether a new session, minted from the same link, is the way forward: the old one
    /// expired (the server then starts afresh, with sign-in where the flow needs it).
    pub fn restartable(&self) -> bool {
        matches!(self, ErrorKind::SessionExpired)
    }
}

/// The screen for `flow` when the session is (or is not) `authenticated`.
///
/// A complete flow shows the done screen whether or not the session is signed in (issue 8): a
/// later browser opening a finished flow's link has nothing left to sign in for, and its
/// session is read-only anyway.
///
/// Where tax rules require it (issue 11: the payout would take the user's reportable payouts
/// past the app's yearly threshold and no W-9 or W-8BEN is on file, `FlowState::compliance_due`
/// as the server works it out), the route holds a compliance step before the payout: the user
/// gives tax data first, in the same step the host could have asked for.
pub fn route(flow: &FlowState, authenticated: bool) -> Screen {
    match flow.next_step() {
        None => Screen::Done {
            show_dashboard_button: !flow.hide_go_to_dashboard_on_complete,
        },
        Some(_) if !authenticated => Screen::SignIn,
        Some(step) => Screen::Step(step.clone()),
    }
}

/// Where `step` sits in the flow: `(number, total)`, numbered from 1, for "Step N of M".
/// The count follows the route, a compliance step inserted before the payout included.
pub fn progress(flow: &FlowState, step: &Step) -> (usize, usize) {
    let total = flow.route().count();
    let number = flow
        .route()
        .position(|s| s.name() == step.name())
        .map_or(total, |i| i + 1);
    (number, total)
}

/// The flow id in a page path `/flow/{uuid}` (a trailing slash is allowed).
pub fn flow_id_from_path(path: &str) -> Option<Uuid> {
    let mut segments = path.trim_end_matches('/').rsplit('/');
    let id = segments.next()?;
    if segments.next()? != "flow" || id.len() != 36 {
        return None;
    }
    Uuid::try_parse(id).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use payout_model::{ApiError, StepName};
    use serde_json::json;

    fn flow(steps: serde_json::Value, completed: &[StepName]) -> FlowState {
        FlowState {
            id: Uuid::nil(),
            steps: serde_json::from_value(steps).expect("valid steps"),
            completed_steps: completed.to_vec(),
            user_id: None,
            hide_go_to_dashboard_on_complete: false,
            require_auth: false,
            payout_fee_party: Default::default(),
            compliance_due: false,
            payee_phone: None,
        }
    }

    #[test]
    fn unauthenticated_session_signs_in_first() {
        let f = flow(json!(["payout"]), &[]);
        assert_eq!(route(&f, false), Screen::SignIn);
    }

    #[test]
    fn flow_with_user_but_unauthenticated_session_still_signs_in() {
        let mut f = flow(json!(["payout"]), &[]);
        f.user_id = Some(Uuid::from_u128(7));
        f.require_auth = true;
        assert_eq!(route(&f, false), Screen::SignIn);
    }

    #[test]
    fn shows_first_uncompleted_step() {
        let f = flow(
            json!(["compliance", "payout", "manage-payouts"]),
            &[StepName::Compliance],
        );
        assert_eq!(route(&f, true), Screen::Step(Step::PAYOUT));
        assert_eq!(progress(&f, &Step::PAYOUT), (2, 3));
    }

    #[test]
    fn completion_order_does_not_matter() {
        let f = flow(
            json!(["compliance", "payout", "manage-payouts"]),
            &[StepName::Payout],
        );
        assert_eq!(route(&f, true), Screen::Step(Step::Compliance));
    }

    #[test]
    fn all_done_shows_dashboard_button() {
        let f = flow(json!(["payout"]), &[StepName::Payout]);
        assert_eq!(
            route(&f, true),
            Screen::Done {
                show_dashboard_button: true
            }
        );
    }

    #[test]
    fn complete_flow_shows_done_even_when_not_signed_in() {
        let mut f = flow(
            json!(["compliance", "payout"]),
            &[StepName::Payout, StepName::Compliance],
        );
        f.user_id = Some(Uuid::from_u128(7));
        assert_eq!(
            route(&f, false),
            Screen::Done {
                show_dashboard_button: true
            }
        );
        f.completed_steps.pop();
        assert_eq!(route(&f, false), Screen::SignIn);
    }

    #[test]
    fn all_done_hides_dashboard_button_when_asked() {
        let mut f = flow(json!(["payout"]), &[StepName::Payout]);
        f.hide_go_to_dashboard_on_complete = true;
        assert_eq!(
            route(&f, true),
            Screen::Done {
                show_dashboard_button: false
            }
        );
    }

    #[test]
    fn routes_steps_given_as_objects() {
        let f = flow(
            json!([
                {"name": "manage-payouts", "hide_continue_button": true},
                {"name": "redirect", "redirect_url": "https://host.example/after"}
            ]),
            &[],
        );
        assert_eq!(
            route(&f, true),
            Screen::Step(Step::ManagePayouts {
                hide_continue_button: true
            })
        );
        let f = FlowState {
            completed_steps: vec![StepName::ManagePayouts],
            ..f
        };
        let redirect = Step::Redirect {
            redirect_url: "https://host.example/after".into(),
        };
        assert_eq!(route(&f, true), Screen::Step(redirect.clone()));
        assert_eq!(progress(&f, &redirect), (2, 2));
    }

    #[test]
    fn routes_the_money_steps() {
        let f = flow(
            json!(["manage-payments", "manage-payouts", "payout"]),
            &[StepName::ManagePayments],
        );
        assert_eq!(
            route(&f, true),
            Screen::Step(Step::ManagePayouts {
                hide_continue_button: false
            })
        );
        let f = FlowState {
            completed_steps: vec![StepName::ManagePayments, StepName::ManagePayouts],
            ..f
        };
        assert_eq!(route(&f, true), Screen::Step(Step::PAYOUT));
    }

    #[test]
    fn tax_data_due_comes_before_the_payout() {
        let mut f = flow(
            json!(["manage-payouts", "payout"]),
            &[StepName::ManagePayouts],
        );
        f.compliance_due = true;
        assert_eq!(route(&f, true), Screen::Step(Step::Compliance));
        assert_eq!(progress(&f, &Step::Compliance), (2, 3));
        assert_eq!(progress(&f, &Step::PAYOUT), (3, 3));

        // Tax data given: the payout is next, still step 3 of 3.
        f.compliance_due = false;
        f.completed_steps.push(StepName::Compliance);
        assert_eq!(route(&f, true), Screen::Step(Step::PAYOUT));
        assert_eq!(progress(&f, &Step::PAYOUT), (3, 3));

        // Not due: no compliance step at all.
        let f = flow(json!(["payout"]), &[]);
        assert_eq!(route(&f, true), Screen::Step(Step::PAYOUT));
        assert_eq!(progress(&f, &Step::PAYOUT), (1, 1));
    }

    #[test]
    fn a_flow_asking_for_tax_data_itself_keeps_its_order() {
        let mut f = flow(json!(["payout", "compliance"]), &[]);
        f.compliance_due = true;
        assert_eq!(route(&f, true), Screen::Step(Step::PAYOUT));
        assert_eq!(progress(&f, &Step::Compliance), (2, 2));
    }

    #[test]
    fn reads_flow_id_from_path() {
        let id = "17f357c1-7f4d-4101-a2c0-8cb9c9947ac8";
        let expected = Uuid::try_parse(id).ok();
        assert_eq!(flow_id_from_path(&format!("/flow/{id}")), expected);
        assert_eq!(flow_id_from_path(&format!("/flow/{id}/")), expected);
        for bad in [
            "/",
            "",
            "/flow/",
            "/flow/not-a-uuid",
            "/app/index.html",
            "/flows/17f357c1-7f4d-4101-a2c0-8cb9c9947ac8",
            "/flow/17f357c17f4d4101a2c08cb9c9947ac8",
        ] {
            assert_eq!(flow_id_from_path(bad), None, "accepted {bad:?}");
        }
    }

    #[test]
    fn maps_api_failures_to_error_screens() {
        let api = |code| ApiFailure::Api(ApiError::new(code, "nope"));
        assert_eq!(
            ErrorKind::from_failure(&ApiFailure::Network("offline".into())),
            ErrorKind::NetworkDown
        );
        assert_eq!(
            ErrorKind::from_failure(&api(ErrorCode::NotFound)),
            ErrorKind::FlowNotFound
        );
        assert_eq!(
            ErrorKind::from_failure(&api(ErrorCode::SessionExpired)),
            ErrorKind::SessionExpired
        );
        assert_eq!(
            ErrorKind::from_failure(&api(ErrorCode::Unauthorized)),
            ErrorKind::SessionExpired
        );
        assert_eq!(
            ErrorKind::from_failure(&api(ErrorCode::Conflict)),
            ErrorKind::Other("nope".into(), None)
        );
        // Review: a refusal with a reason (a rate limit) showed the server's English; the
        // reason goes to the screen, to be worded in the user's language.
        let reason = Reason::RateLimited { retry_after: 7 };
        let limited = ApiError::refused(reason);
        assert_eq!(
            ErrorKind::from_failure(&ApiFailure::Api(limited.clone())),
            ErrorKind::Other(limited.message, Some(reason))
        );
        assert!(ErrorKind::NetworkDown.retryable());
        assert!(!ErrorKind::FlowNotFound.retryable());
        assert!(!ErrorKind::SessionExpired.retryable());
    }

    #[test]
    fn only_an_expired_session_starts_again() {
        assert!(ErrorKind::SessionExpired.restartable());
        for kind in [
            ErrorKind::NetworkDown,
            ErrorKind::FlowNotFound,
            ErrorKind::Other("nope".into(), None),
        ] {
            assert!(!kind.restartable(), "{kind:?}");
        }
    }
}
