//! The screen for a flow that cannot go on: what happened, and the way forward (a retry when
//! retrying can help, "Start again" when the session expired, else what to ask the host for).

use crate::router::ErrorKind;
use crate::t;
use crate::ui::{Button, ScreenCard};
use leptos::prelude::*;

/// The `data-testid` of the error screen for `kind`.
pub fn error_testid(kind: &ErrorKind) -> &'static str {
    match kind {
        ErrorKind::NetworkDown => "screen-error-network",
        ErrorKind::FlowNotFound => "screen-error-not-found",
        ErrorKind::SessionExpired => "screen-error-session-expired",
        ErrorKind::Other(..) => "screen-error-other",
    }
}

/// The heading of the error screen for `kind`.
pub fn error_title(kind: &ErrorKind) -> &'static str {
    match kind {
        ErrorKind::NetworkDown => t!(error_network_title),
        ErrorKind::FlowNotFound => t!(error_not_found_title),
        ErrorKind::SessionExpired => t!(error_expired_title),
        ErrorKind::Other(..) => t!(error_other_title),
    }
}

/// An error screen; shows "Try again" when `on_retry` is given and the error is retryable, and
/// "Start again" when `on_restart` is given and the session expired.
#[component]
pub fn ErrorScreen(
    /// What went wrong.
    kind: ErrorKind,
    /// Runs the failed work again.
    #[prop(optional, into)]
    on_retry: Option<UnsyncCallback<()>>,
    /// Opens a new session from the flow's link.
    #[prop(optional, into)]
    on_restart: Option<UnsyncCallback<()>>,
) -> impl IntoView {
    let body = match kind {
        ErrorKind::NetworkDown => t!(error_network_body),
        ErrorKind::FlowNotFound => t!(error_not_found_body),
        ErrorKind::SessionExpired => t!(error_expired_body),
        ErrorKind::Other(..) => t!(error_other_body),
    };
    let details = match &kind {
        ErrorKind::Other(message, reason) if reason.is_some() || !message.is_empty() => {
            let message = reason.map_or_else(|| message.clone(), crate::i18n::reason_text);
            Some(view! {
                <p class="pf-details" data-testid="error-details">
                    {t!(error_details, message)}
                </p>
            })
        }
        _ => None,
    };
    let retry = on_retry.filter(|_| kind.retryable()).map(|on_click| {
        view! { <Button label=t!(retry) on_click=on_click testid="error-retry" /> }
    });
    let restart = on_restart.filter(|_| kind.restartable()).map(|on_click| {
        view! { <Button label=t!(start_again) on_click=on_click testid="error-start-again" /> }
    });
    view! {
        <ScreenCard testid=error_testid(&kind) title=error_title(&kind)>
            <p class="pf-body">{body}</p>
            {details}
            <div class="pf-actions">{retry}{restart}</div>
        </ScreenCard>
    }
}
