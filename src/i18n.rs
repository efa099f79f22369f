//! Every string the user reads goes through this module: [`t`] for fixed text and [`tr`] for text
//! with `{placeholders}`. English is the only language today; a later issue adds others by
//! choosing a table here, without touching the components.
//!
//! Developer-facing text (console warnings, window-message payloads meant for host code) is not
//! translated.

use payout_model::StepName;

/// A piece of user-facing text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Key {
    /// Heading of the loading screen.
    LoadingTitle,
    /// Body of the loading screen.
    LoadingBody,
    /// Accessible name of a spinner.
    SpinnerLabel,
    /// Heading of the sign-in-required screen.
    SignInTitle,
    /// Why sign-in cannot happen in this version.
    SignInBody,
    /// What to do instead of signing in.
    SignInHint,
    /// Accessible name of the progress bar.
    ProgressLabel,
    /// "Step {current} of {total}".
    ProgressStep,
    /// Live-region announcement of a step: "Step {current} of {total}: {title}".
    LiveStep,
    /// "Taking you to {host}…".
    RedirectTitle,
    /// Body of the redirect screen.
    RedirectBody,
    /// The redirect screen's fallback link.
    RedirectContinue,
    /// Status while the redirect step is being recorded.
    RedirectSaving,
    /// Status once the redirect step is recorded and the flow is leaving.
    RedirectLeaving,
    /// The redirect step could not be recorded.
    RedirectFailed,
    /// Heading when the redirect URL is refused.
    RedirectInvalidTitle,
    /// Body when the redirect URL is refused.
    RedirectInvalidBody,
    /// "{step} isn't available in this version".
    UnavailableTitle,
    /// Body of the unavailable-step screen.
    UnavailableBody,
    /// "Step name: {name}".
    UnavailableStepName,
    /// Heading of the done screen.
    DoneTitle,
    /// Body of the done screen.
    DoneBody,
    /// The done screen's dashboard button.
    DoneDashboard,
    /// Retry buttons.
    Retry,
    /// "Details: {message}".
    ErrorDetails,
    /// Heading when the server cannot be reached.
    ErrorNetworkTitle,
    /// Body when the server cannot be reached.
    ErrorNetworkBody,
    /// Heading when the flow link is wrong.
    ErrorNotFoundTitle,
    /// Body when the flow link is wrong.
    ErrorNotFoundBody,
    /// Heading when the session has expired.
    ErrorExpiredTitle,
    /// Body when the session has expired.
    ErrorExpiredBody,
    /// Heading of any other error.
    ErrorOtherTitle,
    /// Body of any other error.
    ErrorOtherBody,
    /// Title of the compliance step.
    StepCompliance,
    /// Title of the id-verification step.
    StepIdVerification,
    /// Title of the background-check step.
    StepBackgroundCheck,
    /// Title of the manage-payments step.
    StepManagePayments,
    /// Title of the manage-payouts step.
    StepManagePayouts,
    /// Title of the payout step.
    StepPayout,
    /// Title of the redirect step.
    StepRedirect,
}

impl Key {
    /// Every key, so tests can check each has text.
    pub const ALL: [Key; 40] = [
        Key::LoadingTitle,
        Key::LoadingBody,
        Key::SpinnerLabel,
        Key::SignInTitle,
        Key::SignInBody,
        Key::SignInHint,
        Key::ProgressLabel,
        Key::ProgressStep,
        Key::LiveStep,
        Key::RedirectTitle,
        Key::RedirectBody,
        Key::RedirectContinue,
        Key::RedirectSaving,
        Key::RedirectLeaving,
        Key::RedirectFailed,
        Key::RedirectInvalidTitle,
        Key::RedirectInvalidBody,
        Key::UnavailableTitle,
        Key::UnavailableBody,
        Key::UnavailableStepName,
        Key::DoneTitle,
        Key::DoneBody,
        Key::DoneDashboard,
        Key::Retry,
        Key::ErrorDetails,
        Key::ErrorNetworkTitle,
        Key::ErrorNetworkBody,
        Key::ErrorNotFoundTitle,
        Key::ErrorNotFoundBody,
        Key::ErrorExpiredTitle,
        Key::ErrorExpiredBody,
        Key::ErrorOtherTitle,
        Key::ErrorOtherBody,
        Key::StepCompliance,
        Key::StepIdVerification,
        Key::StepBackgroundCheck,
        Key::StepManagePayments,
        Key::StepManagePayouts,
        Key::StepPayout,
        Key::StepRedirect,
    ];

    /// The placeholders this key's text takes, for [`tr`].
    pub fn args(self) -> &'static [&'static str] {
        match self {
            Key::ProgressStep => &["current", "total"],
            Key::LiveStep => &["current", "total", "title"],
            Key::RedirectTitle => &["host"],
            Key::UnavailableTitle => &["step"],
            Key::UnavailableStepName => &["name"],
            Key::ErrorDetails => &["message"],
            _ => &[],
        }
    }
}

/// The text of `key`, in English.
pub fn t(key: Key) -> &'static str {
    match key {
        Key::LoadingTitle => "Loading…",
        Key::LoadingBody => "Getting your flow ready.",
        Key::SpinnerLabel => "Loading",
        Key::SignInTitle => "Sign-in required",
        Key::SignInBody => "This version of the payout flow can't sign you in yet.",
        Key::SignInHint => "Ask the site that sent you here for a fresh link, then open it again.",
        Key::ProgressLabel => "Progress",
        Key::ProgressStep => "Step {current} of {total}",
        Key::LiveStep => "Step {current} of {total}: {title}",
        Key::RedirectTitle => "Taking you to {host}…",
        Key::RedirectBody => "If nothing happens in a few seconds, use the Continue button.",
        Key::RedirectContinue => "Continue",
        Key::RedirectSaving => "Saving your progress…",
        Key::RedirectLeaving => "Leaving the payout flow…",
        Key::RedirectFailed => {
            "We couldn't save your progress, so you haven't left yet. Try again."
        }
        Key::RedirectInvalidTitle => "This link can't be opened",
        Key::RedirectInvalidBody => {
            "This flow was set up to send you to an address that isn't a safe web address. \
             Contact the site that sent you here."
        }
        Key::UnavailableTitle => "{step} isn't available in this version",
        Key::UnavailableBody => {
            "This step can't be completed here yet, so the flow can't go on. \
             Contact the site that sent you here for help."
        }
        Key::UnavailableStepName => "Step name: {name}",
        Key::DoneTitle => "You're all set",
        Key::DoneBody => "You've completed every step. You can close this window.",
        Key::DoneDashboard => "Go to dashboard",
        Key::Retry => "Try again",
        Key::ErrorDetails => "Details: {message}",
        Key::ErrorNetworkTitle => "We can't reach the server",
        Key::ErrorNetworkBody => "Check your internet connection, then try again.",
        Key::ErrorNotFoundTitle => "This link doesn't work",
        Key::ErrorNotFoundBody => {
            "We couldn't find this payout flow. Check the link, or ask the site that sent you \
             here for a new one."
        }
        Key::ErrorExpiredTitle => "Your session has expired",
        Key::ErrorExpiredBody => {
            "For your security, sessions end after a while. Reopen the link from the site that \
             sent you here to continue."
        }
        Key::ErrorOtherTitle => "Something went wrong",
        Key::ErrorOtherBody => {
            "Please try again. If it keeps happening, contact the site that sent you here."
        }
        Key::StepCompliance => "Tax information",
        Key::StepIdVerification => "Identity verification",
        Key::StepBackgroundCheck => "Background check",
        Key::StepManagePayments => "Bank account",
        Key::StepManagePayouts => "Payout methods",
        Key::StepPayout => "Withdraw your balance",
        Key::StepRedirect => "Redirect",
    }
}

/// The text of `key` with each `{name}` replaced by its value from `args`.
pub fn tr(key: Key, args: &[(&str, &str)]) -> String {
    let mut text = t(key).to_owned();
    for (name, value) in args {
        text = text.replace(&format!("{{{name}}}"), value);
    }
    text
}

/// The title of a step, as headings and the progress indicator show it.
pub fn step_title(step: StepName) -> &'static str {
    t(match step {
        StepName::Compliance => Key::StepCompliance,
        StepName::IdVerification => Key::StepIdVerification,
        StepName::BackgroundCheck => Key::StepBackgroundCheck,
        StepName::ManagePayments => Key::StepManagePayments,
        StepName::ManagePayouts => Key::StepManagePayouts,
        StepName::Payout => Key::StepPayout,
        StepName::Redirect => Key::StepRedirect,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_key_has_english_text() {
        let keys: HashSet<Key> = Key::ALL.into_iter().collect();
        assert_eq!(keys.len(), Key::ALL.len(), "Key::ALL lists a key twice");
        for key in Key::ALL {
            assert!(!t(key).trim().is_empty(), "{key:?} has no text");
        }
    }

    #[test]
    fn placeholders_match_their_args() {
        for key in Key::ALL {
            let args: Vec<(&str, &str)> = key.args().iter().map(|a| (*a, "X")).collect();
            for (name, _) in &args {
                assert!(
                    t(key).contains(&format!("{{{name}}}")),
                    "{key:?} lists {name} but its text does not use it"
                );
            }
            let text = tr(key, &args);
            assert!(
                !text.contains('{') && !text.contains('}'),
                "{key:?} has an unlisted placeholder: {text}"
            );
        }
    }

    #[test]
    fn interpolates_args() {
        assert_eq!(
            tr(Key::ProgressStep, &[("current", "2"), ("total", "3")]),
            "Step 2 of 3"
        );
        assert_eq!(
            tr(Key::RedirectTitle, &[("host", "example.com")]),
            "Taking you to example.com…"
        );
    }

    #[test]
    fn every_step_has_a_title() {
        let titles: HashSet<&str> = StepName::ALL.into_iter().map(step_title).collect();
        assert_eq!(titles.len(), StepName::ALL.len());
    }
}
