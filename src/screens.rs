//! App-level screens that are not steps: loading and done (sign-in is [`AuthStep`](crate::steps::AuthStep)).

use crate::context::use_services;
use crate::t;
use crate::ui::{Button, ScreenCard, Spinner};
use leptos::prelude::*;

/// Shown while the session is fetched.
#[component]
pub fn LoadingScreen() -> impl IntoView {
    view! {
        <ScreenCard testid="screen-loading" title=t!(loading_title) busy=true>
            <p class="pf-status">
                <Spinner />
                {t!(loading_body)}
            </p>
        </ScreenCard>
    }
}

/// Every step is done: "You're all set", with "Go to dashboard" unless the flow hides it or
/// it would lead nowhere.
#[component]
pub fn DoneScreen(
    /// Show the "Go to dashboard" button.
    show_dashboard_button: bool,
) -> impl IntoView {
    let services = use_services();
    let go = services.go_to_dashboard.filter(|_| show_dashboard_button);
    let button = go.map(|go| {
        view! {
            <div class="pf-actions">
                <Button label=t!(done_dashboard) on_click=move || go() testid="done-dashboard" />
            </div>
        }
    });
    view! {
        <ScreenCard testid="screen-done" title=t!(done_title)>
            <p class="pf-body">{t!(done_body)}</p>
            {button}
        </ScreenCard>
    }
}
