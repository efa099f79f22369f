//! App-level screens that are not steps: loading, sign-in required, and done.

use crate::context::use_services;
use crate::i18n::{t, Key};
use crate::ui::{Button, ScreenCard, Spinner};
use leptos::prelude::*;

/// Shown while the session is fetched.
#[component]
pub fn LoadingScreen() -> impl IntoView {
    view! {
        <ScreenCard testid="screen-loading" title=t(Key::LoadingTitle) busy=true>
            <p class="pf-status">
                <Spinner />
                {t(Key::LoadingBody)}
            </p>
        </ScreenCard>
    }
}

/// Shown when the session has no authenticated user. Signing in (phone, one-time code) is built
/// by a later issue; until then the user is told plainly and sent back to the host for a link.
#[component]
pub fn SignInScreen() -> impl IntoView {
    view! {
        <ScreenCard testid="screen-sign-in" title=t(Key::SignInTitle)>
            <p class="pf-body">{t(Key::SignInBody)}</p>
            <p class="pf-body">{t(Key::SignInHint)}</p>
        </ScreenCard>
    }
}

/// Every step is done: "You're all set", with "Go to dashboard" unless the flow hides it.
#[component]
pub fn DoneScreen(
    /// Show the "Go to dashboard" button.
    show_dashboard_button: bool,
) -> impl IntoView {
    let services = use_services();
    let button = show_dashboard_button.then(|| {
        let go = services.go_to_dashboard.clone();
        view! {
            <div class="pf-actions">
                <Button label=t(Key::DoneDashboard) on_click=move || go() testid="done-dashboard" />
            </div>
        }
    });
    view! {
        <ScreenCard testid="screen-done" title=t(Key::DoneTitle)>
            <p class="pf-body">{t(Key::DoneBody)}</p>
            {button}
        </ScreenCard>
    }
}
