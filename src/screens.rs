//! App-level screens that are not steps: loading and done (sign-in is [`AuthStep`](crate::steps::AuthStep)).

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
